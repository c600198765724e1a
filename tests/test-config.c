/* test-config: unit tests for config/uk-config (loading and validating uitkijk.conf).
 *
 * The documented example config/uitkijk.conf.example must load. It is found through
 * $UK_SOURCE_DIR (the source tree's top folder) when set, else next to this file. Every
 * error case is a row in error_cases and becomes a test of its own. */

#include "uk-config.h"
#include "uk-time.h"

#include <glib/gstdio.h>
#include <string.h>

/* The smallest valid configuration, in parts to build cases from. */
#define STORAGE "[storage]\npath = /srv/uitkijk\n"
#define AREA "[area:a]\nname = A\n"
#define CAMERA "[camera:c]\narea = a\nurl = rtsp://192.0.2.1/stream\n"
#define MINIMAL STORAGE AREA CAMERA
/* A period, and the smallest valid designation and risk area for area a. */
#define PERIOD "valid_from = 2026-01-01T00:00:00+01:00\nvalid_until = 2027-01-01T00:00:00+01:00\n"
#define DESIGNATION "[designation:d]\narea = a\ndecision = Besluit 1\n" PERIOD
#define RISK_AREA "[risk_area:r]\narea = a\ndecision = Besluit 2\nprosecutor = mr. X\n" PERIOD

static UkConfig *
load_ok(const char *data)
{
  g_autoptr(GError) error = NULL;
  UkConfig *config = uk_config_load_from_data(data, strlen(data), "/etc/uitkijk", &error);

  g_assert_no_error(error);
  g_assert_nonnull(config);
  return config;
}

static gint64
time_90k(const char *text)
{
  g_autoptr(GError) error = NULL;
  gint64 t_90k = 0;

  g_assert_true(uk_time_parse_rfc3339(text, &t_90k, &error));
  g_assert_no_error(error);
  return t_90k;
}

static gchar *
example_path(void)
{
  const char *source_dir = g_getenv("UK_SOURCE_DIR");
  g_autofree gchar *test_dir = NULL;

  if (source_dir != NULL)
    return g_build_filename(source_dir, "config", "uitkijk.conf.example", NULL);
  test_dir = g_path_get_dirname(__FILE__);
  return g_build_filename(test_dir, "..", "config", "uitkijk.conf.example", NULL);
}

static void
test_example(void)
{
  g_autofree gchar *path = example_path();
  g_autoptr(GError) error = NULL;
  g_autoptr(UkConfig) config = uk_config_load(path, &error);
  const UkAreaConfig *area;
  const UkCameraConfig *camera;
  const UkDesignationConfig *designation;
  const UkRiskAreaConfig *risk_area;
  g_autofree gchar *live_watch = NULL;

  g_assert_no_error(error);
  g_assert_nonnull(config);
  g_assert_true(g_path_is_absolute(config->path));

  g_assert_cmpstr(config->listen_host, ==, "127.0.0.1");
  g_assert_cmpuint(config->listen_port, ==, 8080);
  g_assert_cmpstr(config->storage_path, ==, "/var/lib/uitkijk");
  g_assert_cmpstr(config->database_path, ==, "/var/lib/uitkijk/uitkijk.db");
  g_assert_cmpuint(config->segment_seconds, ==, 60);

  g_assert_cmpuint(config->areas->len, ==, 2);
  area = g_ptr_array_index(config->areas, 0);
  g_assert_cmpstr(area->id, ==, "station");
  g_assert_cmpstr(area->name, ==, "Stationsgebied Emmen");
  area = g_ptr_array_index(config->areas, 1);
  g_assert_cmpstr(area->id, ==, "centrum");
  g_assert_cmpstr(area->name, ==, "Centrum/uitgaansgebied");

  g_assert_cmpuint(config->cameras->len, ==, 3);
  camera = g_ptr_array_index(config->cameras, 0);
  g_assert_cmpstr(camera->id, ==, "station-1");
  g_assert_cmpstr(camera->name, ==, "Station 1");
  g_assert_cmpstr(camera->area, ==, "station");
  g_assert_cmpstr(camera->url, ==, "rtsp://192.0.2.11:554/stream1");
  g_assert_cmpstr(camera->location, ==, "Stationsplein, zijde busstation");
  g_assert_cmpint(camera->transport, ==, UK_TRANSPORT_TCP);
  camera = g_ptr_array_index(config->cameras, 2);
  g_assert_cmpstr(camera->id, ==, "hoofdstraat");
  g_assert_cmpstr(camera->area, ==, "centrum");
  g_assert_cmpstr(camera->url, ==, "rtsps://192.0.2.21:322/live/main");
  g_assert_cmpint(camera->transport, ==, UK_TRANSPORT_UDP);

  g_assert_true(uk_config_find_camera(config, "station-2")
                == g_ptr_array_index(config->cameras, 1));
  g_assert_true(uk_config_find_area(config, "centrum") == g_ptr_array_index(config->areas, 1));

  g_assert_cmpstr(config->min_free_text, ==, "5%");
  g_assert_cmpuint(config->min_free_percent, ==, 5);
  g_assert_cmpuint(config->min_free_bytes, ==, 0);
  g_assert_cmpuint(config->footage_days, ==, 28);

  g_assert_cmpuint(config->designations->len, ==, 2);
  designation = g_ptr_array_index(config->designations, 0);
  g_assert_true(uk_config_find_designation(config, "station-2026") == designation);
  g_assert_cmpstr(designation->id, ==, "station-2026");
  g_assert_cmpstr(designation->area, ==, "station");
  g_assert_cmpint(designation->kind, ==, UK_DESIGNATION_STANDING);
  g_assert_cmpstr(
      designation->decision, ==,
      "Aanwijzingsbesluit cameratoezicht Stationsgebied Emmen 2026, kenmerk Z/26/012345");
  g_assert_cmpstr(designation->decided_by, ==, "burgemeester");
  g_assert_cmpint(designation->valid_from_90k, ==, time_90k("2025-12-31T23:00:00Z"));
  g_assert_cmpint(designation->valid_until_90k, ==, time_90k("2026-12-31T23:00:00Z"));
  g_assert_cmpstr(designation->live_watch_text, ==, "fri-sat 22:00-04:00; daily 07:00-09:00");
  g_assert_cmpuint(designation->live_watch->len, ==, 2);
  live_watch = uk_watch_windows_describe(designation->live_watch);
  g_assert_cmpstr(live_watch, ==, "vr-za 22:00-04:00; dagelijks 07:00-09:00");
  g_assert_cmpstr(designation->dpia, ==, "DPIA-CT-2025-07");
  g_assert_true(designation->signage);

  designation = g_ptr_array_index(config->designations, 1);
  g_assert_cmpstr(designation->area, ==, "centrum");
  g_assert_cmpint(designation->kind, ==, UK_DESIGNATION_EVENT);
  g_assert_cmpuint(designation->live_watch->len, ==, 2);
  g_assert_nonnull(designation->dpia);
  /* Loaded although it cannot be activated yet. */
  g_assert_false(designation->signage);

  g_assert_cmpuint(config->risk_areas->len, ==, 1);
  risk_area = g_ptr_array_index(config->risk_areas, 0);
  g_assert_true(uk_config_find_risk_area(config, "station-151b") == risk_area);
  g_assert_cmpstr(risk_area->area, ==, "station");
  g_assert_cmpstr(risk_area->prosecutor, ==, "mr. A. de Vries, geraadpleegd 2026-01-05");
  g_assert_cmpint(risk_area->valid_from_90k, <, risk_area->valid_until_90k);
  /* A risk area is a record of its own, not a designation. */
  g_assert_null(uk_config_find_designation(config, "station-151b"));
}

