/* test-windows: unit tests for config/uk-windows (live-watch windows: parse, contain, describe).
 *
 * Instants are written as RFC 3339 with the Dutch offset in force (+01:00 winter, +02:00
 * summer), so each test reads as local time. 2026-11-27 is a Friday; summer time starts on
 * Sunday 2026-03-29 (02:00 -> 03:00) and ends on Sunday 2026-10-25 (03:00 -> 02:00). */

#include "uk-config.h"
#include "uk-time.h"
#include "uk-windows.h"

#include <string.h>

#define MON (1u << 0)
#define TUE (1u << 1)
#define WED (1u << 2)
#define THU (1u << 3)
#define FRI (1u << 4)
#define SAT (1u << 5)
#define SUN (1u << 6)
#define MINUTE_90K ((gint64)60 * UK_TIME_HZ)

static gint64
at(const char *text)
{
  g_autoptr(GError) error = NULL;
  gint64 t_90k = 0;

  g_assert_true(uk_time_parse_rfc3339(text, &t_90k, &error));
  g_assert_no_error(error);
  return t_90k;
}

static GArray *
parse_ok(const char *text)
{
  g_autoptr(GError) error = NULL;
  GArray *windows = NULL;

  g_assert_true(uk_watch_windows_parse(text, &windows, &error));
  g_assert_no_error(error);
  g_assert_nonnull(windows);
  return windows;
}

static void
assert_weekly(const GArray *windows, guint index, guint days, guint start_min, guint end_min)
{
  const UkWatchWindow *window;

  g_assert_cmpuint(index, <, windows->len);
  window = &g_array_index(windows, UkWatchWindow, index);
  g_assert_cmpint(window->from_90k, ==, 0);
  g_assert_cmpuint(window->days, ==, days);
  g_assert_cmpuint(window->start_min, ==, start_min);
  g_assert_cmpuint(window->end_min, ==, end_min);
}

/* The Dutch time zone; the tests that depend on its DST rules skip without it. */
static GTimeZone *
amsterdam(void)
{
  GTimeZone *tz = g_time_zone_new_identifier("Europe/Amsterdam");

  if (tz == NULL)
    g_test_skip("no time zone data for Europe/Amsterdam");
  return tz;
}

static void
test_parse(void)
{
  g_autoptr(GArray) all
      = parse_ok("fri-sat 22:00-04:00; sun 12:00-18:00; daily 08:00-09:00; mon,wed 10:00-11:00; "
                 "2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00");
  g_autoptr(GArray) wrap = parse_ok("sat-mon 22:00-02:00");
  g_autoptr(GArray) loose = parse_ok("  Fri - Sat  22:00 - 04:00 ;mon, wed-FRI 7:30-9:00  ");
  g_autoptr(GArray) whole = parse_ok("sun 00:00-24:00; mon 20:00-24:00; tue 00:00-00:00; "
                                     "thu-thu 00:00-01:00; mon-sun 01:00-02:00");
  g_autoptr(GArray) absolute
      = parse_ok("2026-12-31 20:00:00+01:00 / 2027-01-01T03:00:00Z;2026-06-20T18:00:00.5+02:00/"
                 "2026-06-20T18:00:01+02:00");
  const UkWatchWindow *window;

  g_assert_cmpuint(all->len, ==, 5);
  assert_weekly(all, 0, FRI | SAT, 22 * 60, 4 * 60);
  assert_weekly(all, 1, SUN, 12 * 60, 18 * 60);
  assert_weekly(all, 2, 0x7f, 8 * 60, 9 * 60);
  assert_weekly(all, 3, MON | WED, 10 * 60, 11 * 60);
  window = &g_array_index(all, UkWatchWindow, 4);
  g_assert_cmpint(window->from_90k, ==, at("2026-12-31T19:00:00Z"));
  g_assert_cmpint(window->to_90k, ==, at("2027-01-01T03:00:00Z"));

  /* Ranges wrap around the week. */
  g_assert_cmpuint(wrap->len, ==, 1);
  assert_weekly(wrap, 0, SAT | SUN | MON, 22 * 60, 2 * 60);

  /* Blank space around separators, any case, one-digit hours. */
  g_assert_cmpuint(loose->len, ==, 2);
  assert_weekly(loose, 0, FRI | SAT, 22 * 60, 4 * 60);
  assert_weekly(loose, 1, MON | WED | THU | FRI, 7 * 60 + 30, 9 * 60);

  /* 00:00-24:00 (and 00:00-00:00) is the whole day, stored as start == end == 0; 24:00 may
   * end a window. */
  g_assert_cmpuint(whole->len, ==, 5);
  assert_weekly(whole, 0, SUN, 0, 0);
  assert_weekly(whole, 1, MON, 20 * 60, 24 * 60);
  assert_weekly(whole, 2, TUE, 0, 0);
  assert_weekly(whole, 3, THU, 0, 60);
  assert_weekly(whole, 4, 0x7f, 60, 120);

  g_assert_cmpuint(absolute->len, ==, 2);
  window = &g_array_index(absolute, UkWatchWindow, 0);
  g_assert_cmpint(window->from_90k, ==, at("2026-12-31T19:00:00Z"));
  g_assert_cmpint(window->to_90k, ==, at("2027-01-01T03:00:00Z"));
  window = &g_array_index(absolute, UkWatchWindow, 1);
  g_assert_cmpint(window->to_90k - window->from_90k, ==, UK_TIME_HZ / 2);
}

