/* uk-windows: live-watch windows of a designation (Gemeentewet art. 151c lid 3: the periods in
 * which the images are in any case watched live).
 *
 * A window is either weekly ("fri-sat 22:00-04:00": from 22:00 on every Friday and Saturday
 * until 04:00 the next morning, in local wall-clock time, Europe/Amsterdam) or absolute
 * ("2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00": one stretch of time). Every window
 * includes its start and excludes its end. GLib only; parse errors are UK_CONFIG_ERROR_INVALID
 * (uk-config.h). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint64 from_90k, to_90k; /* an absolute window when from_90k != 0 (then days/start/end unused) */
  guint8 days;             /* weekly: bit 0 Monday .. bit 6 Sunday: the days the window STARTS on */
  guint16 start_min, end_min; /* minutes after local midnight (Europe/Amsterdam); end <= start:
                                 runs past midnight into the next day; start == end: the whole
                                 day */
} UkWatchWindow;

/* Parses "fri-sat 22:00-04:00; sun 12:00-18:00; daily 08:00-09:00; mon,wed 10:00-11:00;
 * 2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00": items separated by ';'. A weekly item is
 * days, blank space, then HH:MM-HH:MM. Days are day names (mon tue wed thu fri sat sun, any case),
 * ranges a-b that wrap around the week (sat-mon), lists with ',' of both, or 'daily'. The end
 * may be 24:00; an end at or before the start runs past midnight; 00:00-24:00 (or 00:00-00:00) is
 * the whole day (stored as start == end == 0); any other equal start and end is refused. An
 * absolute item is two RFC 3339 times separated by '/', the second one later. Empty or NULL (or
 * only blank) text: an empty array. FALSE with a message naming the item on anything else (an empty
 * item too). (element-type UkWatchWindow) (transfer full) */
gboolean uk_watch_windows_parse(const char *text, GArray **out, GError **error);

/* TRUE when t_90k (UTC) falls in one of the windows, with weekly windows read in @tz (NULL:
 * Europe/Amsterdam, or the local time zone when that is unavailable). A window that starts
 * Friday 22:00 and ends 04:00 covers Saturday 00:00-04:00 too. Weekly windows are local
 * wall-clock times: across a DST change a window is an hour shorter or longer. @windows may be
 * NULL (no windows). */
gboolean uk_watch_windows_contain(const GArray *windows, gint64 t_90k, GTimeZone *tz);

/* The windows as Dutch text for the console, e.g. "vr-za 22:00-04:00; zo 12:00-18:00";
 * 'dagelijks' for every day, absolute windows as "31-12-2026 20:00 tot 01-01-2027 04:00" in
 * Europe/Amsterdam time. Empty text when there are none. (transfer full) */
gchar *uk_watch_windows_describe(const GArray *windows);

G_END_DECLS