static void
test_defaults(void)
{
  g_autoptr(UkConfig) config = load_ok(MINIMAL);
  const UkCameraConfig *camera = uk_config_find_camera(config, "c");

  g_assert_null(config->path);
  g_assert_cmpstr(config->listen_host, ==, "127.0.0.1");
  g_assert_cmpuint(config->listen_port, ==, 8080);
  g_assert_cmpstr(config->storage_path, ==, "/srv/uitkijk");
  g_assert_cmpstr(config->database_path, ==, "/srv/uitkijk/uitkijk.db");
  g_assert_cmpuint(config->segment_seconds, ==, 60);
  g_assert_nonnull(camera);
  g_assert_cmpstr(camera->name, ==, "c");
  g_assert_null(camera->location);
  g_assert_cmpint(camera->transport, ==, UK_TRANSPORT_TCP);

  g_assert_cmpuint(config->footage_days, ==, 28);
  g_assert_cmpstr(config->min_free_text, ==, "5%");
  g_assert_cmpuint(config->min_free_percent, ==, 5);
  g_assert_cmpuint(config->min_free_bytes, ==, 0);
  g_assert_nonnull(config->designations);
  g_assert_cmpuint(config->designations->len, ==, 0);
  g_assert_nonnull(config->risk_areas);
  g_assert_cmpuint(config->risk_areas->len, ==, 0);
  g_assert_null(uk_config_find_designation(config, "d"));
  g_assert_null(uk_config_find_designation(config, NULL));
  g_assert_null(uk_config_find_risk_area(config, "r"));
}

static void
test_footage_days(void)
{
  static const guint values[] = { 1, 7, 27, 28 };

  for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
    g_autofree gchar *data = g_strdup_printf(STORAGE "[retention]\nfootage_days = %u\n", values[i]);
    g_autoptr(UkConfig) config = load_ok(data);

    g_assert_cmpuint(config->footage_days, ==, values[i]);
  }
}