static void
test_parse_empty(void)
{
  static const char *const empty[] = { NULL, "", " ", " \t " };

  for (gsize i = 0; i < G_N_ELEMENTS(empty); i++) {
    g_autoptr(GArray) windows = parse_ok(empty[i]);

    g_assert_cmpuint(windows->len, ==, 0);
  }
}

static void
test_parse_errors(void)
{
  static const struct {
    const char *text;
    const char *expect; /* part of the message */
  } cases[] = {
    { "fri-zat 22:00-04:00", "item 1 'fri-zat 22:00-04:00': 'fri-zat' is not a day" },
    { "vr-za 22:00-04:00", "'vr-za' is not a day" },
    { "weekend 10:00-11:00", "'weekend' is not a day" },
    { "daily,mon 10:00-11:00", "'daily' is not a day" },
    { "mon,,wed 10:00-11:00", "a day is missing in the list" },
    { "mon, 10:00-11:00", "a day is missing in the list" },
    { "mon- 10:00-11:00", "'mon-' is not a day" },
    { "fri", "the times are missing" },
    { "22:00-04:00", "the days are missing" },
    { "fri22:00-04:00", "blank space between the days and the times" },
    { "fri 22:00", "'22:00' is not a time range" },
    { "fri 22:00-", "is not a time range" },
    { "fri 22-04", "is not a time range" },
    { "fri 2200-0400", "is not a time range" },
    { "fri 22:00-04:00-05:00", "is not a time range" },
    { "fri 25:00-04:00", "is not a time range" },
    { "fri 22:60-23:00", "is not a time range" },
    { "fri 22:00-24:01", "is not a time range" },
    { "fri 022:00-23:00", "is not a time range" },
    { "fri 22:0-23:00", "is not a time range" },
    { "fri 24:00-02:00", "cannot start at 24:00" },
    { "fri 10:00-10:00", "start and end are the same time" },
    { "fri 22:00-04:00;", "item 2 '': empty item" },
    { ";fri 22:00-04:00", "item 1 '': empty item" },
    { "fri 22:00-04:00; ;sun 12:00-18:00", "item 2 '': empty item" },
    { "fri 22:00-04:00; sun 12:00", "item 2 'sun 12:00'" },
    { "2026-12-31T20:00:00+01:00", "the days are missing" },
    { "2026-12-31T20:00:00+01:00/", "end: '' is not an RFC 3339 timestamp" },
    { "/2026-12-31T20:00:00+01:00", "start: '' is not an RFC 3339 timestamp" },
    { "2026-12-31T20:00:00/2027-01-01T04:00:00+01:00", "start: '2026-12-31T20:00:00' is not" },
    { "2026-12-31T20:00:00+01:00/2026-12-31T19:00:00+01:00", "end must be later than the start" },
    { "2026-12-31T20:00:00+01:00/2026-12-31T19:00:00Z", "end must be later than the start" },
    { "1970-01-01T00:00:00Z/1970-01-02T00:00:00Z", "start must be after 1970" },
    { "2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00/2027-01-02T04:00:00+01:00",
      "separated by one '/'" },
    { "fri\t22:00-04:00\n", NULL }, /* blank space of any kind is fine */
    { "fri 22:00-04:00\x01", "\\001" },
    { "fri\xff 22:00-04:00", "\\377" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) windows = NULL;
    g_autofree gchar *quoted = NULL;
    gboolean ok = uk_watch_windows_parse(cases[i].text, &windows, &error);

    if (cases[i].expect == NULL) {
      g_assert_no_error(error);
      g_assert_true(ok);
      continue;
    }
    g_assert_false(ok);
    g_assert_null(windows);
    g_assert_error(error, UK_CONFIG_ERROR, UK_CONFIG_ERROR_INVALID);
    quoted = g_strescape(cases[i].text, NULL);
    g_test_message("'%s': %s", quoted, error->message);
    g_assert_true(g_str_has_prefix(error->message, "live-watch item "));
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    if (strstr(error->message, cases[i].expect) == NULL)
      g_error("message \"%s\" lacks \"%s\"", error->message, cases[i].expect);
  }
}

