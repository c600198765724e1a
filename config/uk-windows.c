/* uk-windows: parses, tests and describes live-watch windows.
 *
 * Weekly windows are compared in local wall-clock time: the instant is converted to the time
 * zone, and its day of the week and minute of the day are checked against the window. So a
 * window keeps its clock times across a DST change, and is an hour shorter (spring) or longer
 * (autumn) that night; in autumn the repeated hour is inside it both times. */

#include "uk-windows.h"

#include "uk-config.h"
#include "uk-time.h"

#include <string.h>

#define ALL_DAYS 0x7f
#define MINUTES_PER_DAY (24 * 60)
#define DAYS_HINT                                                                                  \
  "expected day names mon, tue, wed, thu, fri, sat, sun, a range such as fri-sat, a list such "    \
  "as mon,wed, or daily"
#define TIMES_HINT "expected times HH:MM-HH:MM, such as 22:00-04:00"

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const day_names_nl[7] = { "ma", "di", "wo", "do", "vr", "za", "zo" };

/* @text as-is when it is printable UTF-8, else escaped, for text quoted in messages.
 * (transfer full) */
static gchar *
printable(const char *text)
{
  for (const char *p = text; *p != '\0'; p++) {
    if (g_ascii_iscntrl(*p))
      return g_strescape(text, NULL);
  }
  return g_utf8_validate(text, -1, NULL) ? g_strdup(text) : g_strescape(text, NULL);
}

static gboolean
is_blank(const char *text)
{
  for (const char *p = text; *p != '\0'; p++) {
    if (!g_ascii_isspace(*p))
      return FALSE;
  }
  return TRUE;
}

static gboolean
is_digits(const char *text, gsize length)
{
  for (gsize i = 0; i < length; i++) {
    if (!g_ascii_isdigit(text[i]))
      return FALSE;
  }
  return TRUE;
}

/* 0 (Monday) .. 6 (Sunday) for an English day name in any case, or -1. */
static int
parse_day(const char *name)
{
  for (int d = 0; d < 7; d++) {
    if (g_ascii_strcasecmp(name, day_names[d]) == 0)
      return d;
  }
  return -1;
}

/* "daily", or a ','-separated list of days and day ranges. */
static gboolean
parse_days(const char *text, guint8 *out, gchar **reason)
{
  g_auto(GStrv) parts = NULL;
  guint8 days = 0;

  if (g_ascii_strcasecmp(text, "daily") == 0) {
    *out = ALL_DAYS;
    return TRUE;
  }
  parts = g_strsplit(text, ",", -1);
  for (gsize i = 0; parts[i] != NULL; i++) {
    g_autofree gchar *part = g_strstrip(g_strdup(parts[i]));
    gchar *dash = strchr(part, '-');
    int first, last;

    if (*part == '\0') {
      *reason = g_strdup("a day is missing in the list (" DAYS_HINT ")");
      return FALSE;
    }
    if (dash != NULL) {
      *dash = '\0';
      first = parse_day(g_strstrip(part));
      last = parse_day(g_strstrip(dash + 1));
    } else {
      first = last = parse_day(part);
    }
    if (first < 0 || last < 0) {
      g_autofree gchar *quoted = printable(g_strstrip(parts[i]));

      *reason = g_strdup_printf("'%s' is not a day or a range of days (" DAYS_HINT ")", quoted);
      return FALSE;
    }
    /* A range runs forward and wraps around the week: sat-mon is Saturday, Sunday, Monday. */
    for (int d = first;; d = (d + 1) % 7) {
      days |= (guint8)(1u << d);
      if (d == last)
        break;
    }
  }
  *out = days;
  return TRUE;
}

/* H:MM or HH:MM from 00:00 to 24:00, as minutes. */
static gboolean
parse_clock(const char *text, guint *out)
{
  const char *colon = strchr(text, ':');
  gsize hour_digits = colon != NULL ? (gsize)(colon - text) : 0;
  guint hour, minute;

  if (colon == NULL || hour_digits < 1 || hour_digits > 2 || !is_digits(text, hour_digits)
      || strlen(colon + 1) != 2 || !is_digits(colon + 1, 2))
    return FALSE;
  hour = hour_digits == 2 ? (guint)(text[0] - '0') * 10 + (guint)(text[1] - '0')
                          : (guint)(text[0] - '0');
  minute = (guint)(colon[1] - '0') * 10 + (guint)(colon[2] - '0');
  if (minute > 59 || hour > 24 || (hour == 24 && minute != 0))
    return FALSE;
  *out = hour * 60 + minute;
  return TRUE;
}