static void
test_min_free_values(void)
{
  static const struct {
    const char *value;
    guint64 bytes;
    guint percent;
  } cases[] = {
    { "1073741824", G_GUINT64_CONSTANT(1073741824), 0 },
    { "1", 1, 0 },
    { "1K", 1024, 0 },
    { "500M", G_GUINT64_CONSTANT(500) * 1024 * 1024, 0 },
    { "20G", G_GUINT64_CONSTANT(20) * 1024 * 1024 * 1024, 0 },
    { "2T", G_GUINT64_CONSTANT(2) << 40, 0 },
    { "16777215T", G_GUINT64_CONSTANT(16777215) << 40, 0 },
    { "18446744073709551615", G_MAXUINT64, 0 },
    { "1%", 0, 1 },
    { "5%", 0, 5 },
    { "90%", 0, 90 },
    { "010%", 0, 10 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree gchar *data
        = g_strdup_printf("[storage]\npath = /s\nmin_free = %s\n", cases[i].value);
    g_autoptr(UkConfig) config = load_ok(data);

    g_test_message("min_free = %s", cases[i].value);
    g_assert_cmpstr(config->min_free_text, ==, cases[i].value);
    g_assert_cmpuint(config->min_free_bytes, ==, cases[i].bytes);
    g_assert_cmpuint(config->min_free_percent, ==, cases[i].percent);
    /* Exactly one of the two. */
    g_assert_true((config->min_free_bytes != 0) != (config->min_free_percent != 0));
  }
}

/* A designation with only its required keys: defaults, and not activatable, yet loaded. */
static void
test_designation_defaults(void)
{
  g_autoptr(UkConfig) config = load_ok(MINIMAL DESIGNATION);
  const UkDesignationConfig *designation = uk_config_find_designation(config, "d");
  g_autofree gchar *described = NULL;

  g_assert_nonnull(designation);
  g_assert_cmpuint(config->designations->len, ==, 1);
  g_assert_cmpstr(designation->id, ==, "d");
  g_assert_cmpstr(designation->area, ==, "a");
  g_assert_cmpint(designation->kind, ==, UK_DESIGNATION_STANDING);
  g_assert_cmpstr(designation->decision, ==, "Besluit 1");
  g_assert_cmpstr(designation->decided_by, ==, "burgemeester");
  g_assert_cmpint(designation->valid_from_90k, ==, time_90k("2025-12-31T23:00:00Z"));
  g_assert_cmpint(designation->valid_until_90k, ==, time_90k("2026-12-31T23:00:00Z"));
  g_assert_null(designation->live_watch_text);
  g_assert_nonnull(designation->live_watch);
  g_assert_cmpuint(designation->live_watch->len, ==, 0);
  described = uk_watch_windows_describe(designation->live_watch);
  g_assert_cmpstr(described, ==, "");
  g_assert_null(designation->dpia);
  g_assert_false(designation->signage);
  g_assert_cmpuint(config->risk_areas->len, ==, 0);
}

static void
test_designation_values(void)
{
  g_autoptr(UkConfig) config
      = load_ok(MINIMAL "[designation:evenement-centrum]\n"
                        "signage = yes\n"
                        "dpia = DPIA-CT-2025-07\n"
                        "live_watch = fri-sat 22:00-04:00; 2026-06-20T18:00:00+02:00/"
                        "2026-06-21T02:00:00+02:00\n"
                        /* Keys are read in table order, not file order. */
                        "valid_until = 2026-06-22T00:00:00+02:00\n"
                        "valid_from = 2026-06-19T12:00:00+02:00\n"
                        "decided_by = locoburgemeester\n"
                        "decision = Evenement Centrum\n"
                        "kind = event\n"
                        "area = a\n" DESIGNATION);
  const UkDesignationConfig *event = uk_config_find_designation(config, "evenement-centrum");
  const UkWatchWindow *window;

  g_assert_cmpuint(config->designations->len, ==, 2);
  g_assert_true(g_ptr_array_index(config->designations, 0) == event);
  g_assert_true(g_ptr_array_index(config->designations, 1)
                == uk_config_find_designation(config, "d"));
  g_assert_cmpint(event->kind, ==, UK_DESIGNATION_EVENT);
  g_assert_cmpstr(event->decision, ==, "Evenement Centrum");
  g_assert_cmpstr(event->decided_by, ==, "locoburgemeester");
  g_assert_cmpint(event->valid_from_90k, ==, time_90k("2026-06-19T10:00:00Z"));
  g_assert_cmpint(event->valid_until_90k, ==, time_90k("2026-06-21T22:00:00Z"));
  g_assert_cmpstr(event->live_watch_text, ==,
                  "fri-sat 22:00-04:00; 2026-06-20T18:00:00+02:00/2026-06-21T02:00:00+02:00");
  g_assert_cmpuint(event->live_watch->len, ==, 2);
  window = &g_array_index(event->live_watch, UkWatchWindow, 0);
  g_assert_cmpuint(window->days, ==, (1u << 4) | (1u << 5));
  g_assert_cmpuint(window->start_min, ==, 22 * 60);
  g_assert_cmpuint(window->end_min, ==, 4 * 60);
  window = &g_array_index(event->live_watch, UkWatchWindow, 1);
  g_assert_cmpint(window->from_90k, ==, time_90k("2026-06-20T16:00:00Z"));
  g_assert_cmpint(window->to_90k, ==, time_90k("2026-06-21T00:00:00Z"));
  g_assert_cmpstr(event->dpia, ==, "DPIA-CT-2025-07");
  g_assert_true(event->signage);
}

static void
test_signage_values(void)
{
  static const struct {
    const char *value;
    gboolean signage;
  } cases[] = {
    { "yes", TRUE }, { "true", TRUE },   { "1", TRUE },
    { "no", FALSE }, { "false", FALSE }, { "0", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree gchar *data = g_strdup_printf(MINIMAL DESIGNATION "signage = %s\n", cases[i].value);
    g_autoptr(UkConfig) config = load_ok(data);

    g_assert_cmpint(uk_config_find_designation(config, "d")->signage, ==, cases[i].signage);
  }
}

static void
test_risk_area(void)
{
  g_autoptr(UkConfig) config = load_ok(MINIMAL RISK_AREA DESIGNATION);
  const UkRiskAreaConfig *risk_area = uk_config_find_risk_area(config, "r");

  g_assert_nonnull(risk_area);
  g_assert_cmpuint(config->risk_areas->len, ==, 1);
  g_assert_cmpstr(risk_area->id, ==, "r");
  g_assert_cmpstr(risk_area->area, ==, "a");
  g_assert_cmpstr(risk_area->decision, ==, "Besluit 2");
  g_assert_cmpstr(risk_area->prosecutor, ==, "mr. X");
  g_assert_cmpint(risk_area->valid_from_90k, ==, time_90k("2025-12-31T23:00:00Z"));
  g_assert_cmpint(risk_area->valid_until_90k, ==, time_90k("2026-12-31T23:00:00Z"));
  /* Its own record: the designation with another id is separate. */
  g_assert_cmpuint(config->designations->len, ==, 1);
  g_assert_null(uk_config_find_risk_area(config, "d"));
}

/* Areas and cameras are optional; only [storage] path is needed. */
static void
test_no_cameras(void)
{
  g_autoptr(UkConfig) config = load_ok(STORAGE);

  g_assert_cmpuint(config->areas->len, ==, 0);
  g_assert_cmpuint(config->cameras->len, ==, 0);
  g_assert_null(uk_config_find_camera(config, "c"));
  g_assert_null(uk_config_find_area(config, "a"));
  g_assert_null(uk_config_find_area(config, NULL));
}

static void
test_listen_values(void)
{
  static const struct {
    const char *value;
    const char *host;
    guint16 port;
  } cases[] = {
    { "127.0.0.1:8080", "127.0.0.1", 8080 },
    { "0.0.0.0:80", "0.0.0.0", 80 },
    { "localhost:1", "localhost", 1 },
    { "cams.emmen.example:65535", "cams.emmen.example", 65535 },
    { "host-1.example:443", "host-1.example", 443 },
    { "[::1]:8080", "::1", 8080 },
    { "[::]:8080", "::", 8080 },
    { "[2001:db8::7]:9000", "2001:db8::7", 9000 },
    { "127.0.0.1:8080   ", "127.0.0.1", 8080 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree gchar *data = g_strdup_printf("[server]\nlisten = %s\n" STORAGE, cases[i].value);
    g_autoptr(UkConfig) config = load_ok(data);

    g_assert_cmpstr(config->listen_host, ==, cases[i].host);
    g_assert_cmpuint(config->listen_port, ==, cases[i].port);
  }
}

static void
test_typed_values(void)
{
  g_autoptr(UkConfig) config
      = load_ok("[storage]\npath = /srv/uitkijk\nsegment_seconds = 2\n" AREA
                "[camera:c]\narea = a\nurl = RTSP://admin:geheim@192.0.2.1:554/s?ch=1&sub=0\n"
                "name = Camera\\sC \nlocation = Marktplein, \"zuid\"\ntransport = udp\n");
  g_autoptr(UkConfig) config_max = load_ok("[storage]\npath = /s\nsegment_seconds = 3600\n");
  const UkCameraConfig *camera = uk_config_find_camera(config, "c");

  g_assert_cmpuint(config->segment_seconds, ==, 2);
  g_assert_cmpuint(config_max->segment_seconds, ==, 3600);
  g_assert_cmpstr(camera->url, ==, "RTSP://admin:geheim@192.0.2.1:554/s?ch=1&sub=0");
  /* "\s" escapes a space; plain trailing blanks go. */
  g_assert_cmpstr(camera->name, ==, "Camera C");
  g_assert_cmpstr(camera->location, ==, "Marktplein, \"zuid\"");
  g_assert_cmpint(camera->transport, ==, UK_TRANSPORT_UDP);
}

static void
test_relative_paths(void)
{
  g_autoptr(UkConfig) relative = load_ok("[storage]\npath = data\ndatabase = idx/uk.db\n");
  g_autoptr(UkConfig) dotted = load_ok("[storage]\npath = ../lib/./uitkijk/\n");
  g_autoptr(UkConfig) absolute_db = load_ok("[storage]\npath = data\ndatabase = /db/uk.db\n");
  g_autoptr(UkConfig) from_cwd = NULL;
  g_autofree gchar *cwd = g_get_current_dir();
  g_autofree gchar *expected = g_build_filename(cwd, "data", NULL);

  g_assert_cmpstr(relative->storage_path, ==, "/etc/uitkijk/data");
  g_assert_cmpstr(relative->database_path, ==, "/etc/uitkijk/data/idx/uk.db");
  g_assert_cmpstr(dotted->storage_path, ==, "/etc/lib/uitkijk");
  g_assert_cmpstr(dotted->database_path, ==, "/etc/lib/uitkijk/uitkijk.db");
  g_assert_cmpstr(absolute_db->database_path, ==, "/db/uk.db");

  /* Without a base folder, relative paths are relative to the current one. */
  from_cwd = uk_config_load_from_data("[storage]\npath = data\n", (gsize)-1, NULL, NULL);
  g_assert_nonnull(from_cwd);
  g_assert_cmpstr(from_cwd->storage_path, ==, expected);
}

static void
test_file_order(void)
{
  g_autoptr(UkConfig) config
      = load_ok("[camera:z]\narea = m\nurl = rtsp://192.0.2.1/z\n" STORAGE
                "[area:m]\nname = M\n[camera:a]\narea = b\nurl = rtsp://192.0.2.1/a\n"
                "[area:b]\nname = B\n[camera:m]\narea = m\nurl = rtsp://192.0.2.1/m\n");
  static const char *const camera_ids[] = { "z", "a", "m" };
  static const char *const area_ids[] = { "m", "b" };

  g_assert_cmpuint(config->cameras->len, ==, G_N_ELEMENTS(camera_ids));
  for (guint i = 0; i < config->cameras->len; i++)
    g_assert_cmpstr(((UkCameraConfig *)g_ptr_array_index(config->cameras, i))->id, ==,
                    camera_ids[i]);
  g_assert_cmpuint(config->areas->len, ==, G_N_ELEMENTS(area_ids));
  for (guint i = 0; i < config->areas->len; i++)
    g_assert_cmpstr(((UkAreaConfig *)g_ptr_array_index(config->areas, i))->id, ==, area_ids[i]);
}

/* GKeyFile merges groups of the same name; that is accepted. */
static void
test_repeated_group(void)
{
  g_autoptr(UkConfig) config
      = load_ok(MINIMAL "[area:a]\nname = A2\n[storage]\nsegment_seconds = 10\n");

  g_assert_cmpuint(config->areas->len, ==, 1);
  g_assert_cmpstr(uk_config_find_area(config, "a")->name, ==, "A2");
  g_assert_cmpuint(config->segment_seconds, ==, 10);
}

static void
test_load_file(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp("test-config-XXXXXX", &error);
  g_autofree gchar *path = NULL;
  g_autofree gchar *bad_path = NULL;
  g_autofree gchar *missing_path = NULL;
  g_autofree gchar *expected_storage = NULL;
  g_autoptr(UkConfig) config = NULL;
  UkConfig *bad;

  g_assert_no_error(error);
  path = g_build_filename(dir, "uitkijk.conf", NULL);
  bad_path = g_build_filename(dir, "bad.conf", NULL);
  missing_path = g_build_filename(dir, "missing.conf", NULL);
  expected_storage = g_build_filename(dir, "recordings", NULL);

  g_file_set_contents(path, "[storage]\npath = recordings\n", -1, &error);
  g_assert_no_error(error);
  config = uk_config_load(path, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(config->path, ==, path);
  g_assert_cmpstr(config->storage_path, ==, expected_storage);

  /* Messages start with the file's path. */
  g_file_set_contents(bad_path, MINIMAL "[camera:station-1]\narea = a\n", -1, &error);
  g_assert_no_error(error);
  bad = uk_config_load(bad_path, &error);
  g_assert_null(bad);
  g_assert_error(error, UK_CONFIG_ERROR, UK_CONFIG_ERROR_MISSING);
  g_assert_true(g_str_has_prefix(error->message, bad_path));
  g_assert_nonnull(
      strstr(error->message, ": group [camera:station-1]: missing required key 'url'"));
  g_clear_error(&error);

  g_file_set_contents(bad_path, "[storage\n", -1, &error);
  g_assert_no_error(error);
  bad = uk_config_load(bad_path, &error);
  g_assert_null(bad);
  g_assert_error(error, UK_CONFIG_ERROR, UK_CONFIG_ERROR_PARSE);
  g_assert_true(g_str_has_prefix(error->message, bad_path));
  g_clear_error(&error);

  /* An unreadable file keeps GLib's file error. */
  bad = uk_config_load(missing_path, &error);
  g_assert_null(bad);
  g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  g_assert_cmpint(g_remove(path), ==, 0);
  g_assert_cmpint(g_remove(bad_path), ==, 0);
  g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
test_id_is_valid(void)
{
  static const char *const good[] = {
    "a", "0", "_", "station-1", "a_b-c9", "abcdefghijklmnopqrstuvwxyz012345", "x-",
  };
  static const char *const bad[] = {
    "",
    "-a",
    "A",
    "Station",
    "a b",
    "a.b",
    "a/b",
    "..",
    "a:b",
    "\xc3\xa9",
    "abcdefghijklmnopqrstuvwxyz0123456",
    "a\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
    g_assert_true(uk_config_id_is_valid(good[i]));
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_false(uk_config_id_is_valid(bad[i]));
  g_assert_false(uk_config_id_is_valid(NULL));
}

/* Loads @data, which must fail with @code and a message holding each of @expect (up to a
 * NULL). */
static void
assert_load_error(const char *data, UkConfigError code, const char *const *expect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UkConfig) config = uk_config_load_from_data(data, strlen(data), "/etc/uitkijk", &error);

  g_assert_null(config);
  g_assert_nonnull(error);
  g_test_message("message: %s", error->message);
  g_assert_error(error, UK_CONFIG_ERROR, (gint)code);
  for (gsize i = 0; expect[i] != NULL; i++) {
    if (strstr(error->message, expect[i]) == NULL)
      g_error("message \"%s\" lacks \"%s\"", error->message, expect[i]);
  }
  g_assert_true(g_utf8_validate(error->message, -1, NULL));
  /* No message shows a password from a URL. */
  g_assert_null(strstr(error->message, "geheim"));
}

typedef struct {
  const char *name;
  const char *data;
  UkConfigError code;
  const char *expect[3]; /* substrings of the message, up to a NULL */
} ErrorCase;

static const ErrorCase error_cases[] = {
  /* Not INI. */
  { "parse/no-group", "path = /srv\n", UK_CONFIG_ERROR_PARSE, { "start with a group" } },
  { "parse/garbage", STORAGE "hello\n", UK_CONFIG_ERROR_PARSE, { "hello" } },
  { "parse/open-bracket", "[storage\n", UK_CONFIG_ERROR_PARSE, { "[storage" } },

  /* Unknown groups and keys. */
  { "unknown/group",
    MINIMAL "[foo]\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "unknown group [foo]", "[camera:ID]" } },
  { "unknown/group-plural",
    MINIMAL "[cameras:x]\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "unknown group [cameras:x]" } },
  { "unknown/group-without-id",
    MINIMAL "[camera]\narea = a\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "unknown group [camera]" } },
  { "unknown/group-case",
    MINIMAL "[Server]\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "unknown group [Server]" } },
  { "unknown/group-not-utf8",
    STORAGE "[\xff]\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "unknown group [\\377]" } },
  { "unknown/server-key",
    MINIMAL "[server]\nport = 80\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [server]: unknown key 'port'", "listen" } },
  { "unknown/storage-key",
    "[storage]\npath = /s\nretention_days = 30\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [storage]: unknown key 'retention_days'" } },
  { "unknown/area-key",
    STORAGE "[area:a]\nname = A\ncolour = red\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [area:a]: unknown key 'colour'" } },
  { "unknown/camera-key",
    MINIMAL "[camera:x]\narea = a\nurl = rtsp://h/\nfoo = 1\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [camera:x]: unknown key 'foo'", "transport" } },
  { "unknown/key-case",
    STORAGE AREA "[camera:c]\narea = a\nURL = rtsp://h/\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [camera:c]: unknown key 'URL'" } },
  { "unknown/key-localized",
    MINIMAL "[area:b]\nname = B\nname[nl] = B\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [area:b]: unknown key 'name[nl]'" } },
  { "unknown/key-not-utf8",
    STORAGE "[area:a]\nname = A\nn\xffm = 1\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [area:a]: unknown key 'n\\377m'" } },

  /* Missing required keys. */
  { "missing/storage-group",
    AREA,
    UK_CONFIG_ERROR_MISSING,
    { "group [storage]: missing required key 'path'" } },
  { "missing/storage-path",
    "[storage]\nsegment_seconds = 60\n",
    UK_CONFIG_ERROR_MISSING,
    { "group [storage]: missing required key 'path'" } },
  { "missing/area-name",
    STORAGE "[area:a]\n",
    UK_CONFIG_ERROR_MISSING,
    { "group [area:a]: missing required key 'name'" } },
  { "missing/camera-area",
    STORAGE AREA "[camera:c]\nurl = rtsp://h/\n",
    UK_CONFIG_ERROR_MISSING,
    { "group [camera:c]: missing required key 'area'" } },
  { "missing/camera-url",
    STORAGE AREA "[camera:station-1]\narea = a\n",
    UK_CONFIG_ERROR_MISSING,
    { "group [camera:station-1]: missing required key 'url'" } },

  /* Bad values that need a message of their own; the plain ones are in bad_values. */
  { "invalid/comment-after-value",
    "[server]\nlisten = 127.0.0.1:8080 # web\n" STORAGE,
    UK_CONFIG_ERROR_INVALID,
    { "key 'listen'", "comments must be on a line of their own" } },
  { "invalid/control-in-path",
    "[storage]\npath = /srv\\nx\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [storage]: key 'path': invalid value '/srv\\x0ax'" } },
  { "invalid/control-in-name",
    STORAGE "[area:a]\nname = A\\tB\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [area:a]: key 'name': invalid value 'A\\x09B'" } },
  { "invalid/control-in-url",
    STORAGE AREA "[camera:c]\narea = a\nurl = rtsp://192.0.2.1/a\\tb\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [camera:c]: key 'url': invalid value 'rtsp://192.0.2.1/a\\x09b'" } },
  { "invalid/bad-escape",
    STORAGE "[area:a]\nname = A\\qB\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [area:a]: key 'name'" } },
  { "invalid/not-utf8",
    STORAGE "[area:a]\nname = A\xff\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [area:a]: key 'name'" } },
  { "invalid/url-password-hidden",
    STORAGE AREA "[camera:c]\narea = a\nurl = http://admin:geheim@192.0.2.1/s\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [camera:c]: key 'url': invalid value 'http://***@192.0.2.1/s'" } },
  { "invalid/id-not-ascii",
    STORAGE "[camera:caf\xc3\xa9]\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [camera:caf\xc3\xa9]: invalid id 'caf\xc3\xa9'" } },
  { "invalid/id-not-utf8",
    STORAGE "[camera:caf\xff]\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [camera:caf\\377]: invalid id 'caf\\377'" } },

  /* Retention and designations. */
  { "invalid/footage-days-over-legal-max",
    STORAGE "[retention]\nfootage_days = 29\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [retention]: key 'footage_days': invalid value '29'", "legal maximum is 28 days",
      "151c lid 9" } },
  { "invalid/footage-days-far-over-legal-max",
    STORAGE "[retention]\nfootage_days = 99999999999999999999\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [retention]: key 'footage_days'", "legal maximum is 28 days" } },
  { "unknown/retention-key",
    STORAGE "[retention]\nfootage = 28\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [retention]: unknown key 'footage'", "footage_days" } },
  { "unknown/group-designations",
    MINIMAL "[designations:d]\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "unknown group [designations:d]", "[designation:ID]", "[risk_area:ID]" } },
  { "unknown/designation-key",
    MINIMAL DESIGNATION "signs = yes\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [designation:d]: unknown key 'signs'", "signage" } },
  { "unknown/risk-area-key",
    MINIMAL RISK_AREA "live_watch = daily 08:00-09:00\n",
    UK_CONFIG_ERROR_UNKNOWN,
    { "group [risk_area:r]: unknown key 'live_watch'", "prosecutor" } },
  { "missing/designation-area",
    STORAGE AREA "[designation:d]\ndecision = D\n" PERIOD,
    UK_CONFIG_ERROR_MISSING,
    { "group [designation:d]: missing required key 'area'" } },
  { "missing/designation-decision",
    STORAGE AREA "[designation:d]\narea = a\n" PERIOD,
    UK_CONFIG_ERROR_MISSING,
    { "group [designation:d]: missing required key 'decision'" } },
  { "missing/designation-valid-from",
    STORAGE AREA "[designation:d]\narea = a\ndecision = D\nvalid_until = 2027-01-01T00:00:00Z\n",
    UK_CONFIG_ERROR_MISSING,
    { "group [designation:d]: missing required key 'valid_from'" } },
  { "missing/designation-valid-until",
    STORAGE AREA "[designation:d]\narea = a\ndecision = D\nvalid_from = 2026-01-01T00:00:00Z\n",
    UK_CONFIG_ERROR_MISSING,
    { "group [designation:d]: missing required key 'valid_until'" } },
  { "missing/risk-area-prosecutor",
    STORAGE AREA "[risk_area:r]\narea = a\ndecision = D\n" PERIOD,
    UK_CONFIG_ERROR_MISSING,
    { "group [risk_area:r]: missing required key 'prosecutor'", "officier van justitie" } },
  { "missing/risk-area-area",
    STORAGE AREA "[risk_area:r]\ndecision = D\nprosecutor = mr. X\n" PERIOD,
    UK_CONFIG_ERROR_MISSING,
    { "group [risk_area:r]: missing required key 'area'" } },
  { "missing/risk-area-valid-until",
    STORAGE AREA "[risk_area:r]\narea = a\ndecision = D\nprosecutor = mr. X\n"
                 "valid_from = 2026-01-01T00:00:00Z\n",
    UK_CONFIG_ERROR_MISSING,
    { "group [risk_area:r]: missing required key 'valid_until'" } },
  { "invalid/designation-until-before-from",
    STORAGE AREA
    "[designation:d]\narea = a\ndecision = D\n"
    "valid_from = 2026-06-01T00:00:00+02:00\nvalid_until = 2026-05-31T23:59:59+02:00\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [designation:d]: key 'valid_until': invalid value '2026-05-31T23:59:59+02:00'",
      "must be later than key 'valid_from'" } },
  { "invalid/designation-until-equals-from",
    STORAGE AREA "[designation:d]\narea = a\ndecision = D\n"
                 "valid_from = 2026-06-01T00:00:00+02:00\nvalid_until = 2026-05-31T22:00:00Z\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [designation:d]: key 'valid_until'", "must be later than key 'valid_from'" } },
  { "invalid/risk-area-until-before-from",
    STORAGE AREA
    "[risk_area:r]\narea = a\ndecision = D\nprosecutor = mr. X\n"
    "valid_until = 2026-01-01T00:00:00+01:00\nvalid_from = 2026-04-01T00:00:00+02:00\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [risk_area:r]: key 'valid_until': invalid value '2026-01-01T00:00:00+01:00'",
      "must be later than key 'valid_from'" } },
  { "invalid/live-watch-names-item",
    MINIMAL DESIGNATION "live_watch = fri-sat 22:00-04:00; zon 12:00-18:00\n",
    UK_CONFIG_ERROR_INVALID,
    { "group [designation:d]: key 'live_watch': invalid value 'fri-sat 22:00-04:00; zon",
      "live-watch item 2 'zon 12:00-18:00'", "'zon' is not a day" } },
};

