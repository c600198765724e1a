/* uk-time: 90 kHz wall-clock ticks, and RFC 3339 parsing and formatting.
 *
 * The calendar (proleptic Gregorian, UTC) is computed here in integer arithmetic instead of
 * with GDateTime: GDateTime counts microseconds, and a 90 kHz tick (11.1 µs) does not survive
 * a trip through microseconds exactly. Leap seconds do not exist in Unix time, so a second
 * of 60 is rejected. */

#include "uk-time.h"

#include <string.h>

#define TICKS_PER_SECOND ((gint64)UK_TIME_HZ)
#define SECONDS_PER_DAY ((gint64)86400)
#define TIME_ERROR_INVALID 0 /* the only UK_TIME_ERROR code */
#define QUOTE_MAX 80         /* longest input quoted in an error message */

GQuark
uk_time_error_quark(void)
{
  return g_quark_from_static_string("uk-time-error-quark");
}

/* Days before the first of each month in a non-leap year. */
static const int days_before_month[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };

/* Floor division and the matching remainder (0 <= *rem < @b) for @b > 0; never overflows. */
static gint64
div_floor(gint64 a, gint64 b, gint64 *rem)
{
  gint64 q = a / b;
  gint64 r = a % b;

  if (r < 0) {
    r += b;
    q--;
  }
  if (rem != NULL)
    *rem = r;
  return q;
}

