/* test-time: unit tests for config/uk-time (90 kHz ticks, RFC 3339 parse and format).
 *
 * Calendar results are cross-checked against GDateTime, which works in whole seconds here and
 * so is an independent reference for the date arithmetic. */

#include "uk-time.h"

#include <string.h>

/* 90 kHz ticks at a UTC date and time, computed with GDateTime. */
static gint64
reference_90k(int year, int month, int day, int hour, int minute, int second)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc(year, month, day, hour, minute, second);

  g_assert_nonnull(dt);
  return g_date_time_to_unix(dt) * UK_TIME_HZ;
}

static gint64
parse_ok(const char *text)
{
  g_autoptr(GError) error = NULL;
  gint64 t = G_MININT64;

  g_assert_true(uk_time_parse_rfc3339(text, &t, &error));
  g_assert_no_error(error);
  return t;
}

static void
assert_format(gint64 t_90k, const char *expected)
{
  g_autofree gchar *text = uk_time_format_rfc3339(t_90k);

  g_assert_cmpstr(text, ==, expected);
}

static void
test_parse_examples(void)
{
  gint64 base = reference_90k(2026, 11, 28, 21, 14, 3);

  g_assert_cmpint(parse_ok("2026-11-28T21:14:03Z"), ==, base);
  g_assert_cmpint(parse_ok("2026-11-28T21:14:03.120Z"), ==, base + 10800);
  g_assert_cmpint(parse_ok("2026-11-28T22:14:03.120+01:00"), ==, base + 10800);
  g_assert_cmpint(parse_ok("2026-11-28t21:14:03.120z"), ==, base + 10800);
  g_assert_cmpint(parse_ok("2026-11-28 21:14:03.120Z"), ==, base + 10800);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00Z"), ==, 0);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:01Z"), ==, UK_TIME_HZ);
}

static void
test_parse_offsets(void)
{
  gint64 base = reference_90k(2026, 3, 29, 1, 30, 0);

  g_assert_cmpint(parse_ok("2026-03-29T01:30:00+00:00"), ==, base);
  g_assert_cmpint(parse_ok("2026-03-29T01:30:00-00:00"), ==, base);
  g_assert_cmpint(parse_ok("2026-03-29T03:30:00+02:00"), ==, base);
  g_assert_cmpint(parse_ok("2026-03-28T20:00:00-05:30"), ==, base);
  g_assert_cmpint(parse_ok("2026-03-30T01:29:00+23:59"), ==, base);
  /* An offset can cross a day, month and year boundary. */
  g_assert_cmpint(parse_ok("2027-01-01T00:30:00+01:00"), ==,
                  reference_90k(2026, 12, 31, 23, 30, 0));
  g_assert_cmpint(parse_ok("1970-01-01T00:30:00+01:00"), ==, -30 * 60 * UK_TIME_HZ);
}

static void
test_parse_fraction_rounding(void)
{
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.1Z"), ==, 9000);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.120Z"), ==, 10800);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.12Z"), ==, 10800);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.120000000Z"), ==, 10800);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.5Z"), ==, 45000);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.001Z"), ==, 90);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.000000000Z"), ==, 0);
  /* 0.99 ticks rounds up, 0.45 down, and 4.5 (exactly half) up. */
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.000011Z"), ==, 1);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.000005Z"), ==, 0);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.00005Z"), ==, 5);
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.0000499999999999Z"), ==, 4);
  /* 123456789 ns = 11111.11101 ticks. */
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.123456789Z"), ==, 11111);
  /* 999999999 ns = 89999.99991 ticks, which rounds into the next second. */
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.999999999Z"), ==, UK_TIME_HZ);
  /* Any number of digits (the header allows it); exact even far beyond nanoseconds. */
  g_assert_cmpint(parse_ok("1970-01-01T00:00:00.12000000000000000000001Z"), ==, 10800);
  /* A fraction applies after the offset, same as the whole seconds. */
  g_assert_cmpint(parse_ok("1970-01-01T01:00:00.5+01:00"), ==, 45000);
}

static void
test_parse_calendar(void)
{
  /* Leap days: every 4 years, except centuries, except every 400 years. */
  g_assert_cmpint(parse_ok("2024-02-29T00:00:00Z"), ==, reference_90k(2024, 2, 29, 0, 0, 0));
  g_assert_cmpint(parse_ok("2000-02-29T12:00:00Z"), ==, reference_90k(2000, 2, 29, 12, 0, 0));
  g_assert_cmpint(parse_ok("2024-03-01T00:00:00Z") - parse_ok("2024-02-28T00:00:00Z"), ==,
                  2 * 86400 * (gint64)UK_TIME_HZ);
  g_assert_cmpint(parse_ok("2026-03-01T00:00:00Z") - parse_ok("2026-02-28T00:00:00Z"), ==,
                  86400 * (gint64)UK_TIME_HZ);
  g_assert_cmpint(parse_ok("2026-12-31T23:59:59Z"), ==, reference_90k(2026, 12, 31, 23, 59, 59));
  g_assert_cmpint(parse_ok("9999-12-31T23:59:59Z"), ==, reference_90k(9999, 12, 31, 23, 59, 59));
  /* Before 1970 the count goes negative. */
  g_assert_cmpint(parse_ok("1969-12-31T23:59:59Z"), ==, -UK_TIME_HZ);
  g_assert_cmpint(parse_ok("1900-03-01T00:00:00Z"), ==, reference_90k(1900, 3, 1, 0, 0, 0));
  g_assert_cmpint(parse_ok("0001-01-01T00:00:00Z"), ==, reference_90k(1, 1, 1, 0, 0, 0));
}