static void
test_error_case(gconstpointer data)
{
  const ErrorCase *error_case = data;
  const char *expect[G_N_ELEMENTS(error_case->expect) + 1] = { NULL };

  for (gsize i = 0; i < G_N_ELEMENTS(error_case->expect); i++)
    expect[i] = error_case->expect[i];
  assert_load_error(error_case->data, error_case->code, expect);
}

/* Values a key rejects with UK_CONFIG_ERROR_INVALID; the config under test is
 * before + value + after. */
typedef struct {
  const char *name;
  const char *group;
  const char *key;
  const char *before;
  const char *after;
  const char *hint; /* part of the explanation of a valid value */
  const char *const *values;
} BadValues;

static const char *const bad_listen[] = {
  "",
  "127.0.0.1",
  "127.0.0.1:",
  ":8080",
  "127.0.0.1:0",
  "127.0.0.1:65536",
  "127.0.0.1:99999999999999999999999",
  "127.0.0.1:http",
  "127.0.0.1:-1",
  "127.0.0.1:+80",
  "127.0.0.1: 80",
  "127.0.0.1:80:81",
  "::1:8080",
  "::1",
  "[::1]",
  "[::1]8080",
  "[::1:8080",
  "[fe80::zz]:80",
  "[127.0.0.1]:80",
  "999.1.1.1:80",
  "1.2.3:80",
  "-host:80",
  "host-:80",
  "a..b:80",
  ".host:80",
  "my host:80",
  "host_name:80",
  "*:80",
  NULL,
};
static const char *const bad_segment_seconds[] = {
  "", "0", "1", "3601", "-5", "+60", "60s", "60.0", "1e3", "0x3c", "99999999999999999999", NULL,
};
static const char *const bad_url[] = {
  "",
  "http://192.0.2.1/stream",
  "rtmp://192.0.2.1/stream",
  "192.0.2.1/stream",
  "rtsp:192.0.2.1/stream",
  "rtsp://",
  "rtsp:///stream",
  "rtsp://192.0.2.1/my stream",
  "rtsp://192.0.2.1:99999/stream",
  "rtsp://192.0.2.1/%zz",
  NULL,
};
static const char *const bad_area_ref[] = { "", "nowhere", "A", "a b", NULL };
static const char *const bad_transport[] = { "", "TCP", "Udp", "http", "tcp,udp", NULL };
static const char *const bad_empty[] = { "", NULL };
static const char *const bad_footage_days[] = { "", "0", "-1", "+28", "28.0", "28d", "4w", NULL };
static const char *const bad_min_free[] = {
  "",          "0",
  "0K",        "0%",
  "95%",       "91%",
  "100%",      "-5%",
  "5.5%",      "%",
  "G",         "20X",
  "20GB",      "20GiB",
  "20g",       "20 G",
  "5 %",       "1.5G",
  "1e9",       "0x10",
  "16777216T", "18446744073709551616",
  "5%%",       "%5",
  NULL,
};
static const char *const bad_kind[] = { "", "Standing", "evenement", "standing,event", NULL };
static const char *const bad_time[] = {
  "",
  "2026-01-01",
  "2026-01-01T00:00:00",
  "2026-01-01T00:00+01:00",
  "2026-13-01T00:00:00Z",
  "01-01-2026 00:00",
  "1767222000",
  "tomorrow",
  NULL,
};
static const char *const bad_bool[]
    = { "", "maybe", "Yes", "ja", "nee", "2", "on", "yes no", NULL };
