/* uk-store: the sqlite database: migrations, runs, recordings, gaps, garbage. */
#include "uk-store-private.h"

#include "uk-migrations.h"
#include "uk-time.h"

#include <errno.h>
#include <sqlite3.h>
#include <unistd.h>

GQuark
uk_store_error_quark(void)
{
  return g_quark_from_static_string("uk-store-error-quark");
}

gboolean
uk_store_sql_error(UkStore *s, GError **error, const char *what)
{
  g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "database: %s: %s", what,
              sqlite3_errmsg(s->db));
  return FALSE;
}

/* Returns a reset statement for @sql, prepared once per store. (transfer none) */
sqlite3_stmt *
uk_store_stmt(UkStore *s, const char *sql, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup(s->stmts, sql);
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    uk_store_sql_error(s, error, "prepare");
    return NULL;
  }
  g_hash_table_insert(s->stmts, (gpointer)sql, st);
  return st;
}

static gboolean
exec(UkStore *s, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "database: %s",
                msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

/* Steps a statement that returns no row. */
gboolean
uk_store_step_done(UkStore *s, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step(st);
  gboolean ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
  if (!ok)
    uk_store_sql_error(s, error, "write");
  sqlite3_reset(st);
  return ok;
}

gboolean
uk_store_begin(UkStore *s, GError **error)
{
  if (s->tx_depth++ > 0)
    return TRUE;
  if (!exec(s, "BEGIN IMMEDIATE", error)) {
    s->tx_depth = 0;
    return FALSE;
  }
  return TRUE;
}

gboolean
uk_store_commit(UkStore *s, GError **error)
{
  g_return_val_if_fail(s->tx_depth > 0, FALSE);
  if (--s->tx_depth > 0)
    return TRUE;
  if (!exec(s, "COMMIT", error)) {
    exec(s, "ROLLBACK", NULL);
    s->audit_dirty = FALSE;
    return FALSE;
  }
  if (s->audit_dirty)
    uk_store_audit_write_head(s);
  return TRUE;
}

void
uk_store_rollback(UkStore *s)
{
  if (s->tx_depth == 0)
    return;
  s->tx_depth = 0;
  s->audit_dirty = FALSE;
  exec(s, "ROLLBACK", NULL);
}

gboolean
uk_store_savepoint(UkStore *s, GError **error)
{
  return exec(s, "SAVEPOINT unit", error);
}

void
uk_store_savepoint_release(UkStore *s)
{
  exec(s, "RELEASE unit", NULL);
}

void
uk_store_savepoint_rollback(UkStore *s)
{
  exec(s, "ROLLBACK TO unit; RELEASE unit", NULL);
}

gint64
uk_store_data_version(UkStore *s)
{
  sqlite3_stmt *st = uk_store_stmt(s, "PRAGMA data_version", NULL);
  gint64 v = -1;
  if (st && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  if (st)
    sqlite3_reset(st);
  return v;
}

gint
uk_store_latest_version(void)
{
  gint n = 0;
  while (uk_migrations[n])
    n++;
  return n;
}

gint
uk_store_version(UkStore *s)
{
  sqlite3_stmt *st = NULL;
  gint v = 0;
  if (sqlite3_prepare_v2(s->db, "SELECT version FROM version WHERE id = 1", -1, &st, NULL)
          == SQLITE_OK
      && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

gboolean
uk_store_migrate_to(UkStore *s, gint target, GError **error)
{
  if (!uk_store_begin(s, error))
    return FALSE;
  gint current = uk_store_version(s);
  if (current > uk_store_latest_version()) {
    uk_store_rollback(s);
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_VERSION,
                "database has schema version %d; this uitkijk knows up to %d: "
                "use a newer uitkijk",
                current, uk_store_latest_version());
    return FALSE;
  }
  for (gint v = current + 1; v <= target; v++) {
    g_autoptr(GError) err = NULL;
    if (!exec(s, uk_migrations[v - 1], &err)) {
      uk_store_rollback(s);
      g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "migration %d failed: %s", v,
                  err->message);
      return FALSE;
    }
    g_autofree gchar *sql = g_strdup_printf(
        "INSERT INTO version (id, version, applied_90k) VALUES (1, %d, %" G_GINT64_FORMAT ") "
        "ON CONFLICT (id) DO UPDATE SET version = excluded.version, "
        "applied_90k = excluded.applied_90k",
        v, uk_time_now_90k());
    if (!exec(s, sql, error)) {
      uk_store_rollback(s);
      return FALSE;
    }
  }
  return uk_store_commit(s, error);
}

static void
finalize_stmt(gpointer st)
{
  sqlite3_finalize(st);
}

UkStore *
uk_store_open(const char *path, GError **error)
{
  g_autoptr(UkStore) s = g_new0(UkStore, 1);
  s->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, finalize_stmt);
  s->audit_head_fd = -1;
  g_autofree gchar *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0750) != 0) {
    int e = errno;
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "cannot create folder %s: %s", dir,
                g_strerror(e));
    return NULL;
  }
  int rc = sqlite3_open_v2(path, &s->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "cannot open database %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return NULL;
  }
  sqlite3_busy_timeout(s->db, 10000);
  sqlite3_extended_result_codes(s->db, 1);
  uk_incidents_register_functions(s->db);
  if (!exec(s,
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
            "PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 67108864;",
            error))
    return NULL;
  if (uk_store_version(s) != uk_store_latest_version()
      && !uk_store_migrate_to(s, uk_store_latest_version(), error))
    return NULL;
  return g_steal_pointer(&s);
}