typedef struct {
  const char *time;
  gboolean inside;
} Probe;

static void
assert_probes(const char *text, const Probe *probes, gsize n_probes, GTimeZone *tz)
{
  g_autoptr(GArray) windows = parse_ok(text);

  for (gsize i = 0; i < n_probes; i++) {
    if (uk_watch_windows_contain(windows, at(probes[i].time), tz) != probes[i].inside)
      g_error("'%s' at %s: expected %s", text, probes[i].time,
              probes[i].inside ? "inside" : "outside");
  }
}

/* Minutes (whole, by their start) from @from to @to that fall in @text's windows. */
static gint64
minutes_inside(const char *text, const char *from, const char *to, GTimeZone *tz)
{
  g_autoptr(GArray) windows = parse_ok(text);
  gint64 minutes = 0;

  for (gint64 t = at(from); t < at(to); t += MINUTE_90K)
    minutes += uk_watch_windows_contain(windows, t, tz) ? 1 : 0;
  return minutes;
}

static void
test_contain_weekly(void)
{
  static const Probe probes[] = {
    { "2026-11-27T23:00:00+01:00", TRUE },  /* Friday 23:00 */
    { "2026-11-28T03:00:00+01:00", TRUE },  /* Saturday 03:00, from Friday */
    { "2026-11-28T05:00:00+01:00", FALSE }, /* Saturday 05:00 */
    { "2026-11-26T23:00:00+01:00", FALSE }, /* Thursday 23:00 */
    { "2026-11-27T03:00:00+01:00", FALSE }, /* Friday 03:00: Thursday has no window */
    { "2026-11-27T21:59:59+01:00", FALSE },
    { "2026-11-27T22:00:00+01:00", TRUE }, /* the start is inside */
    { "2026-11-28T03:59:59.999+01:00", TRUE },
    { "2026-11-28T04:00:00+01:00", FALSE }, /* the end is not */
    { "2026-11-28T12:00:00+01:00", FALSE },
    { "2026-11-28T22:00:00+01:00", TRUE }, /* Saturday night */
    { "2026-11-29T00:00:00+01:00", TRUE },
    { "2026-11-29T03:59:00+01:00", TRUE }, /* Sunday 03:59, from Saturday */
    { "2026-11-29T04:00:00+01:00", FALSE },
    { "2026-11-29T23:00:00+01:00", FALSE }, /* Sunday night */
    { "2026-11-27T22:30:00Z", TRUE },       /* 23:30 in Amsterdam */
    { "2026-11-27T20:30:00Z", FALSE },      /* 21:30 in Amsterdam */
  };
  g_autoptr(GTimeZone) tz = amsterdam();

  if (tz == NULL)
    return;
  assert_probes("fri-sat 22:00-04:00", probes, G_N_ELEMENTS(probes), NULL);
  assert_probes("fri-sat 22:00-04:00", probes, G_N_ELEMENTS(probes), tz);
  /* Two Friday-Saturday nights of six hours in a week. */
  g_assert_cmpint(minutes_inside("fri-sat 22:00-04:00", "2026-11-23T00:00:00+01:00",
                                 "2026-11-30T00:00:00+01:00", NULL),
                  ==, 2 * 6 * 60);
}