static const char *const bad_live_watch[] = {
  "fri-zat 22:00-04:00",
  "fri",
  "fri 22:00",
  "fri 22:00-",
  "22:00-04:00",
  "fri22:00-04:00",
  "fri 25:00-04:00",
  "fri 22:60-23:00",
  "fri 24:00-02:00",
  "fri 10:00-10:00",
  "fri 2200-0400",
  "fri 22:00-04:00-05:00",
  "fri 22:00-04:00;",
  "; fri 22:00-04:00",
  "fri-sat 22:00-04:00;; sun 12:00-18:00",
  "daily,mon 10:00-11:00",
  "mon,,wed 10:00-11:00",
  "mon- 10:00-11:00",
  "weekend 10:00-11:00",
  "2026-12-31T20:00:00+01:00",
  "2026-12-31T20:00:00+01:00/2026-12-31T19:00:00+01:00",
  "2026-12-31T20:00:00+01:00/2026-12-31T20:00:00+01:00",
  "2026-12-31T20:00:00/2027-01-01T04:00:00+01:00",
  "2026-12-31T20:00:00+01:00/2027-01-01T04:00:00+01:00/2027-01-02T04:00:00+01:00",
  NULL,
};

static const BadValues bad_values[] = {
  { "listen", "server", "listen", "[server]\nlisten = ", "\n" STORAGE, "HOST:PORT", bad_listen },
  { "segment_seconds", "storage", "segment_seconds", "[storage]\npath = /s\nsegment_seconds = ",
    "\n", "whole number from 2 to 3600", bad_segment_seconds },
  { "path", "storage", "path", "[storage]\npath = ", "\n", "path", bad_empty },
  { "database", "storage", "database", "[storage]\npath = /s\ndatabase = ", "\n", "path",
    bad_empty },
  { "area-name", "area:a", "name", STORAGE "[area:a]\nname = ", "\n", "text", bad_empty },
  { "camera-name", "camera:c", "name",
    STORAGE AREA "[camera:c]\narea = a\nurl = rtsp://h/\nname = ", "\n", "text", bad_empty },
  { "camera-area", "camera:c", "area", STORAGE AREA "[camera:c]\nurl = rtsp://h/\narea = ", "\n",
    "there is no group [area:", bad_area_ref },
  { "url", "camera:c", "url", STORAGE AREA "[camera:c]\narea = a\nurl = ", "\n",
    "rtsp:// or rtsps://", bad_url },
  { "location", "camera:c", "location",
    STORAGE AREA "[camera:c]\narea = a\nurl = rtsp://h/\nlocation = ", "\n", "text", bad_empty },
  { "transport", "camera:c", "transport",
    STORAGE AREA "[camera:c]\narea = a\nurl = rtsp://h/\ntransport = ", "\n", "one of: tcp, udp",
    bad_transport },
  { "footage_days", "retention", "footage_days", STORAGE "[retention]\nfootage_days = ", "\n",
    "whole number from 1 to 28", bad_footage_days },
  { "min_free", "storage", "min_free", "[storage]\npath = /s\nmin_free = ", "\n",
    "suffix K, M, G or T (powers of 1024)", bad_min_free },
  { "min_free-percent", "storage", "min_free", "[storage]\npath = /s\nmin_free = ", "\n",
    "from 1% to 90%", bad_min_free },
  { "designation-area", "designation:d", "area",
    STORAGE AREA "[designation:d]\ndecision = D\n" PERIOD "area = ", "\n",
    "there is no group [area:", bad_area_ref },
  { "designation-kind", "designation:d", "kind", MINIMAL DESIGNATION "kind = ", "\n",
    "one of: standing, event", bad_kind },
  { "designation-decision", "designation:d", "decision",
    STORAGE AREA "[designation:d]\narea = a\n" PERIOD "decision = ", "\n", "text", bad_empty },
  { "designation-decided_by", "designation:d", "decided_by",
    MINIMAL DESIGNATION "decided_by = ", "\n", "text", bad_empty },
  { "designation-valid_from", "designation:d", "valid_from",
    STORAGE AREA "[designation:d]\narea = a\ndecision = D\nvalid_until = 2027-01-01T00:00:00Z\n"
                 "valid_from = ",
    "\n", "RFC 3339", bad_time },
  { "designation-valid_until", "designation:d", "valid_until",
    STORAGE AREA "[designation:d]\narea = a\ndecision = D\nvalid_from = 2026-01-01T00:00:00Z\n"
                 "valid_until = ",
    "\n", "RFC 3339", bad_time },
  { "designation-live_watch", "designation:d", "live_watch",
    MINIMAL DESIGNATION "live_watch = ", "\n", "live-watch item", bad_live_watch },
  { "designation-live_watch-empty", "designation:d", "live_watch",
    MINIMAL DESIGNATION "live_watch = ", "\n", "leave the key out", bad_empty },
  { "designation-dpia", "designation:d", "dpia", MINIMAL DESIGNATION "dpia = ", "\n", "text",
    bad_empty },
  { "designation-signage", "designation:d", "signage", MINIMAL DESIGNATION "signage = ", "\n",
    "expected yes, no, true, false, 1 or 0", bad_bool },
  { "risk_area-area", "risk_area:r", "area",
    STORAGE AREA "[risk_area:r]\ndecision = D\nprosecutor = P\n" PERIOD "area = ", "\n",
    "there is no group [area:", bad_area_ref },
  { "risk_area-valid_from", "risk_area:r", "valid_from",
    STORAGE AREA "[risk_area:r]\narea = a\ndecision = D\nprosecutor = P\n"
                 "valid_until = 2027-01-01T00:00:00Z\nvalid_from = ",
    "\n", "RFC 3339", bad_time },
  { "risk_area-prosecutor", "risk_area:r", "prosecutor", MINIMAL RISK_AREA "prosecutor = ", "\n",
    "text", bad_empty },
};