/* Every day from 1899 to 2101, and every month end, against GDateTime. */
static void
test_parse_every_day(void)
{
  for (int year = 1899; year <= 2101; year++) {
    for (int month = 1; month <= 12; month++) {
      int days = g_date_get_days_in_month((GDateMonth)month, (GDateYear)year);

      for (int day = 1; day <= days; day++) {
        g_autofree gchar *text = g_strdup_printf("%04d-%02d-%02dT23:59:58.5Z", year, month, day);

        g_assert_cmpint(parse_ok(text), ==,
                        reference_90k(year, month, day, 23, 59, 58) + UK_TIME_HZ / 2);
      }
    }
  }
}

static void
test_parse_rejects(void)
{
  static const char *const bad[] = {
    "",
    " ",
    "2026-11-28",
    "2026-11-28T21:14:03",          /* no offset */
    "2026-11-28T21:14:03.120",      /* no offset */
    "2026-11-28T21:14Z",            /* no seconds */
    "2026-11-28T21:14:03.Z",        /* point without digits */
    "2026-11-28T21:14:03,120Z",     /* comma */
    "2026-11-28T21:14:03.120Z ",    /* trailing space */
    " 2026-11-28T21:14:03.120Z",    /* leading space */
    "2026-11-28T21:14:03.120Zjunk", /* trailing garbage */
    "2026-11-28T21:14:03+01:00:00", /* trailing garbage */
    "2026-11-28T21:14:03+0100",     /* offset without colon */
    "2026-11-28T21:14:03+1:00",     /* one-digit offset hour */
    "2026-11-28T21:14:03+24:00",    /* offset hour */
    "2026-11-28T21:14:03+01:60",    /* offset minute */
    "2026-11-28T21:14:03 Z",
    "2026-11-28X21:14:03Z",  /* separator */
    "2026-11-28TT21:14:03Z", /* separator */
    "26-11-28T21:14:03Z",    /* two-digit year */
    "+2026-11-28T21:14:03Z", /* signed year */
    "2026-1-28T21:14:03Z",   /* one-digit month */
    "2026-11-8T21:14:03Z",   /* one-digit day */
    "2026-00-28T21:14:03Z",  /* month 0 */
    "2026-13-28T21:14:03Z",  /* month 13 */
    "2026-11-00T21:14:03Z",  /* day 0 */
    "2026-11-31T21:14:03Z",  /* November has 30 days */
    "2026-01-32T21:14:03Z",  /* day 32 */
    "2026-02-29T21:14:03Z",  /* 2026 is no leap year */
    "2026-02-30T21:14:03Z",  /* never */
    "1900-02-29T00:00:00Z",  /* century, no leap year */
    "2100-02-29T00:00:00Z",  /* century, no leap year */
    "2026-11-28T24:00:00Z",  /* hour 24 */
    "2026-11-28T21:60:03Z",  /* minute 60 */
    "2026-11-28T23:59:60Z",  /* leap second */
    "2026-11-28T21:14:61Z",  /* second 61 */
    "2026-11-28T21:14:0aZ",  /* not a digit */
    "2026\xff"
    "11-28T21:14:03Z",            /* not UTF-8 */
    "2026-11-28T21:14:03.1\n20Z", /* control character */
  };

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *escaped = g_strescape(bad[i], NULL);
    gint64 t = 42;

    g_test_message("rejecting \"%s\"", escaped);
    g_assert_false(uk_time_parse_rfc3339(bad[i], &t, &error));
    g_assert_error(error, UK_TIME_ERROR, 0);
    g_assert_cmpint(t, ==, 42);
    g_assert_nonnull(strstr(error->message, "RFC 3339"));
    g_assert_nonnull(strstr(error->message, "2026-11-28T21:14:03.120Z"));
  }
}

static void
test_parse_error_message(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autofree gchar *long_text = g_strnfill(1000, '9');

  g_assert_false(uk_time_parse_rfc3339("2026-02-30T00:00:00Z", NULL, &error));
  g_assert_error(error, UK_TIME_ERROR, 0);
  g_assert_nonnull(strstr(error->message, "'2026-02-30T00:00:00Z'"));
  g_assert_nonnull(strstr(error->message, "day 30 does not exist in 2026-02"));

  /* Long input is cut short in the message. */
  g_assert_false(uk_time_parse_rfc3339(long_text, NULL, &error2));
  g_assert_cmpuint(strlen(error2->message), <, 300);

  /* A NULL @out_90k validates only. */
  g_assert_true(uk_time_parse_rfc3339("2026-11-28T21:14:03Z", NULL, NULL));
}