/* Ranges and windows that cross the end of the week (Sunday -> Monday). */
static void
test_contain_wrap(void)
{
  static const Probe sat_mon[] = {
    { "2026-11-28T11:00:00+01:00", TRUE },  /* Saturday */
    { "2026-11-29T11:00:00+01:00", TRUE },  /* Sunday */
    { "2026-11-30T11:00:00+01:00", TRUE },  /* Monday */
    { "2026-12-01T11:00:00+01:00", FALSE }, /* Tuesday */
    { "2026-11-27T11:00:00+01:00", FALSE }, /* Friday */
    { "2026-11-30T12:00:00+01:00", FALSE },
  };
  static const Probe sun_night[] = {
    { "2026-11-29T23:00:00+01:00", TRUE },  /* Sunday 23:00 */
    { "2026-11-30T01:00:00+01:00", TRUE },  /* Monday 01:00, from Sunday */
    { "2026-11-30T02:00:00+01:00", FALSE }, /* Monday 02:00 */
    { "2026-11-30T23:00:00+01:00", FALSE }, /* Monday 23:00 */
    { "2026-11-29T01:00:00+01:00", FALSE }, /* Sunday 01:00: Saturday has no window */
  };
  static const Probe whole_day[] = {
    { "2026-11-29T00:00:00+01:00", TRUE },  /* Sunday 00:00 */
    { "2026-11-29T12:00:00+01:00", TRUE },  /* Sunday noon */
    { "2026-11-29T23:59:59+01:00", TRUE },  /* Sunday 23:59:59 */
    { "2026-11-30T00:00:00+01:00", FALSE }, /* Monday 00:00 */
    { "2026-11-28T23:59:59+01:00", FALSE }, /* Saturday 23:59:59 */
  };
  static const Probe until_midnight[] = {
    { "2026-11-30T20:00:00+01:00", TRUE },  /* Monday 20:00 */
    { "2026-11-30T23:59:00+01:00", TRUE },  /* Monday 23:59 */
    { "2026-12-01T00:00:00+01:00", FALSE }, /* Tuesday 00:00 */
    { "2026-11-30T19:59:00+01:00", FALSE },
  };
  g_autoptr(GTimeZone) tz = amsterdam();

  if (tz == NULL)
    return;
  assert_probes("sat-mon 10:00-12:00", sat_mon, G_N_ELEMENTS(sat_mon), tz);
  assert_probes("sun 22:00-02:00", sun_night, G_N_ELEMENTS(sun_night), tz);
  assert_probes("sun 00:00-24:00", whole_day, G_N_ELEMENTS(whole_day), tz);
  assert_probes("mon 20:00-24:00", until_midnight, G_N_ELEMENTS(until_midnight), tz);
  g_assert_cmpint(minutes_inside("sat-mon 22:00-02:00", "2026-11-23T00:00:00+01:00",
                                 "2026-11-30T00:00:00+01:00", tz),
                  ==,
                  2 * 60 /* Monday 00:00-02:00 from the Sunday before */ + 2 * 4 * 60
                      + 2 * 60 /* Sunday 22:00-24:00 */);
}