static void
test_bad_values(gconstpointer data)
{
  const BadValues *bad = data;

  for (gsize i = 0; bad->values[i] != NULL; i++) {
    g_autofree gchar *config = g_strconcat(bad->before, bad->values[i], bad->after, NULL);
    g_autofree gchar *where = g_strdup_printf("group [%s]: key '%s': invalid value '%s'",
                                              bad->group, bad->key, bad->values[i]);
    const char *expect[] = { where, bad->hint, NULL };

    g_test_message("value '%s'", bad->values[i]);
    assert_load_error(config, UK_CONFIG_ERROR_INVALID, expect);
  }
}

/* Group names whose id is not valid. */
static void
test_bad_ids(void)
{
  static const char *const bad_ids[] = {
    "", "Centrum", "-x", "a b", "a.b", "..", "a/b", "x:y", "abcdefghijklmnopqrstuvwxyz0123456",
  };
  static const char *const kinds[] = { "area", "camera", "designation", "risk_area" };

  for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
    for (gsize i = 0; i < G_N_ELEMENTS(bad_ids); i++) {
      g_autofree gchar *config = g_strdup_printf(STORAGE "[%s:%s]\n", kinds[k], bad_ids[i]);
      g_autofree gchar *where
          = g_strdup_printf("group [%s:%s]: invalid id '%s'", kinds[k], bad_ids[i], bad_ids[i]);
      const char *expect[] = { where, "a-z, 0-9, '_' and '-'", NULL };

      assert_load_error(config, UK_CONFIG_ERROR_INVALID, expect);
    }
  }
}

