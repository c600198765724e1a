/* `uitkijk testcam` (simulated cameras) and `uitkijk demo` (cameras plus the
 * recorder in a data folder, areas named after Emmen's safety plan). */
#include "uk-accounts.h"
#include "uk-cli.h"
#include "uk-config.h"
#include "uk-daemon.h"
#include "uk-testcam.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdio.h>

static gboolean
on_quit_signal(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_size(const char *size, UkTestcamOptions *opts)
{
  if (!size)
    return TRUE;
  if (g_str_equal(size, "1280x720")) {
    opts->width = 1280, opts->height = 720;
    return TRUE;
  }
  if (g_str_equal(size, "1920x1080")) {
    opts->width = 1920, opts->height = 1080;
    return TRUE;
  }
  fprintf(stderr, "uitkijk: --size must be 1280x720 or 1920x1080\n");
  return FALSE;
}

int
uk_cmd_testcam(int argc, char **argv)
{
  gint cameras = 1, port = 8554, clip_seconds = 10;
  gdouble drift = 0;
  gboolean h265 = FALSE;
  g_autofree gchar *size = NULL;
  GOptionEntry entries[] = {
    { "cameras", 'n', 0, G_OPTION_ARG_INT, &cameras, "Number of cameras (1..256)", "N" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "RTSP port on 127.0.0.1", "P" },
    { "drift-ppm", 0, 0, G_OPTION_ARG_DOUBLE, &drift, "Camera clock runs D ppm fast", "D" },
    { "h265", 0, 0, G_OPTION_ARG_NONE, &h265, "H.265 instead of H.264", NULL },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size, "1280x720 (default) or 1920x1080", "WxH" },
    { "clip-seconds", 0, 0, G_OPTION_ARG_INT, &clip_seconds, "Length of the looped clip", "S" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("");
  g_option_context_set_summary(ctx, "Serves simulated RTSP cameras at rtsp://127.0.0.1:P/camN.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 2;
  }
  UkTestcamOptions opts = {
    .cameras = cameras, .port = port, .drift_ppm = drift, .h265 = h265, .clip_seconds = clip_seconds
  };
  if (cameras < 1 || cameras > 256 || port < 1 || port > 65535 || clip_seconds < 2
      || clip_seconds % 2 || drift < -10000 || drift > 10000 || !parse_size(size, &opts)) {
    fprintf(stderr, "uitkijk: bad option: cameras 1..256, port 1..65535, clip-seconds even "
                    ">= 2, drift-ppm -10000..10000\n");
    return 2;
  }
  g_autoptr(UkTestcam) tc = uk_testcam_new(&opts, NULL, &error);
  if (!tc) {
    fprintf(stderr, "uitkijk: testcam: %s\n", error->message);
    return 1;
  }
  for (int i = 1; i <= cameras; i++) {
    g_autofree gchar *url = uk_testcam_url(tc, i);
    printf("%s\n", url);
  }
  fflush(stdout);
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_unix_signal_add(SIGINT, on_quit_signal, loop);
  g_unix_signal_add(SIGTERM, on_quit_signal, loop);
  g_main_loop_run(loop);
  return 0;
}

/* A free TCP port on 127.0.0.1 (asked of the kernel). */
static guint16
free_port(void)
{
  g_autoptr(GSocket) s
      = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
  if (!s || !g_socket_bind(s, addr, FALSE, NULL))
    return 0;
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
  return bound ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)) : 0;
}

static const struct {
  const char *area, *area_name, *camera, *location;
} demo_cameras[] = {
  { "station", "Stationsgebied", "station-1", "Stationsplein, zijde busstation" },
  { "centrum", "Centrum/uitgaansgebied", "centrum-1", "Marktplein" },
  { "emmermeer", "Emmermeer", "emmermeer-1", "Winkelcentrum Emmermeer" },
  { "emmerhout", "Emmerhout", "emmerhout-1", "Houtweg, bij het winkelcentrum" },
  { "angelslo", "Angelslo", "angelslo-1", "Statenweg" },
  { "nieuw-weerdinge", "Nieuw-Weerdinge", "nieuw-weerdinge-1", "Dorpsplein" },
};

/* One user per role, authorised for every area where the role is area-bound;
 * each start sets new passwords. Returns the lines to print. (transfer full) */
