/* test-config: unit tests for config/uk-config (loading and validating uitkijk.conf).
 *
 * The documented example config/uitkijk.conf.example must load. It is found through
 * $UK_SOURCE_DIR (the source tree's top folder) when set, else next to this file. Every
 * error case is a row in error_cases and becomes a test of its own. */

#include "uk-config.h"

#include <glib/gstdio.h>
#include <string.h>

/* The smallest valid configuration, in parts to build cases from. */
#define STORAGE "[storage]\npath = /srv/uitkijk\n"
#define AREA "[area:a]\nname = A\n"
#define CAMERA "[camera:c]\narea = a\nurl = rtsp://192.0.2.1/stream\n"
#define MINIMAL STORAGE AREA CAMERA

static UkConfig *
load_ok(const char *data)
{
  g_autoptr(GError) error = NULL;
  UkConfig *config = uk_config_load_from_data(data, strlen(data), "/etc/uitkijk", &error);

  g_assert_no_error(error);
  g_assert_nonnull(config);
  return config;
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
  static const char *const kinds[] = { "area", "camera" };

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