int
main(int argc, char *argv[])
{
  g_test_init(&argc, &argv, NULL);

  g_test_add_func("/config/example", test_example);
  g_test_add_func("/config/defaults", test_defaults);
  g_test_add_func("/config/no-cameras", test_no_cameras);
  g_test_add_func("/config/listen-values", test_listen_values);
  g_test_add_func("/config/typed-values", test_typed_values);
  g_test_add_func("/config/relative-paths", test_relative_paths);
  g_test_add_func("/config/file-order", test_file_order);
  g_test_add_func("/config/repeated-group", test_repeated_group);
  g_test_add_func("/config/load-file", test_load_file);
  g_test_add_func("/config/id-is-valid", test_id_is_valid);
  g_test_add_func("/config/footage-days", test_footage_days);
  g_test_add_func("/config/min-free-values", test_min_free_values);
  g_test_add_func("/config/designation-defaults", test_designation_defaults);
  g_test_add_func("/config/designation-values", test_designation_values);
  g_test_add_func("/config/signage-values", test_signage_values);
  g_test_add_func("/config/risk-area", test_risk_area);
  g_test_add_func("/config/error/invalid/ids", test_bad_ids);

  for (gsize i = 0; i < G_N_ELEMENTS(error_cases); i++) {
    g_autofree gchar *name = g_strdup_printf("/config/error/%s", error_cases[i].name);

    g_test_add_data_func(name, &error_cases[i], test_error_case);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad_values); i++) {
    g_autofree gchar *name = g_strdup_printf("/config/error/invalid/%s", bad_values[i].name);

    g_test_add_data_func(name, &bad_values[i], test_bad_values);
  }

  return g_test_run();
}