static gboolean
is_leap_year(gint64 year)
{
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
days_in_month(gint64 year, int month)
{
  static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  return days[month - 1] + (month == 2 && is_leap_year(year) ? 1 : 0);
}

/* Number of leap years in 1..@year; for @year < 0 it goes negative, which correctly makes
 * year 0 (1 BC) a leap year. */
static gint64
leap_years_through(gint64 year)
{
  return div_floor(year, 4, NULL) - div_floor(year, 100, NULL) + div_floor(year, 400, NULL);
}

/* Days from 1970-01-01 to January 1st of @year (negative before 1970). */
static gint64
days_before_year(gint64 year)
{
  return 365 * (year - 1970) + leap_years_through(year - 1) - leap_years_through(1969);
}

static gint64
days_from_civil(gint64 year, int month, int day)
{
  gint64 days = days_before_year(year) + days_before_month[month - 1] + (day - 1);

  if (month > 2 && is_leap_year(year))
    days++;
  return days;
}

static void
civil_from_days(gint64 days, gint64 *year, int *month, int *day)
{
  /* Estimate from the mean Gregorian year (146097 days per 400 years), then correct. */
  gint64 y = 1970 + div_floor(days * 400, 146097, NULL);
  gint64 day_of_year;
  int m = 1;

  while (days_before_year(y) > days)
    y--;
  while (days_before_year(y + 1) <= days)
    y++;

  day_of_year = days - days_before_year(y);
  while (day_of_year >= days_in_month(y, m)) {
    day_of_year -= days_in_month(y, m);
    m++;
  }

  *year = y;
  *month = m;
  *day = (int)day_of_year + 1;
}

/* Reads exactly @n decimal digits at *@p and advances past them. */
static gboolean
read_digits(const char **p, int n, int *out)
{
  int value = 0;

  for (int i = 0; i < n; i++) {
    if (!g_ascii_isdigit((*p)[i]))
      return FALSE;
    value = value * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = value;
  return TRUE;
}

/* Advances past *@p when it is one of the characters in @set. */
static gboolean
read_one_of(const char **p, const char *set)
{
  if (**p == '\0' || strchr(set, **p) == NULL)
    return FALSE;
  (*p)++;
  return TRUE;
}

/* Converts the @n fraction digits at @digits (the "120" of ".120") to 90 kHz ticks, rounding
 * to nearest with halves up. Exact for any number of digits: 90000 * 0.d1d2...dn is
 * 9 * 0.d1d2...dn shifted four decimal places, and the product by 9 is done digit by digit
 * from the right, keeping the integer part and the first five fraction digits. */
static gint64
fraction_to_90k(const char *digits, gsize n)
{
  int product[5] = { 0 };
  int carry = 0;
  gint64 ticks;

  for (gsize i = n; i-- > 0;) {
    int v = 9 * (digits[i] - '0') + carry;

    if (i < G_N_ELEMENTS(product))
      product[i] = v % 10;
    carry = v / 10;
  }

  /* 9 * 0.d1d2... = carry.p0p1p2p3p4...; times 10^4 = carry p0 p1 p2 p3 . p4... */
  ticks = carry;
  for (int i = 0; i < 4; i++)
    ticks = ticks * 10 + product[i];
  if (product[4] >= 5)
    ticks++;
  return ticks;
}

static void
set_parse_error(GError **error, const char *text, const char *reason)
{
  g_autofree gchar *quoted = g_strescape(text, NULL);

  /* g_strescape() leaves only printable ASCII, so cutting it anywhere is safe. */
  if (strlen(quoted) > QUOTE_MAX)
    strcpy(quoted + QUOTE_MAX - 3, "...");
  g_set_error(error, UK_TIME_ERROR, TIME_ERROR_INVALID,
              "'%s' is not an RFC 3339 timestamp (%s); expected e.g. "
              "2026-11-28T21:14:03.120Z or 2026-11-28T22:14:03+01:00",
              quoted, reason);
}

gint64
uk_time_now_90k(void)
{
  return uk_time_90k_from_us(g_get_real_time());
}

gboolean
uk_time_parse_rfc3339(const char *text, gint64 *out_90k, GError **error)
{
  const char *p = text;
  const char *fraction = NULL;
  gsize fraction_digits = 0;
  int year, month, day, hour, minute, second;
  int offset_hours = 0, offset_minutes = 0, offset_sign = 1;
  g_autofree gchar *reason = NULL;
  gint64 seconds;

  g_return_val_if_fail(text != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

  /* Syntax: YYYY-MM-DD(T|t| )HH:MM:SS[.F+](Z|z|(+|-)HH:MM), nothing before or after. */
  if (!read_digits(&p, 4, &year) || !read_one_of(&p, "-") || !read_digits(&p, 2, &month)
      || !read_one_of(&p, "-") || !read_digits(&p, 2, &day) || !read_one_of(&p, "Tt ")
      || !read_digits(&p, 2, &hour) || !read_one_of(&p, ":") || !read_digits(&p, 2, &minute)
      || !read_one_of(&p, ":") || !read_digits(&p, 2, &second)) {
    set_parse_error(error, text, "bad date or time syntax");
    return FALSE;
  }
  if (read_one_of(&p, ".")) {
    fraction = p;
    while (g_ascii_isdigit(*p))
      p++;
    fraction_digits = (gsize)(p - fraction);
    if (fraction_digits == 0) {
      set_parse_error(error, text, "no digits after the decimal point");
      return FALSE;
    }
  }
  if (!read_one_of(&p, "Zz")) {
    if (*p == '+' || *p == '-') {
      offset_sign = *p == '-' ? -1 : 1;
      p++;
      if (!read_digits(&p, 2, &offset_hours) || !read_one_of(&p, ":")
          || !read_digits(&p, 2, &offset_minutes)) {
        set_parse_error(error, text, "bad UTC offset, expected +HH:MM or -HH:MM");
        return FALSE;
      }
    } else {
      set_parse_error(error, text, "missing UTC offset, expected Z or +HH:MM or -HH:MM");
      return FALSE;
    }
  }
  if (*p != '\0') {
    set_parse_error(error, text, "unexpected text after the UTC offset");
    return FALSE;
  }

  /* Ranges. */
  if (month < 1 || month > 12)
    reason = g_strdup_printf("month %02d does not exist", month);
  else if (day < 1 || day > days_in_month(year, month))
    reason = g_strdup_printf("day %02d does not exist in %04d-%02d", day, year, month);
  else if (hour > 23)
    reason = g_strdup_printf("hour %02d is out of range", hour);
  else if (minute > 59)
    reason = g_strdup_printf("minute %02d is out of range", minute);
  else if (second == 60)
    reason = g_strdup("leap seconds are not supported");
  else if (second > 59)
    reason = g_strdup_printf("second %02d is out of range", second);
  else if (offset_hours > 23 || offset_minutes > 59)
    reason = g_strdup_printf("UTC offset %02d:%02d is out of range", offset_hours, offset_minutes);
  if (reason != NULL) {
    set_parse_error(error, text, reason);
    return FALSE;
  }

  /* Years 0000..9999 keep every intermediate far from overflow. */
  seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
            - offset_sign * (offset_hours * 3600 + offset_minutes * 60);
  if (out_90k != NULL)
    *out_90k = seconds * TICKS_PER_SECOND
               + (fraction != NULL ? fraction_to_90k(fraction, fraction_digits) : 0);
  return TRUE;
}

/* Writes @value (>= 0) as exactly @n decimal digits. */
static void
put_digits(char *at, gint64 value, int n)
{
  for (int k = n - 1; k >= 0; k--, value /= 10)
    at[k] = (char)('0' + value % 10);
}

gchar *
uk_time_format_rfc3339(gint64 t_90k)
{
  gint64 ticks, seconds, second_of_day, days, year, millis;
  int month, day;

  seconds = div_floor(t_90k, TICKS_PER_SECOND, &ticks);

  /* One millisecond is 90 ticks; round up, carrying into the next second. */
  millis = (ticks + 89) / 90;
  if (millis == 1000) {
    millis = 0;
    seconds++;
  }

  days = div_floor(seconds, SECONDS_PER_DAY, &second_of_day);
  civil_from_days(days, &year, &month, &day);

  /* Years outside 0000..9999 (only from absurd inputs) cannot be written in RFC 3339; they
   * get the signed ISO 8601 expanded form instead, which uk_time_parse_rfc3339() rejects. */
  if (year >= 0 && year <= 9999) {
    /* Every incident and event carries a few of these: digits by hand, no printf. */
    char text[] = "YYYY-MM-DDThh:mm:ss.fffZ";
    put_digits(text, year, 4);
    put_digits(text + 5, month, 2);
    put_digits(text + 8, day, 2);
    put_digits(text + 11, second_of_day / 3600, 2);
    put_digits(text + 14, second_of_day / 60 % 60, 2);
    put_digits(text + 17, second_of_day % 60, 2);
    put_digits(text + 20, millis, 3);
    return g_strdup(text);
  }
  return g_strdup_printf("%+05" G_GINT64_FORMAT "-%02d-%02dT%02d:%02d:%02d.%03dZ", year, month, day,
                         (int)(second_of_day / 3600), (int)(second_of_day / 60 % 60),
                         (int)(second_of_day % 60), (int)millis);
}