/* HH:MM-HH:MM into @window's start_min and end_min. */
static gboolean
parse_times(const char *text, UkWatchWindow *window, gchar **reason)
{
  g_auto(GStrv) parts = g_strsplit(text, "-", -1);
  guint start, end;

  if (g_strv_length(parts) != 2 || !parse_clock(g_strstrip(parts[0]), &start)
      || !parse_clock(g_strstrip(parts[1]), &end)) {
    g_autofree gchar *quoted = printable(text);

    *reason
        = g_strdup_printf("'%s' is not a time range (" TIMES_HINT ", from 00:00 to 24:00)", quoted);
    return FALSE;
  }
  if (start == MINUTES_PER_DAY) {
    *reason = g_strdup("a window cannot start at 24:00; start at 00:00 instead");
    return FALSE;
  }
  if (start == 0 && end == MINUTES_PER_DAY)
    end = 0; /* the whole day, like 00:00-00:00 */
  else if (start == end && start != 0) {
    *reason = g_strdup("start and end are the same time; a whole day is 00:00-24:00");
    return FALSE;
  }
  window->start_min = (guint16)start;
  window->end_min = (guint16)end;
  return TRUE;
}

/* One RFC 3339 time of an absolute item; @which is "start" or "end". */
static gboolean
parse_instant(const char *text, const char *which, gint64 *out, gchar **reason)
{
  g_autoptr(GError) local_error = NULL;

  if (!uk_time_parse_rfc3339(text, out, &local_error)) {
    *reason = g_strdup_printf("%s: %s", which, local_error->message);
    return FALSE;
  }
  return TRUE;
}

/* "FROM/TO" with two RFC 3339 times. */
static gboolean
parse_absolute(const char *item, const char *slash, UkWatchWindow *window, gchar **reason)
{
  g_autofree gchar *from_text = g_strstrip(g_strndup(item, (gsize)(slash - item)));
  g_autofree gchar *to_text = g_strstrip(g_strdup(slash + 1));

  if (strchr(to_text, '/') != NULL) {
    *reason = g_strdup("expected two RFC 3339 times separated by one '/'");
    return FALSE;
  }
  if (!parse_instant(from_text, "start", &window->from_90k, reason)
      || !parse_instant(to_text, "end", &window->to_90k, reason))
    return FALSE;
  if (window->from_90k <= 0) {
    *reason = g_strdup("the start must be after 1970-01-01T00:00:00Z");
    return FALSE;
  }
  if (window->to_90k <= window->from_90k) {
    *reason = g_strdup("the end must be later than the start");
    return FALSE;
  }
  return TRUE;
}

/* One item, already trimmed and not empty. */
static gboolean
parse_item(const char *item, UkWatchWindow *window, gchar **reason)
{
  const char *slash = strchr(item, '/');
  const char *times = item;
  g_autofree gchar *days_text = NULL;

  if (slash != NULL)
    return parse_absolute(item, slash, window, reason);

  /* Day names hold no digits: the times start at the first digit. */
  while (*times != '\0' && !g_ascii_isdigit(*times))
    times++;
  if (*times == '\0') {
    *reason = g_strdup("the times are missing (" TIMES_HINT ")");
    return FALSE;
  }
  days_text = g_strstrip(g_strndup(item, (gsize)(times - item)));
  if (*days_text == '\0') {
    *reason = g_strdup("the days are missing before the times (" DAYS_HINT ")");
    return FALSE;
  }
  if (!g_ascii_isspace(times[-1])) {
    *reason = g_strdup("expected blank space between the days and the times");
    return FALSE;
  }
  return parse_days(days_text, &window->days, reason) && parse_times(times, window, reason);
}