static void
test_contain_daily(void)
{
  static const Probe mornings[] = {
    { "2026-11-23T07:00:00+01:00", TRUE }, /* Monday */
    { "2026-11-25T08:59:59+01:00", TRUE }, /* Wednesday */
    { "2026-11-29T07:30:00+01:00", TRUE }, /* Sunday */
    { "2026-11-29T09:00:00+01:00", FALSE }, { "2026-11-29T06:59:59+01:00", FALSE },
    { "2026-07-01T07:30:00+02:00", TRUE }, /* summer time */
    { "2026-07-01T06:30:00+02:00", FALSE },
  };
  static const Probe nights[] = {
    { "2026-11-23T01:00:00+01:00", TRUE }, /* Monday 01:00, from Sunday */
    { "2026-11-25T23:00:00+01:00", TRUE },
    { "2026-11-25T02:00:00+01:00", FALSE },
  };
  g_autoptr(GTimeZone) tz = amsterdam();

  if (tz == NULL)
    return;
  assert_probes("daily 07:00-09:00", mornings, G_N_ELEMENTS(mornings), NULL);
  assert_probes("daily 22:00-02:00", nights, G_N_ELEMENTS(nights), NULL);
  g_assert_cmpint(minutes_inside("daily 07:00-09:00", "2026-11-23T00:00:00+01:00",
                                 "2026-11-30T00:00:00+01:00", NULL),
                  ==, 7 * 2 * 60);
}

/* Weekly windows follow the wall clock across the DST changes of 2026. */
static void
test_contain_dst(void)
{
  static const Probe spring[] = {
    { "2026-03-28T22:00:00+01:00", TRUE },  /* Saturday 22:00 */
    { "2026-03-29T01:59:59+01:00", TRUE },  /* the last second of winter time */
    { "2026-03-29T03:00:00+02:00", TRUE },  /* the next second: 03:00 summer time */
    { "2026-03-29T03:59:00+02:00", TRUE },  /* Sunday 03:59 */
    { "2026-03-29T04:00:00+02:00", FALSE }, /* Sunday 04:00 local (02:00Z) */
    { "2026-03-29T04:00:00+01:00", FALSE }, /* 03:00Z, 05:00 local */
  };
  static const Probe autumn[] = {
    { "2026-10-24T22:00:00+02:00", TRUE }, /* Saturday 22:00 summer time */
    { "2026-10-24T21:59:00+02:00", FALSE },
    { "2026-10-25T02:30:00+02:00", TRUE }, /* 02:30 the first time */
    { "2026-10-25T02:30:00+01:00", TRUE }, /* 02:30 the second time */
    { "2026-10-25T03:59:00+01:00", TRUE },
    { "2026-10-25T04:00:00+01:00", FALSE }, /* Sunday 04:00 winter time (03:00Z) */
    { "2026-10-25T04:00:00+02:00", TRUE },  /* 02:00Z is 03:00 winter time: still inside */
  };
  static const Probe missing_hour[] = {
    { "2026-03-29T01:59:00+01:00", FALSE }, { "2026-03-29T03:00:00+02:00", FALSE },
    { "2026-10-25T02:00:00+02:00", TRUE },  { "2026-10-25T02:59:00+01:00", TRUE },
    { "2026-10-25T03:00:00+01:00", FALSE },
  };
  static const Probe morning_after[] = {
    { "2026-03-29T07:00:00+02:00", TRUE }, /* 05:00Z */
    { "2026-03-29T06:30:00+01:00", TRUE }, /* 05:30Z is 07:30 summer time */
    { "2026-03-29T06:59:00+02:00", FALSE }, { "2026-10-25T07:00:00+01:00", TRUE }, /* 06:00Z */
    { "2026-10-25T07:30:00+02:00", FALSE }, /* 05:30Z is 06:30 winter time */
  };
  g_autoptr(GTimeZone) tz = amsterdam();

  if (tz == NULL)
    return;
  assert_probes("sat 22:00-04:00", spring, G_N_ELEMENTS(spring), tz);
  assert_probes("sat 22:00-04:00", autumn, G_N_ELEMENTS(autumn), tz);
  /* The night is 5 hours when the clock jumps forward, 7 when it goes back. */
  g_assert_cmpint(
      minutes_inside("sat 22:00-04:00", "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z", tz), ==,
      5 * 60);
  g_assert_cmpint(
      minutes_inside("sat 22:00-04:00", "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z", tz), ==,
      7 * 60);
  /* 02:00-03:00 does not exist on the spring Sunday, and happens twice on the autumn one. */
  assert_probes("sun 02:00-03:00", missing_hour, G_N_ELEMENTS(missing_hour), tz);
  g_assert_cmpint(
      minutes_inside("sun 02:00-03:00", "2026-03-29T00:00:00Z", "2026-03-29T04:00:00Z", tz), ==, 0);
  g_assert_cmpint(
      minutes_inside("sun 02:00-03:00", "2026-10-24T22:00:00Z", "2026-10-25T04:00:00Z", tz), ==,
      2 * 60);
  assert_probes("sun 07:00-08:00", morning_after, G_N_ELEMENTS(morning_after), NULL);
  /* The whole day is 23 and 25 hours long. */
  g_assert_cmpint(
      minutes_inside("sun 00:00-24:00", "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z", tz), ==,
      23 * 60);
  g_assert_cmpint(
      minutes_inside("sun 00:00-24:00", "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z", tz), ==,
      25 * 60);
}

