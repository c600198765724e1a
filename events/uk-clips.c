/* uk-clips: police clip requests and their exports. */
#include "uk-clips.h"

#include "uk-store-private.h"
#include "uk-time.h"

static void
export_free(gpointer p)
{
  UkClipExport *e = p;
  g_free(e->camera);
  g_free(e->area);
  g_free(e->state);
  g_free(e->file);
  g_free(e->manifest);
  g_free(e->sha256);
  g_free(e->error);
  g_free(e);
}

UkClipRequest *
uk_clip_request_new(void)
{
  UkClipRequest *r = g_new0(UkClipRequest, 1);
  r->exports = g_ptr_array_new_with_free_func(export_free);
  return r;
}

void
uk_clip_request_free(UkClipRequest *r)
{
  if (!r)
    return;
  g_free(r->case_ref);
  g_free(r->legal_basis);
  g_free(r->vordering_ref);
  g_free(r->purpose);
  g_free(r->requested_by);
  g_free(r->decision);
  g_free(r->decided_by);
  g_free(r->decision_reason);
  g_ptr_array_unref(r->exports);
  g_free(r);
}

void
uk_clip_request_add_camera(UkClipRequest *r, const char *camera, const char *area)
{
  UkClipExport *e = g_new0(UkClipExport, 1);
  e->camera = g_strdup(camera);
  e->area = g_strdup(area);
  e->state = g_strdup("waiting");
  g_ptr_array_add(r->exports, e);
}

static gboolean
clip_insert(UkStore *s, UkClipRequest *r, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "INSERT INTO clip_request (from_90k, to_90k, case_ref, legal_basis, vordering_ref, purpose, "
      "requested_by, requested_90k) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, r->from_90k);
  sqlite3_bind_int64(st, 2, r->to_90k);
  sqlite3_bind_text(st, 3, r->case_ref, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, r->legal_basis, -1, SQLITE_TRANSIENT);
  uk_store_bind_text_or_null(st, 5, r->vordering_ref);
  sqlite3_bind_text(st, 6, r->purpose, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, r->requested_by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 8, r->requested_90k);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  r->id = sqlite3_last_insert_rowid(s->db);
  for (guint i = 0; i < r->exports->len; i++) {
    const UkClipExport *e = r->exports->pdata[i];
    st = uk_store_stmt(s,
                       "INSERT INTO clip_export (request_id, camera, area, state) "
                       "VALUES (?, ?, ?, 'waiting')",
                       error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_text(st, 2, e->camera, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, e->area, -1, SQLITE_TRANSIENT);
    if (!uk_store_step_done(s, st, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
uk_store_clip_add(UkStore *s, UkClipRequest *r, GError **error)
{
  if (!r->requested_90k)
    r->requested_90k = uk_time_now_90k();
  if (!uk_store_begin(s, error))
    return FALSE;
  if (!clip_insert(s, r, error)) {
    uk_store_rollback(s);
    return FALSE;
  }
  return uk_store_commit(s, error);
}

gboolean
uk_store_clip_decide(UkStore *s, gint64 id, const char *by, gboolean approve, const char *reason,
                     GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "UPDATE clip_request SET decision = ?, decided_by = ?, "
                                   "decided_90k = ?, decision_reason = ? "
                                   "WHERE id = ? AND decision IS NULL",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, approve ? "approved" : "rejected", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, uk_time_now_90k());
  uk_store_bind_text_or_null(st, 4, reason);
  sqlite3_bind_int64(st, 5, id);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  if (sqlite3_changes(s->db) == 0) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND,
                "no clip request %" G_GINT64_FORMAT " awaiting a decision", id);
    return FALSE;
  }
  return TRUE;
}

gboolean
uk_store_clip_export_set(UkStore *s, gint64 id, const UkClipExport *e, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "UPDATE clip_export SET state = ?, file = ?, manifest = ?, sha256 = ?, bytes = ?, "
      "error = ?, finished_90k = ?, expires_90k = ? WHERE request_id = ? AND camera = ?",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, e->state, -1, SQLITE_TRANSIENT);
  uk_store_bind_text_or_null(st, 2, e->file);
  uk_store_bind_text_or_null(st, 3, e->manifest);
  uk_store_bind_text_or_null(st, 4, e->sha256);
  sqlite3_bind_int64(st, 5, e->bytes);
  uk_store_bind_text_or_null(st, 6, e->error);
  sqlite3_bind_int64(st, 7, e->finished_90k);
  sqlite3_bind_int64(st, 8, e->expires_90k);
  sqlite3_bind_int64(st, 9, id);
  sqlite3_bind_text(st, 10, e->camera, -1, SQLITE_TRANSIENT);
  return uk_store_step_done(s, st, error);
}

#define CLIP_COLUMNS                                                                               \
  "id, from_90k, to_90k, case_ref, legal_basis, vordering_ref, purpose, requested_by, "            \
  "requested_90k, decision, decided_by, decided_90k, decision_reason"

static UkClipRequest *
clip_read(UkStore *s, sqlite3_stmt *row, GError **error)
{
  g_autoptr(UkClipRequest) r = uk_clip_request_new();
  r->id = sqlite3_column_int64(row, 0);
  r->from_90k = sqlite3_column_int64(row, 1);
  r->to_90k = sqlite3_column_int64(row, 2);
  r->case_ref = uk_store_column_dup(row, 3);
  r->legal_basis = uk_store_column_dup(row, 4);
  r->vordering_ref = uk_store_column_dup(row, 5);
  r->purpose = uk_store_column_dup(row, 6);
  r->requested_by = uk_store_column_dup(row, 7);
  r->requested_90k = sqlite3_column_int64(row, 8);
  r->decision = uk_store_column_dup(row, 9);
  r->decided_by = uk_store_column_dup(row, 10);
  r->decided_90k = sqlite3_column_int64(row, 11);
  r->decision_reason = uk_store_column_dup(row, 12);
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "SELECT camera, area, state, file, manifest, sha256, coalesce(bytes, 0), error, "
      "coalesce(finished_90k, 0), coalesce(expires_90k, 0) FROM clip_export "
      "WHERE request_id = ? ORDER BY rowid",
      error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, r->id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    UkClipExport *e = g_new0(UkClipExport, 1);
    e->camera = uk_store_column_dup(st, 0);
    e->area = uk_store_column_dup(st, 1);
    e->state = uk_store_column_dup(st, 2);
    e->file = uk_store_column_dup(st, 3);
    e->manifest = uk_store_column_dup(st, 4);
    e->sha256 = uk_store_column_dup(st, 5);
    e->bytes = sqlite3_column_int64(st, 6);
    e->error = uk_store_column_dup(st, 7);
    e->finished_90k = sqlite3_column_int64(st, 8);
    e->expires_90k = sqlite3_column_int64(st, 9);
    g_ptr_array_add(r->exports, e);
  }
  sqlite3_reset(st);
  return g_steal_pointer(&r);
}