UkStore *
uk_store_open_readonly(const char *path, GError **error)
{
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no database at %s yet", path);
    return NULL;
  }
  g_autoptr(UkStore) s = g_new0(UkStore, 1);
  s->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, finalize_stmt);
  s->audit_head_fd = -1;
  int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "cannot open database %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return NULL;
  }
  sqlite3_busy_timeout(s->db, 10000);
  uk_incidents_register_functions(s->db);
  gint v = uk_store_version(s);
  if (v == 0) {
    /* Created a moment ago by a daemon that has not migrated it yet. */
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "database %s is still empty", path);
    return NULL;
  }
  if (v != uk_store_latest_version()) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_VERSION,
                "database %s has schema version %d, this uitkijk expects %d%s", path, v,
                uk_store_latest_version(),
                v < uk_store_latest_version() ? ": start `uitkijk serve` once to migrate it" : "");
    return NULL;
  }
  return g_steal_pointer(&s);
}

void
uk_store_free(UkStore *s)
{
  if (!s)
    return;
  g_hash_table_destroy(s->stmts);
  g_free(s->audit_head_path);
  if (s->audit_head_fd >= 0)
    close(s->audit_head_fd);
  if (s->db)
    sqlite3_close(s->db);
  g_free(s);
}

gpointer
uk_store_sqlite(UkStore *s)
{
  return s->db;
}

/* ---- runs ---- */

gint64
uk_store_run_begin(UkStore *s, const char *camera, gint64 start_90k, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, "INSERT INTO run (camera, start_90k) VALUES (?, ?)", error);
  if (!st)
    return 0;
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, start_90k);
  if (!uk_store_step_done(s, st, error))
    return 0;
  return sqlite3_last_insert_rowid(s->db);
}

gboolean
uk_store_run_end(UkStore *s, gint64 run_id, gint64 end_90k, const char *reason, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s, "UPDATE run SET end_90k = ?, end_reason = ? WHERE id = ? AND end_90k IS NULL", error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, end_90k);
  sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, run_id);
  return uk_store_step_done(s, st, error);
}

gint64
uk_store_run_at(UkStore *s, const char *camera, gint64 t_90k, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "SELECT id FROM run WHERE camera = ? AND start_90k <= ? "
                                   "ORDER BY start_90k DESC LIMIT 1",
                                   error);
  if (!st)
    return 0;
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, t_90k);
  gint64 id = 0;
  if (sqlite3_step(st) == SQLITE_ROW)
    id = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return id;
}

gboolean
uk_store_runs_close_open(UkStore *s, const char *reason, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s,
                      "UPDATE run SET end_reason = ?, end_90k = max(start_90k, coalesce("
                      "(SELECT max(end_90k) FROM recording r WHERE r.run_id = run.id), "
                      "start_90k)) WHERE end_90k IS NULL",
                      error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, reason, -1, SQLITE_TRANSIENT);
  return uk_store_step_done(s, st, error);
}

/* ---- gaps ---- */

gboolean
uk_store_gap_open(UkStore *s, const char *camera, gint64 start_90k, const char *reason,
                  GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT INTO gap (camera, start_90k, reason) SELECT ?1, ?2, ?3 "
                                   "WHERE NOT EXISTS (SELECT 1 FROM gap WHERE camera = ?1 "
                                   "AND end_90k IS NULL)",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, start_90k);
  sqlite3_bind_text(st, 3, reason, -1, SQLITE_TRANSIENT);
  return uk_store_step_done(s, st, error);
}