static void
test_contain_absolute(void)
{
  static const Probe probes[] = {
    { "2026-12-31T20:00:00+01:00", TRUE }, /* the start is inside */
    { "2026-12-31T19:59:59.999+01:00", FALSE },
    { "2027-01-01T00:00:00+01:00", TRUE },
    { "2027-01-01T03:59:59.999+01:00", TRUE },
    { "2027-01-01T04:00:00+01:00", FALSE }, /* the end is not */
    { "2027-12-31T21:00:00+01:00", FALSE }, /* a year later: not weekly */
    { "2025-12-31T21:00:00+01:00", FALSE },
  };
  g_autoptr(GArray) windows = parse_ok("2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  gint64 end = at("2027-01-01T03:00:00Z");

  assert_probes("2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00", probes, G_N_ELEMENTS(probes),
                NULL);
  /* To the tick, and in any time zone. */
  g_assert_true(uk_watch_windows_contain(windows, end - 1, NULL));
  g_assert_false(uk_watch_windows_contain(windows, end, NULL));
  g_assert_true(uk_watch_windows_contain(windows, end - 1, utc));
  g_assert_cmpint(minutes_inside("2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00",
                                 "2026-12-31T00:00:00Z", "2027-01-02T00:00:00Z", NULL),
                  ==, 8 * 60);
}

/* Several windows of both kinds: one is enough. */
static void
test_contain_mixed(void)
{
  static const Probe probes[] = {
    { "2026-11-27T23:00:00+01:00", TRUE },  /* Friday night */
    { "2026-11-25T07:30:00+01:00", TRUE },  /* Wednesday morning */
    { "2026-11-25T10:30:00+01:00", TRUE },  /* Wednesday 10:30 */
    { "2026-11-24T10:30:00+01:00", FALSE }, /* Tuesday 10:30 */
    { "2026-12-31T23:00:00+01:00", TRUE },  /* New Year's Eve (a Thursday) */
    { "2026-12-24T23:00:00+01:00", FALSE }, /* a Thursday night a week earlier */
  };

  assert_probes("fri-sat 22:00-04:00; daily 07:00-09:00; mon,wed 10:00-11:00; "
                "2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00",
                probes, G_N_ELEMENTS(probes), NULL);
}

/* The time zone is a parameter; NULL is Europe/Amsterdam. */
static void
test_contain_time_zone(void)
{
  g_autoptr(GArray) windows = parse_ok("fri 22:00-23:00");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  g_autoptr(GTimeZone) tz = amsterdam();
  gint64 t = at("2026-11-27T22:30:00Z");

  if (tz == NULL)
    return;
  g_assert_true(uk_watch_windows_contain(windows, t, utc));
  g_assert_false(uk_watch_windows_contain(windows, t, tz));
  g_assert_false(uk_watch_windows_contain(windows, t, NULL));
  g_assert_true(uk_watch_windows_contain(windows, at("2026-11-27T21:30:00Z"), NULL));
}

static void
test_contain_edges(void)
{
  g_autoptr(GArray) empty = parse_ok(NULL);
  g_autoptr(GArray) daily = parse_ok("daily 00:00-24:00");
  g_autoptr(GArray) thursday = parse_ok("thu 00:00-24:00");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();

  g_assert_false(uk_watch_windows_contain(NULL, at("2026-11-27T22:30:00Z"), NULL));
  g_assert_false(uk_watch_windows_contain(empty, at("2026-11-27T22:30:00Z"), NULL));
  g_assert_true(uk_watch_windows_contain(daily, at("2026-11-27T22:30:00Z"), NULL));
  /* Instants GDateTime cannot hold are in no weekly window; negative ones round down. */
  g_assert_false(uk_watch_windows_contain(daily, G_MAXINT64, NULL));
  g_assert_false(uk_watch_windows_contain(daily, G_MININT64, NULL));
  /* 1970-01-01 was a Thursday. One tick before the epoch is Wednesday 23:59:59 in UTC (the
   * second is rounded down, not toward zero), and Thursday 00:59:59 in Amsterdam. */
  g_assert_true(uk_watch_windows_contain(thursday, 0, utc));
  g_assert_false(uk_watch_windows_contain(thursday, -1, utc));
  g_assert_true(uk_watch_windows_contain(thursday, -1, NULL));
}

static void
test_describe(void)
{
  static const struct {
    const char *text;
    const char *described;
  } cases[] = {
    { "fri-sat 22:00-04:00; sun 12:00-18:00", "vr-za 22:00-04:00; zo 12:00-18:00" },
    { "daily 08:00-09:00", "dagelijks 08:00-09:00" },
    { "mon-sun 08:00-09:00", "dagelijks 08:00-09:00" },
    { "mon,wed 10:00-11:00", "ma,wo 10:00-11:00" },
    { "mon,wed-fri 7:30-9:00", "ma,wo-vr 07:30-09:00" },
    { "sat-mon 22:00-02:00", "za-ma 22:00-02:00" },
    { "sun,mon,wed 10:00-11:00", "wo,zo-ma 10:00-11:00" },
    { "fri,sat 10:00-11:00", "vr-za 10:00-11:00" },
    { "sat,fri 10:00-11:00", "vr-za 10:00-11:00" },
    { "mon-sat 10:00-11:00", "ma-za 10:00-11:00" },
    { "tue-mon 10:00-11:00", "dagelijks 10:00-11:00" },
    { "thu,tue,sun 10:00-11:00", "di,do,zo 10:00-11:00" },
    { "sun 00:00-24:00", "zo 00:00-24:00" },
    { "mon 20:00-24:00", "ma 20:00-24:00" },
    { "2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00",
      "31-12-2026 20:00 tot 01-01-2027 04:00" },
    { "2026-07-01T10:00:00Z/2026-07-01T12:00:00Z", "01-07-2026 12:00 tot 01-07-2026 14:00" },
    { "", "" },
  };
  g_autoptr(GTimeZone) tz = amsterdam();

  if (tz == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GArray) windows = parse_ok(cases[i].text);
    g_autofree gchar *described = uk_watch_windows_describe(windows);

    g_assert_cmpstr(described, ==, cases[i].described);
  }
  {
    g_autofree gchar *described = uk_watch_windows_describe(NULL);

    g_assert_cmpstr(described, ==, "");
  }
}

int
main(int argc, char *argv[])
{
  g_test_init(&argc, &argv, NULL);

  g_test_add_func("/windows/parse", test_parse);
  g_test_add_func("/windows/parse-empty", test_parse_empty);
  g_test_add_func("/windows/parse-errors", test_parse_errors);
  g_test_add_func("/windows/contain/weekly", test_contain_weekly);
  g_test_add_func("/windows/contain/wrap", test_contain_wrap);
  g_test_add_func("/windows/contain/daily", test_contain_daily);
  g_test_add_func("/windows/contain/dst", test_contain_dst);
  g_test_add_func("/windows/contain/absolute", test_contain_absolute);
  g_test_add_func("/windows/contain/mixed", test_contain_mixed);
  g_test_add_func("/windows/contain/time-zone", test_contain_time_zone);
  g_test_add_func("/windows/contain/edges", test_contain_edges);
  g_test_add_func("/windows/describe", test_describe);

  return g_test_run();
}
