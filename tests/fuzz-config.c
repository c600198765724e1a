/* libFuzzer target: the config loader (config/uk-config.c, config/uk-windows.c).
 *
 * Each input is a whole config file, loaded by the real loader
 * (uk_config_load_from_data, the same code as uk_config_load after reading the
 * file), including the [designation:ID] / [risk_area:ID] / [retention] /
 * [storage] min_free / live-watch window sections. A config that loads must
 * satisfy what the rest of uitkijk relies on: valid ids, every camera,
 * designation and risk area in a declared area, ranges as documented in
 * uk-config.h, absolute paths. Live-watch windows are then evaluated at a few
 * instants around the DST changes in Europe/Amsterdam. Build and run:
 * tests/run-fuzz.sh (seeds: config/uitkijk.conf.example and the test configs). */
#include "uk-config.h"
#include "uk-windows.h"

#include <stdint.h>
#include <string.h>

static void
check_id(const char *id)
{
  g_assert(id != NULL && uk_config_id_is_valid(id));
}

static void
check_windows(const GArray *windows, GTimeZone *tz)
{
  g_assert(windows != NULL);
  /* 2026-03-29 01:00 UTC (spring forward), 2026-10-25 01:00 UTC (fall back), and
   * both sides of them; a year before the epoch and one far away. */
  static const gint64 instants_s[]
      = { 1774746000,     1774746000 - 1,    1774746000 + 3599, 1792890000,
          1792890000 - 1, 1792890000 + 3599, -31536000,         0,
          4102444800 };
  for (gsize i = 0; i < G_N_ELEMENTS(instants_s); i++)
    (void)uk_watch_windows_contain(windows, instants_s[i] * 90000, tz);
  g_autofree gchar *text = uk_watch_windows_describe(windows);
  g_assert(text != NULL && g_utf8_validate(text, -1, NULL));
  for (guint i = 0; i < windows->len; i++) {
    const UkWatchWindow *w = &g_array_index(windows, UkWatchWindow, i);
    if (w->from_90k != 0)
      g_assert_cmpint(w->to_90k, >, w->from_90k);
    else
      g_assert(w->days != 0 && w->days < 0x80 && w->start_min < 24 * 60 && w->end_min <= 24 * 60);
  }
}

static void
check(const UkConfig *c, GTimeZone *tz)
{
  g_assert(c->storage_path && g_path_is_absolute(c->storage_path));
  g_assert(c->database_path && g_path_is_absolute(c->database_path));
  g_assert(c->listen_host != NULL);
  g_assert(c->session_minutes >= 5 && c->session_minutes <= 1440);
  g_assert(c->lockout_failures >= 1 && c->lockout_failures <= 100);
  g_assert(c->lockout_minutes >= 1 && c->lockout_minutes <= 1440);
  g_assert(c->segment_seconds >= 2 && c->segment_seconds <= 3600);
  g_assert(c->min_free_percent <= 90);
  g_assert(c->footage_days >= 1 && c->footage_days <= 28);
  g_assert(c->export_link_days >= 1 && c->export_link_days <= 90);
  g_assert(c->incident_active_days >= 1 && c->incident_active_days <= 365);
  g_assert(c->incident_delete_days >= c->incident_active_days && c->incident_delete_days <= 1825);
  g_assert(c->incident_categories != NULL && c->incident_actions != NULL);
  if (c->tls_cert || c->tls_key)
    g_assert(c->tls_cert && c->tls_key && g_path_is_absolute(c->tls_cert)
             && g_path_is_absolute(c->tls_key));

  for (guint i = 0; i < c->areas->len; i++) {
    const UkAreaConfig *a = c->areas->pdata[i];
    check_id(a->id);
    g_assert(a->name != NULL);
    g_assert(uk_config_find_area(c, a->id) == a);
  }
  for (guint i = 0; i < c->cameras->len; i++) {
    const UkCameraConfig *cam = c->cameras->pdata[i];
    check_id(cam->id);
    g_assert(cam->name != NULL && cam->url != NULL);
    g_assert(g_ascii_strncasecmp(cam->url, "rtsp://", 7) == 0
             || g_ascii_strncasecmp(cam->url, "rtsps://", 8) == 0);
    g_assert(uk_config_find_area(c, cam->area) != NULL);
    g_assert(uk_config_find_camera(c, cam->id) == cam);
  }
  for (guint i = 0; i < c->designations->len; i++) {
    const UkDesignationConfig *d = c->designations->pdata[i];
    check_id(d->id);
    g_assert(uk_config_find_area(c, d->area) != NULL);
    g_assert(d->decision != NULL && d->decided_by != NULL);
    g_assert(d->kind == UK_DESIGNATION_STANDING || d->kind == UK_DESIGNATION_EVENT);
    g_assert_cmpint(d->valid_until_90k, >, d->valid_from_90k);
    g_assert(uk_config_find_designation(c, d->id) == d);
    check_windows(d->live_watch, tz);
  }
  for (guint i = 0; i < c->risk_areas->len; i++) {
    const UkRiskAreaConfig *r = c->risk_areas->pdata[i];
    check_id(r->id);
    g_assert(uk_config_find_area(c, r->area) != NULL);
    g_assert(r->decision != NULL && r->prosecutor != NULL);
    g_assert_cmpint(r->valid_until_90k, >, r->valid_from_90k);
    g_assert(uk_config_find_risk_area(c, r->id) == r);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static GTimeZone *tz;
  if (!tz) {
    tz = g_time_zone_new_identifier("Europe/Amsterdam");
    g_assert(tz);
  }
  if (size > 256 * 1024)
    return 0;
  g_autoptr(GError) error = NULL;
  /* Not nul-terminated on purpose: the loader gets the length. */
  g_autofree gchar *copy = g_memdup2(data, size);
  g_autoptr(UkConfig) config
      = uk_config_load_from_data(copy ? copy : "", size, "/srv/uitkijk", &error);
  if (config) {
    g_assert(error == NULL);
    check(config, tz);
  } else {
    g_assert(error != NULL && error->message != NULL);
  }
  return 0;
}