gboolean
uk_store_gap_close(UkStore *s, const char *camera, gint64 end_90k, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "UPDATE gap SET end_90k = max(?2, start_90k) "
                                   "WHERE camera = ?1 AND end_90k IS NULL",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, end_90k);
  return uk_store_step_done(s, st, error);
}

gint64
uk_store_camera_last_end(UkStore *s, const char *camera, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "SELECT max(coalesce(end_90k, start_90k)) FROM recording "
                                   "WHERE camera = ?",
                                   error);
  if (!st)
    return 0;
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  gint64 t = 0;
  if (sqlite3_step(st) == SQLITE_ROW)
    t = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return t;
}

/* ---- recordings ---- */

void
uk_recording_row_free(UkRecordingRow *row)
{
  if (!row)
    return;
  g_free(row->camera);
  g_free(row->path);
  g_free(row->codec);
  g_clear_pointer(&row->video_index, g_bytes_unref);
  g_free(row);
}

void
uk_gap_row_free(UkGapRow *row)
{
  if (!row)
    return;
  g_free(row->camera);
  g_free(row->reason);
  g_free(row);
}

gint64
uk_store_recording_insert(UkStore *s, const UkRecordingRow *row, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT INTO recording (camera, run_id, path, state, start_90k, "
                                   "codec, width, height) VALUES (?, ?, ?, 'writing', ?, ?, ?, ?)",
                                   error);
  if (!st)
    return 0;
  sqlite3_bind_text(st, 1, row->camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, row->run_id);
  sqlite3_bind_text(st, 3, row->path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, row->start_90k);
  sqlite3_bind_text(st, 5, row->codec, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 6, row->width);
  sqlite3_bind_int(st, 7, row->height);
  if (!uk_store_step_done(s, st, error))
    return 0;
  return sqlite3_last_insert_rowid(s->db);
}

gboolean
uk_store_recording_complete(UkStore *s, const UkRecordingRow *row, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s,
                      "UPDATE recording SET state = 'complete', start_90k = ?, end_90k = ?, "
                      "media_duration_90k = ?, frames = ?, bytes = ?, video_index = ? "
                      "WHERE path = ?",
                      error);
  if (!st)
    return FALSE;
  gsize n = 0;
  const void *idx = row->video_index ? g_bytes_get_data(row->video_index, &n) : NULL;
  sqlite3_bind_int64(st, 1, row->start_90k);
  sqlite3_bind_int64(st, 2, row->end_90k);
  sqlite3_bind_int64(st, 3, row->media_duration_90k);
  sqlite3_bind_int64(st, 4, row->frames);
  sqlite3_bind_int64(st, 5, row->bytes);
  sqlite3_bind_blob(st, 6, idx, n, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, row->path, -1, SQLITE_TRANSIENT);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  if (sqlite3_changes(s->db) == 0) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no recording row for %s",
                row->path);
    return FALSE;
  }
  return TRUE;
}

gboolean
uk_store_recording_delete(UkStore *s, const char *path, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, "DELETE FROM recording WHERE path = ?", error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
  return uk_store_step_done(s, st, error);
}

gboolean
uk_store_recording_exists(UkStore *s, const char *path, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, "SELECT 1 FROM recording WHERE path = ?", error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
  gboolean found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  return found;
}

#define RECORDING_COLUMNS                                                                          \
  "id, camera, run_id, path, state, start_90k, end_90k, media_duration_90k, frames, bytes, "       \
  "codec, width, height, video_index"

static UkRecordingRow *
recording_from_stmt(sqlite3_stmt *st)
{
  UkRecordingRow *r = g_new0(UkRecordingRow, 1);
  r->id = sqlite3_column_int64(st, 0);
  r->camera = g_strdup((const char *)sqlite3_column_text(st, 1));
  r->run_id = sqlite3_column_int64(st, 2);
  r->path = g_strdup((const char *)sqlite3_column_text(st, 3));
  r->complete = g_strcmp0((const char *)sqlite3_column_text(st, 4), "complete") == 0;
  r->start_90k = sqlite3_column_int64(st, 5);
  r->end_90k = sqlite3_column_int64(st, 6);
  r->media_duration_90k = sqlite3_column_int64(st, 7);
  r->frames = sqlite3_column_int64(st, 8);
  r->bytes = sqlite3_column_int64(st, 9);
  r->codec = g_strdup((const char *)sqlite3_column_text(st, 10));
  r->width = sqlite3_column_int(st, 11);
  r->height = sqlite3_column_int(st, 12);
  if (sqlite3_column_type(st, 13) == SQLITE_BLOB)
    r->video_index = g_bytes_new(sqlite3_column_blob(st, 13), sqlite3_column_bytes(st, 13));
  return r;
}