gboolean
uk_watch_windows_parse(const char *text, GArray **out, GError **error)
{
  g_autoptr(GArray) windows = g_array_new(FALSE, TRUE, sizeof(UkWatchWindow));

  g_return_val_if_fail(out != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

  if (text != NULL && !is_blank(text)) {
    g_auto(GStrv) items = g_strsplit(text, ";", -1);

    for (gsize i = 0; items[i] != NULL; i++) {
      UkWatchWindow window = { 0 };
      g_autofree gchar *reason = NULL;
      const char *item = g_strstrip(items[i]);

      if (*item == '\0')
        reason = g_strdup("empty item (items are separated by ';')");
      else
        parse_item(item, &window, &reason);
      if (reason != NULL) {
        g_autofree gchar *quoted = printable(item);

        g_set_error(error, UK_CONFIG_ERROR, UK_CONFIG_ERROR_INVALID,
                    "live-watch item %" G_GSIZE_FORMAT " '%s': %s", i + 1, quoted, reason);
        return FALSE;
      }
      g_array_append_val(windows, window);
    }
  }
  *out = g_steal_pointer(&windows);
  return TRUE;
}

/* Europe/Amsterdam, or the local time zone when the system lacks it. (transfer full) */
static GTimeZone *
default_time_zone(void)
{
  GTimeZone *tz = g_time_zone_new_identifier("Europe/Amsterdam");

  return tz != NULL ? tz : g_time_zone_new_local();
}

/* Whether weekly @window covers local day @day (0 Monday) at @minute after midnight. */
static gboolean
weekly_contains(const UkWatchWindow *window, guint day, guint minute)
{
  gboolean starts_today = (window->days & (1u << day)) != 0;
  gboolean started_yesterday = (window->days & (1u << ((day + 6) % 7))) != 0;

  if (window->start_min == window->end_min)
    return starts_today;
  if (window->start_min < window->end_min)
    return starts_today && minute >= window->start_min && minute < window->end_min;
  /* Past midnight: from start to midnight on its day, and from midnight to end the next. */
  return (starts_today && minute >= window->start_min)
         || (started_yesterday && minute < window->end_min);
}

gboolean
uk_watch_windows_contain(const GArray *windows, gint64 t_90k, GTimeZone *tz)
{
  g_autoptr(GTimeZone) own_tz = NULL;
  g_autoptr(GDateTime) local = NULL;
  gboolean have_local = FALSE;
  guint day = 0, minute = 0;

  if (windows == NULL)
    return FALSE;
  for (guint i = 0; i < windows->len; i++) {
    const UkWatchWindow *window = &g_array_index(windows, UkWatchWindow, i);

    if (window->from_90k != 0) {
      if (t_90k >= window->from_90k && t_90k < window->to_90k)
        return TRUE;
      continue;
    }
    if (!have_local) {
      /* Whole seconds, rounded down, are enough for minutes. */
      gint64 seconds = t_90k / UK_TIME_HZ - (t_90k % UK_TIME_HZ < 0 ? 1 : 0);
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(seconds);

      have_local = TRUE;
      if (tz == NULL)
        tz = own_tz = default_time_zone();
      if (utc != NULL)
        local = g_date_time_to_timezone(utc, tz);
      if (local != NULL) {
        day = (guint)g_date_time_get_day_of_week(local) - 1;
        minute = (guint)(g_date_time_get_hour(local) * 60 + g_date_time_get_minute(local));
      }
    }
    /* Out of GDateTime's range (years 1..9999): no weekly window applies. */
    if (local != NULL && weekly_contains(window, day, minute))
      return TRUE;
  }
  return FALSE;
}

/* Appends the days of @days as "vr-za", "ma,wo", "za-ma" or "dagelijks". */
static void
append_days(GString *out, guint days)
{
  int first = -1;
  gboolean any = FALSE;

  days &= ALL_DAYS;
  if (days == ALL_DAYS) {
    g_string_append(out, "dagelijks");
    return;
  }
  if (days == 0) {
    g_string_append(out, "geen dagen");
    return;
  }
  /* Start at the first day of a run, so that runs across Sunday-Monday stay whole. */
  for (int d = 0; d < 7 && first < 0; d++) {
    if ((days & (1u << d)) && !(days & (1u << ((d + 6) % 7))))
      first = d;
  }
  for (int i = 0; i < 7;) {
    int d = (first + i) % 7;
    int length = 1;

    if (!(days & (1u << d))) {
      i++;
      continue;
    }
    while (i + length < 7 && (days & (1u << ((d + length) % 7))))
      length++;
    g_string_append_printf(out, "%s%s", any ? "," : "", day_names_nl[d]);
    if (length > 1)
      g_string_append_printf(out, "-%s", day_names_nl[(d + length - 1) % 7]);
    any = TRUE;
    i += length;
  }
}

static void
append_clock(GString *out, guint minutes)
{
  g_string_append_printf(out, "%02u:%02u", minutes / 60, minutes % 60);
}

/* Appends @t_90k as "31-12-2026 20:00" in @tz. */
static void
append_instant(GString *out, gint64 t_90k, GTimeZone *tz)
{
  gint64 seconds = t_90k / UK_TIME_HZ - (t_90k % UK_TIME_HZ < 0 ? 1 : 0);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(seconds);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_timezone(utc, tz) : NULL;
  g_autofree gchar *text = local != NULL ? g_date_time_format(local, "%d-%m-%Y %H:%M") : NULL;

  if (text != NULL)
    g_string_append(out, text);
  else
    g_string_append(out, "?");
}

gchar *
uk_watch_windows_describe(const GArray *windows)
{
  GString *out = g_string_new(NULL);
  g_autoptr(GTimeZone) tz = NULL;

  for (guint i = 0; windows != NULL && i < windows->len; i++) {
    const UkWatchWindow *window = &g_array_index(windows, UkWatchWindow, i);

    if (i > 0)
      g_string_append(out, "; ");
    if (window->from_90k != 0) {
      if (tz == NULL)
        tz = default_time_zone();
      append_instant(out, window->from_90k, tz);
      g_string_append(out, " tot ");
      append_instant(out, window->to_90k, tz);
      continue;
    }
    append_days(out, window->days);
    g_string_append_c(out, ' ');
    if (window->start_min == window->end_min) {
      g_string_append(out, "00:00-24:00");
      continue;
    }
    append_clock(out, window->start_min);
    g_string_append_c(out, '-');
    append_clock(out, window->end_min);
  }
  return g_string_free(out, FALSE);
}