static void
test_format(void)
{
  assert_format(0, "1970-01-01T00:00:00.000Z");
  assert_format(10800, "1970-01-01T00:00:00.120Z");
  assert_format(parse_ok("2026-11-28T21:14:03.120Z"), "2026-11-28T21:14:03.120Z");
  assert_format(parse_ok("2024-02-29T23:59:59.999Z"), "2024-02-29T23:59:59.999Z");
  assert_format(parse_ok("2026-11-28T22:14:03.120+01:00"), "2026-11-28T21:14:03.120Z");
  assert_format(parse_ok("9999-12-31T23:59:59.999Z"), "9999-12-31T23:59:59.999Z");
  assert_format(parse_ok("0000-01-01T00:00:00Z"), "0000-01-01T00:00:00.000Z");
}

static void
test_format_ceil(void)
{
  /* One millisecond is 90 ticks; anything past a millisecond goes up to the next one. */
  assert_format(1, "1970-01-01T00:00:00.001Z");
  assert_format(89, "1970-01-01T00:00:00.001Z");
  assert_format(90, "1970-01-01T00:00:00.001Z");
  assert_format(91, "1970-01-01T00:00:00.002Z");
  assert_format(10799, "1970-01-01T00:00:00.120Z");
  assert_format(10801, "1970-01-01T00:00:00.121Z");
  /* Carries into the next second, minute, day and year. */
  assert_format(89999, "1970-01-01T00:00:01.000Z");
  assert_format(parse_ok("2026-12-31T23:59:59.999Z") + 1, "2027-01-01T00:00:00.000Z");
}

static void
test_format_negative(void)
{
  assert_format(-1, "1970-01-01T00:00:00.000Z");
  assert_format(-90, "1969-12-31T23:59:59.999Z");
  assert_format(-91, "1969-12-31T23:59:59.999Z");
  assert_format(-UK_TIME_HZ, "1969-12-31T23:59:59.000Z");
  assert_format(parse_ok("1900-02-28T12:34:56.789Z"), "1900-02-28T12:34:56.789Z");
}

static void
test_format_extremes(void)
{
  g_autofree gchar *max = uk_time_format_rfc3339(G_MAXINT64);
  g_autofree gchar *min = uk_time_format_rfc3339(G_MININT64);
  g_autofree gchar *year_10000 = uk_time_format_rfc3339(parse_ok("9999-12-31T23:59:59.999Z") + 90);

  /* Outside 0000..9999 there is no RFC 3339; the signed expanded year is used. */
  g_assert_true(g_str_has_prefix(max, "+"));
  g_assert_true(g_str_has_prefix(min, "-"));
  g_assert_cmpstr(year_10000, ==, "+10000-01-01T00:00:00.000Z");
  g_assert_false(uk_time_parse_rfc3339(year_10000, NULL, NULL));
}

/* format(t) parses back to an instant in [t, t + 1 ms), for random t around now. */
static void
test_round_trip(void)
{
  gint64 now = uk_time_now_90k();

  for (int i = 0; i < 100000; i++) {
    gint64 t = now + (gint64)g_test_rand_int_range(-1000000000, 1000000000) * 1000
               + g_test_rand_int_range(0, 1000);
    g_autofree gchar *text = uk_time_format_rfc3339(t);
    gint64 back = parse_ok(text);
    g_autofree gchar *again = uk_time_format_rfc3339(back);

    g_assert_cmpint(back, >=, t);
    g_assert_cmpint(back - t, <, UK_TIME_HZ / 1000);
    g_assert_cmpstr(again, ==, text);
  }
}

static void
test_now(void)
{
  gint64 before = g_get_real_time();
  gint64 now = uk_time_now_90k();
  gint64 after = g_get_real_time();

  g_assert_cmpint(now, >=, uk_time_90k_from_us(before));
  g_assert_cmpint(now, <=, uk_time_90k_from_us(after));
  g_assert_cmpint(uk_time_90k_from_us(1000000), ==, UK_TIME_HZ);
  g_assert_cmpint(uk_time_us_from_90k(UK_TIME_HZ), ==, 1000000);
}

int
main(int argc, char *argv[])
{
  g_test_init(&argc, &argv, NULL);

  g_test_add_func("/time/parse/examples", test_parse_examples);
  g_test_add_func("/time/parse/offsets", test_parse_offsets);
  g_test_add_func("/time/parse/fraction-rounding", test_parse_fraction_rounding);
  g_test_add_func("/time/parse/calendar", test_parse_calendar);
  g_test_add_func("/time/parse/every-day", test_parse_every_day);
  g_test_add_func("/time/parse/rejects", test_parse_rejects);
  g_test_add_func("/time/parse/error-message", test_parse_error_message);
  g_test_add_func("/time/format/basic", test_format);
  g_test_add_func("/time/format/ceil", test_format_ceil);
  g_test_add_func("/time/format/negative", test_format_negative);
  g_test_add_func("/time/format/extremes", test_format_extremes);
  g_test_add_func("/time/round-trip", test_round_trip);
  g_test_add_func("/time/now", test_now);

  return g_test_run();
}