static GPtrArray *
collect_recordings(UkStore *s, sqlite3_stmt *st, GError **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)uk_recording_row_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(rows, recording_from_stmt(st));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    uk_store_sql_error(s, error, "read");
    return NULL;
  }
  return g_steal_pointer(&rows);
}

GPtrArray *
uk_store_recordings(UkStore *s, const char *camera, gint64 from_90k, gint64 to_90k, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s,
                      "SELECT " RECORDING_COLUMNS " FROM recording WHERE camera = ?1 "
                      "AND (?3 = 0 OR start_90k < ?3) "
                      "AND (?2 = 0 OR end_90k IS NULL OR end_90k > ?2) ORDER BY start_90k",
                      error);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, from_90k);
  sqlite3_bind_int64(st, 3, to_90k);
  return collect_recordings(s, st, error);
}

GPtrArray *
uk_store_recordings_writing(UkStore *s, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s, "SELECT " RECORDING_COLUMNS " FROM recording WHERE state = 'writing' ORDER BY id", error);
  if (!st)
    return NULL;
  return collect_recordings(s, st, error);
}

GPtrArray *
uk_store_gaps(UkStore *s, const char *camera, gint64 from_90k, gint64 to_90k, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s,
                      "SELECT id, camera, start_90k, end_90k, reason FROM gap "
                      "WHERE camera = ?1 AND (?3 = 0 OR start_90k < ?3) "
                      "AND (?2 = 0 OR end_90k IS NULL OR end_90k > ?2) ORDER BY start_90k",
                      error);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, from_90k);
  sqlite3_bind_int64(st, 3, to_90k);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)uk_gap_row_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    UkGapRow *g = g_new0(UkGapRow, 1);
    g->id = sqlite3_column_int64(st, 0);
    g->camera = g_strdup((const char *)sqlite3_column_text(st, 1));
    g->start_90k = sqlite3_column_int64(st, 2);
    g->end_90k = sqlite3_column_int64(st, 3);
    g->reason = g_strdup((const char *)sqlite3_column_text(st, 4));
    g_ptr_array_add(rows, g);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    uk_store_sql_error(s, error, "read");
    return NULL;
  }
  return g_steal_pointer(&rows);
}

/* ---- garbage ---- */

gboolean
uk_store_garbage_add(UkStore *s, const char *path, const char *reason, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT OR IGNORE INTO garbage (path, reason, added_90k) "
                                   "VALUES (?, ?, ?)",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, uk_time_now_90k());
  return uk_store_step_done(s, st, error);
}

gboolean
uk_store_garbage_remove(UkStore *s, const char *path, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, "DELETE FROM garbage WHERE path = ?", error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
  return uk_store_step_done(s, st, error);
}

GPtrArray *
uk_store_garbage_list(UkStore *s, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, "SELECT path FROM garbage ORDER BY added_90k", error);
  if (!st)
    return NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
  while (sqlite3_step(st) == SQLITE_ROW)
    g_ptr_array_add(rows, g_strdup((const char *)sqlite3_column_text(st, 0)));
  sqlite3_reset(st);
  return g_steal_pointer(&rows);
}

GPtrArray *
uk_store_read_rows(UkStore *s, sqlite3_stmt *st, UkRowReader read, GDestroyNotify free_func,
                   GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(free_func);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    gpointer item = read(s, st, error);
    if (!item) {
      sqlite3_reset(st);
      return NULL;
    }
    g_ptr_array_add(out, item);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    uk_store_sql_error(s, error, "reading rows");
    return NULL;
  }
  return g_steal_pointer(&out);
}

gpointer
uk_store_read_one(UkStore *s, sqlite3_stmt *st, UkRowReader read, const char *what, gint64 id,
                  GError **error)
{
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_reset(st);
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no %s %" G_GINT64_FORMAT, what,
                id);
    return NULL;
  }
  gpointer item = read(s, st, error);
  sqlite3_reset(st);
  return item;
}

void
uk_store_set_synchronous(UkStore *s, gboolean full)
{
  sqlite3_exec(s->db, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", NULL,
               NULL, NULL);
}

void
uk_store_set_autocheckpoint(UkStore *s, gboolean on)
{
  sqlite3_wal_autocheckpoint(s->db, on ? 1000 : 0);
}

gint
uk_store_checkpoint(UkStore *s, gint *wal_frames)
{
  int log = 0, done = 0;
  if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) != SQLITE_OK)
    return -1;
  if (wal_frames)
    *wal_frames = log;
  return log - done;
}
