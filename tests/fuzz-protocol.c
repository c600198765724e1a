/* libFuzzer target: the console protocol's parser and dispatcher.
 *
 * Each input is one websocket text message, handled by uk-console exactly as
 * the server would (the server only frames messages; see uk-server.c), on a
 * connection that is logged in as a privacy officer or as an operator, or not
 * at all (chosen by the input's first byte). Runs with a real sqlite database
 * in a temporary folder (on /dev/shm when there is one). Build and run:
 * tests/run-fuzz.sh. */
#include "uk-accounts.h"
#include "uk-cameras.h"
#include "uk-config.h"
#include "uk-console.h"
#include "uk-store.h"
#include "uk-test-util.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
  UkConfig *config;
  UkStore *store;
  UkCameraBoard *board;
  UkConsole *console;
  gchar *tokens[3]; /* none, operator, privacy */
  gsize sent;
} Fixture;

static void
discard(gpointer sink, const char *text, gsize len)
{
  Fixture *f = sink;
  f->sent += len;
}

static gchar *fixture_dir;

static void
remove_fixture_dir(void)
{
  if (fixture_dir)
    ukt_remove_tree(fixture_dir);
}

static gchar *
session_for(Fixture *f, const char *name, UkRole role, const char *area)
{
  g_autofree gchar *hash = uk_password_hash("fuzz-password", NULL);
  gint64 id = uk_store_user_add(f->store, name, role, hash, 0, NULL);
  if (area)
    uk_store_authorise(f->store, id, area, 0, FALSE, "fuzz", NULL);
  guint8 token_hash[32];
  gchar *token = uk_session_token_new(token_hash);
  uk_store_session_create(f->store, token_hash, id, G_MAXINT64 / 2, NULL);
  return token;
}

static Fixture *
fixture(void)
{
  static const char conf[] = "[storage]\npath = data\n"
                             "[area:station]\nname = Station\n[area:centrum]\nname = Centrum\n"
                             "[camera:station-1]\narea = station\nurl = rtsp://127.0.0.1:1/a\n"
                             "[camera:centrum-1]\narea = centrum\nurl = rtsp://127.0.0.1:1/b\n";
  Fixture *f = g_new0(Fixture, 1);
  /* On tmpfs when there is one: every audited message is a durable commit,
   * and an fsync per input on a disk would make the fuzzer crawl. */
  const char *base = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir();
  g_autofree gchar *dir = g_build_filename(base, "uk-fuzz-protocol-XXXXXX", NULL);
  g_assert(g_mkdtemp(dir));
  fixture_dir = g_strdup(dir);
  atexit(remove_fixture_dir);
  f->config = uk_config_load_from_data(conf, sizeof conf - 1, dir, NULL);
  g_assert(f->config);
  f->store = uk_store_open(f->config->database_path, NULL);
  g_assert(f->store);
  f->board = uk_camera_board_new();
  uk_camera_board_add(f->board, "station-1", "station", NULL, "Stationsplein");
  uk_camera_board_add(f->board, "centrum-1", "centrum", NULL, NULL);
  f->console = uk_console_new(f->store, f->config, f->board);
  uk_console_set_writer(f->console, uk_writer_new(f->config->database_path, NULL, NULL, NULL));
  f->tokens[1] = session_for(f, "operator", UK_ROLE_OPERATOR, "station");
  f->tokens[2] = session_for(f, "privacy", UK_ROLE_PRIVACY, NULL);
  return f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static Fixture *f; /* libFuzzer calls this function again and again: one fixture */
  if (!f)
    f = fixture();
  if (size == 0 || size > 70000)
    return 0;
  UkConsoleConn *conn = uk_console_conn_new(f->console, discard, f, "fuzz", f->tokens[data[0] % 3]);
  g_autofree gchar *text = g_strndup((const char *)data + 1, size - 1);
  uk_console_conn_message(conn, text, size - 1);
  /* Let a login's password check finish before the next input. */
  for (int i = 0; i < 1000 && g_main_context_iteration(NULL, FALSE); i++)
    ;
  uk_console_conn_closed(conn);
  return 0;
}
