/* uk-time: wall-clock time in 90 kHz ticks since the Unix epoch, and RFC 3339.
 *
 * Every wall-clock instant in uitkijk is a gint64 count of 90 kHz ticks since
 * 1970-01-01T00:00:00Z (names end in _90k). 90 kHz is the RTP video clock, so
 * media and wall time share one unit (docs/TIME.md). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UK_TIME_HZ 90000
#define UK_TIME_ERROR (uk_time_error_quark())
GQuark uk_time_error_quark(void);

/* Current wall-clock time (g_get_real_time), in 90 kHz ticks. */
gint64 uk_time_now_90k(void);

/* Parses RFC 3339 ("2026-11-28T21:14:03.120Z", "2026-11-28T22:14:03+01:00"; any
 * number of fraction digits, 'T' or ' ' as separator). Returns FALSE and sets
 * @error (UK_TIME_ERROR, 0) with a message quoting the input when it is not one. */
gboolean uk_time_parse_rfc3339(const char *text, gint64 *out_90k, GError **error);

/* Formats @t_90k as UTC RFC 3339 with milliseconds, rounding *up* to the next
 * millisecond, so that parsing the result gives an instant >= @t_90k that still
 * lies within the same 40 ms frame. (transfer full) */
gchar *uk_time_format_rfc3339(gint64 t_90k);

/* Conversions. */
static inline gint64
uk_time_90k_from_us(gint64 us)
{
  return us * 9 / 100;
}
static inline gint64
uk_time_us_from_90k(gint64 t_90k)
{
  return t_90k * 100 / 9;
}

G_END_DECLS