static GString *
demo_users(const UkConfig *config, GError **error)
{
  static const struct {
    const char *name;
    UkRole role;
    gboolean areas;
  } people[] = {
    { "operator", UK_ROLE_OPERATOR, TRUE }, { "supervisor", UK_ROLE_SUPERVISOR, TRUE },
    { "politie", UK_ROLE_POLICE, TRUE },    { "handhaving", UK_ROLE_HANDHAVING, TRUE },
    { "privacy", UK_ROLE_PRIVACY, FALSE },  { "beheer", UK_ROLE_ADMIN, FALSE },
  };
  g_autoptr(UkStore) store = uk_cli_open_store(config);
  if (!store) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot open the demo database");
    return NULL;
  }
  g_autoptr(GPtrArray) areas = g_ptr_array_new();
  for (guint i = 0; i < config->areas->len; i++)
    g_ptr_array_add(areas, ((UkAreaConfig *)config->areas->pdata[i])->id);
  g_ptr_array_add(areas, NULL);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < G_N_ELEMENTS(people); i++) {
    g_autofree gchar *password = uk_cli_random_password();
    g_autoptr(UkUser) existing = uk_store_user_get(store, people[i].name, NULL);
    gboolean ok;
    if (existing) {
      g_autofree gchar *hash = uk_password_hash(password, error);
      ok = hash && uk_store_user_set_password(store, people[i].name, hash, error);
    } else {
      ok = uk_cli_user_add(store, config, people[i].name, people[i].role, password,
                           people[i].areas ? (char **)areas->pdata : NULL, 0, error);
    }
    if (!ok) {
      g_string_free(out, TRUE);
      return NULL;
    }
    g_string_append_printf(out, "    %-11s %-11s %s\n", people[i].name,
                           uk_role_name(people[i].role), password);
  }
  return out;
}

int
uk_cmd_demo(int argc, char **argv)
{
  g_autofree gchar *data = NULL;
  gint port = 8080;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "Data folder (default ./uitkijk-demo)", "DIR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Console port on 127.0.0.1 (default 8080)", "P" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("");
  g_option_context_set_summary(ctx, "Runs 6 simulated cameras and records them.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 2;
  }
  if (!data)
    data = g_strdup("uitkijk-demo");
  g_autofree gchar *abs = g_canonicalize_filename(data, NULL);
  if (g_mkdir_with_parents(abs, 0750) != 0) {
    fprintf(stderr, "uitkijk: cannot create %s: %s\n", abs, g_strerror(errno));
    return 1;
  }
  guint16 rtsp_port = free_port();
  UkTestcamOptions opts = { .cameras = G_N_ELEMENTS(demo_cameras), .port = rtsp_port };
  g_autoptr(UkTestcam) tc = uk_testcam_new(&opts, NULL, &error);
  if (!tc) {
    fprintf(stderr, "uitkijk: testcam: %s\n", error->message);
    return 1;
  }

  g_autoptr(GString) conf = g_string_new(NULL);
  g_string_append_printf(conf,
                         "# Written by `uitkijk demo`; see config/uitkijk.conf.example.\n"
                         "[server]\nlisten = 127.0.0.1:%d\n\n[storage]\npath = %s/recordings\n"
                         "segment_seconds = 60\n",
                         port, abs);
  /* Each area gets a designation for the demo (cameras record only in a
   * designated area): from yesterday for a year, live-watch windows as in
   * the station area's decision. */
  g_autoptr(GHashTable) areas = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GDateTime) from = g_date_time_add_days(now, -1);
  g_autoptr(GDateTime) until = g_date_time_add_days(now, 365);
  g_autofree gchar *from_text = g_date_time_format(from, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree gchar *until_text = g_date_time_format(until, "%Y-%m-%dT%H:%M:%SZ");
  for (guint i = 0; i < G_N_ELEMENTS(demo_cameras); i++) {
    if (!g_hash_table_add(areas, (gpointer)demo_cameras[i].area))
      continue;
    g_string_append_printf(conf, "\n[area:%s]\nname = %s\n", demo_cameras[i].area,
                           demo_cameras[i].area_name);
    g_string_append_printf(conf,
                           "\n[designation:%s-demo]\narea = %s\n"
                           "decision = Demo: aanwijzingsbesluit cameratoezicht %s\n"
                           "valid_from = %s\nvalid_until = %s\n"
                           "live_watch = fri-sat 22:00-04:00\ndpia = DPIA-DEMO\nsignage = yes\n",
                           demo_cameras[i].area, demo_cameras[i].area, demo_cameras[i].area_name,
                           from_text, until_text);
  }
  for (guint i = 0; i < G_N_ELEMENTS(demo_cameras); i++) {
    g_autofree gchar *url = uk_testcam_url(tc, i + 1);
    g_string_append_printf(conf, "\n[camera:%s]\narea = %s\nurl = %s\nlocation = %s\n",
                           demo_cameras[i].camera, demo_cameras[i].area, url,
                           demo_cameras[i].location);
  }
  g_autofree gchar *conf_path = g_build_filename(abs, "uitkijk.conf", NULL);
  if (!g_file_set_contents(conf_path, conf->str, conf->len, &error)) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  g_autoptr(UkConfig) config = uk_config_load(conf_path, &error);
  if (!config) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  g_autoptr(GString) users = demo_users(config, &error);
  if (!users) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  printf("uitkijk demo\n"
         "  simulated cameras: rtsp://127.0.0.1:%u/cam1 .. cam%u\n"
         "  config:            %s\n"
         "  recordings:        %s\n"
         "  database:          %s\n"
         "  console:           http://127.0.0.1:%d/\n"
         "  try:               uitkijk recordings -c %s station-1\n"
         "  console users (new passwords at every start):\n%s"
         "Stop with Ctrl-C.\n",
         rtsp_port, (guint)G_N_ELEMENTS(demo_cameras), conf_path, config->storage_path,
         config->database_path, port, conf_path, users->str);
  fflush(stdout);
  return uk_daemon_run(config);
}