UkClipRequest *
uk_store_clip_get(UkStore *s, gint64 id, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s, "SELECT " CLIP_COLUMNS " FROM clip_request WHERE id = ?", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  return uk_store_read_one(s, st, (UkRowReader)clip_read, "clip request", id, error);
}

GPtrArray *
uk_store_clips_list(UkStore *s, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s, "SELECT " CLIP_COLUMNS " FROM clip_request ORDER BY id DESC", error);
  if (!st)
    return NULL;
  return uk_store_read_rows(s, st, (UkRowReader)clip_read, (GDestroyNotify)uk_clip_request_free,
                            error);
}

/* One row of uk_store_clip_exports_expired's query. */
static gpointer
expired_read(UkStore *s, sqlite3_stmt *st, GError **error)
{
  (void)s;
  (void)error;
  UkClipExport *e = g_new0(UkClipExport, 1);
  e->request_id = sqlite3_column_int64(st, 0);
  e->camera = uk_store_column_dup(st, 1);
  e->area = uk_store_column_dup(st, 2);
  e->file = uk_store_column_dup(st, 3);
  e->manifest = uk_store_column_dup(st, 4);
  e->expires_90k = sqlite3_column_int64(st, 5);
  return e;
}

GPtrArray *
uk_store_clip_exports_expired(UkStore *s, gint64 now_90k, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "SELECT request_id, camera, area, file, manifest, expires_90k FROM clip_export "
      "WHERE state = 'ready' AND file IS NOT NULL AND expires_90k <= ? "
      "ORDER BY expires_90k LIMIT 100",
      error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, now_90k);
  return uk_store_read_rows(s, st, expired_read, export_free, error);
}

gboolean
uk_store_clip_export_discard(UkStore *s, const UkClipExport *e, GError **error)
{
  if (!uk_store_begin(s, error))
    return FALSE;
  sqlite3_stmt *st = NULL;
  if ((e->file && !uk_store_garbage_add(s, e->file, "clip export link expired", error))
      || (e->manifest && !uk_store_garbage_add(s, e->manifest, "clip export link expired", error))
      || !(st = uk_store_stmt(s,
                              "UPDATE clip_export SET file = NULL, manifest = NULL "
                              "WHERE request_id = ? AND camera = ?",
                              error))) {
    uk_store_rollback(s);
    return FALSE;
  }
  sqlite3_bind_int64(st, 1, e->request_id);
  sqlite3_bind_text(st, 2, e->camera, -1, SQLITE_TRANSIENT);
  if (!uk_store_step_done(s, st, error)) {
    uk_store_rollback(s);
    return FALSE;
  }
  return uk_store_commit(s, error);
}
