/* uk-audit: the hash-chained audit log. */
#include "uk-audit.h"

#include "uk-store-private.h"
#include "uk-time.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define HASH_LEN 32

/* Adds one length-prefixed field to the content hash (NULL differs from ""). */
static void
hash_field(GChecksum *sum, const char *value)
{
  guint8 len[4];
  guint32 n = value ? strlen(value) : 0xffffffffu;
  len[0] = n >> 24, len[1] = n >> 16, len[2] = n >> 8, len[3] = n;
  g_checksum_update(sum, len, 4);
  if (value)
    g_checksum_update(sum, (const guint8 *)value, n);
}

static void
hash_int(GChecksum *sum, gint64 v)
{
  char buf[32];
  g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
  hash_field(sum, buf);
}

static void
row_hash(const guint8 *prev, gint64 id, gint64 time_90k, const char *actor, const char *action,
         const char *camera, const char *area, gint64 from_90k, gint64 to_90k, const char *detail,
         guint8 *out)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, prev, HASH_LEN);
  hash_int(sum, id);
  hash_int(sum, time_90k);
  hash_field(sum, actor);
  hash_field(sum, action);
  hash_field(sum, camera);
  hash_field(sum, area);
  hash_int(sum, from_90k);
  hash_int(sum, to_90k);
  hash_field(sum, detail);
  gsize len = HASH_LEN;
  g_checksum_get_digest(sum, out, &len);
}

gchar *
uk_audit_head_path(const char *db_path)
{
  return g_strconcat(db_path, ".audit-head", NULL);
}

void
uk_store_audit_set_head_path(UkStore *s, const char *path)
{
  g_free(s->audit_head_path);
  s->audit_head_path = g_strdup(path);
  if (s->audit_head_fd >= 0)
    close(s->audit_head_fd);
  s->audit_head_fd = -1;
}

/* The last row's id and hash; id 0 and zeros when the log is empty. */
static gboolean
last_row(UkStore *s, gint64 *id, guint8 *hash, gint64 *count, GError **error)
{
  /* Ids run 1, 2, 3, ... without gaps (verify checks it), so the last id is
   * the row count. */
  sqlite3_stmt *st = uk_store_stmt(s, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", error);
  if (!st)
    return FALSE;
  *id = 0;
  *count = 0;
  memset(hash, 0, HASH_LEN);
  if (sqlite3_step(st) == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    if (sqlite3_column_bytes(st, 1) == HASH_LEN)
      memcpy(hash, sqlite3_column_blob(st, 1), HASH_LEN);
    *count = *id;
  }
  sqlite3_reset(st);
  return TRUE;
}

void
uk_store_audit_write_head(UkStore *s)
{
  s->audit_dirty = FALSE;
  if (!s->audit_head_path)
    return;
  gint64 id, count;
  guint8 hash[HASH_LEN];
  if (!last_row(s, &id, hash, &count, NULL))
    return;
  g_autofree gchar *hex = g_malloc(HASH_LEN * 2 + 1);
  for (int i = 0; i < HASH_LEN; i++)
    g_snprintf(hex + 2 * i, 3, "%02x", hash[i]);
  /* Fixed width, rewritten in place: one small write per commit, no
   * temporary file, no fsync. The head may lag the database after a crash
   * (verify accepts rows after the head); it never runs ahead of it, since it
   * is written after the commit. */
  g_autofree gchar *text = g_strdup_printf("%020" G_GINT64_FORMAT " %s\n", count, hex);
  gsize len = strlen(text);
  if (s->audit_head_fd < 0) {
    s->audit_head_fd = open(s->audit_head_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (s->audit_head_fd < 0 || ftruncate(s->audit_head_fd, (off_t)len) != 0) {
      g_warning("cannot write the audit head %s: %s", s->audit_head_path, g_strerror(errno));
      if (s->audit_head_fd >= 0)
        close(s->audit_head_fd);
      s->audit_head_fd = -1;
      return;
    }
  }
  if (pwrite(s->audit_head_fd, text, len, 0) != (ssize_t)len)
    g_warning("cannot write the audit head %s: %s", s->audit_head_path, g_strerror(errno));
}

gboolean
uk_store_audit_append(UkStore *s, UkAuditEntry *e, GError **error)
{
  gint64 last_id, count;
  guint8 prev[HASH_LEN], hash[HASH_LEN];
  gboolean own_tx = s->tx_depth == 0;
  if (own_tx && !uk_store_begin(s, error))
    return FALSE;
  if (!last_row(s, &last_id, prev, &count, error))
    goto fail;
  e->id = last_id + 1;
  if (!e->time_90k)
    e->time_90k = uk_time_now_90k();
  const char *detail = e->detail ? e->detail : "{}";
  row_hash(prev, e->id, e->time_90k, e->actor, e->action, e->camera, e->area, e->from_90k,
           e->to_90k, detail, hash);
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT INTO audit (id, time_90k, actor, action, camera, area, "
                                   "from_90k, to_90k, detail, prev_hash, hash) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   error);
  if (!st)
    goto fail;
  sqlite3_bind_int64(st, 1, e->id);
  sqlite3_bind_int64(st, 2, e->time_90k);
  sqlite3_bind_text(st, 3, e->actor, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, e->action, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, e->camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 6, e->area, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 7, e->from_90k);
  sqlite3_bind_int64(st, 8, e->to_90k);
  sqlite3_bind_text(st, 9, detail, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(st, 10, prev, HASH_LEN, SQLITE_TRANSIENT);
  sqlite3_bind_blob(st, 11, hash, HASH_LEN, SQLITE_TRANSIENT);
  if (!uk_store_step_done(s, st, error))
    goto fail;
  s->audit_dirty = TRUE;
  return own_tx ? uk_store_commit(s, error) : TRUE;
fail:
  if (own_tx)
    uk_store_rollback(s);
  return FALSE;
}

static gboolean
bad_row(GError **error, gint64 *bad_id, gint64 id, const char *why)
{
  *bad_id = id;
  g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "audit row %" G_GINT64_FORMAT ": %s",
              id, why);
  return FALSE;
}

gboolean
uk_store_audit_verify(UkStore *s, const char *head_path, gint64 *rows, gint64 *bad_id,
                      GError **error)
{
  *rows = 0;
  *bad_id = 0;
  /* Read the head first: rows appended after it are fine, rows missing are not. */
  gint64 head_count = -1;
  guint8 head_hash[HASH_LEN];
  g_autofree gchar *head = NULL;
  if (head_path && g_file_get_contents(head_path, &head, NULL, NULL)) {
    gchar **parts = g_strsplit(g_strstrip(head), " ", 2);
    if (g_strv_length(parts) == 2 && strlen(parts[1]) == HASH_LEN * 2) {
      head_count = g_ascii_strtoll(parts[0], NULL, 10);
      for (int i = 0; i < HASH_LEN; i++) {
        gchar byte[3] = { parts[1][2 * i], parts[1][2 * i + 1], 0 };
        head_hash[i] = g_ascii_strtoull(byte, NULL, 16);
      }
    }
    g_strfreev(parts);
  }

  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s->db,
                         "SELECT id, time_90k, actor, action, camera, area, from_90k, to_90k, "
                         "detail, prev_hash, hash FROM audit ORDER BY id",
                         -1, &st, NULL)
      != SQLITE_OK)
    return uk_store_sql_error(s, error, "read audit");
  guint8 expect_prev[HASH_LEN] = { 0 }, hash[HASH_LEN];
  gint64 n = 0;
  gboolean ok = TRUE;
  while (ok && sqlite3_step(st) == SQLITE_ROW) {
    gint64 id = sqlite3_column_int64(st, 0);
    n++;
    if (id != n) {
      ok = bad_row(error, bad_id, id,
                   id > n ? "rows before it were deleted" : "row numbering is broken");
      break;
    }
    if (sqlite3_column_bytes(st, 9) != HASH_LEN || sqlite3_column_bytes(st, 10) != HASH_LEN
        || memcmp(sqlite3_column_blob(st, 9), expect_prev, HASH_LEN) != 0) {
      ok = bad_row(error, bad_id, id, "does not follow the previous row (prev_hash differs)");
      break;
    }
    row_hash(expect_prev, id, sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2),
             (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4),
             (const char *)sqlite3_column_text(st, 5), sqlite3_column_int64(st, 6),
             sqlite3_column_int64(st, 7), (const char *)sqlite3_column_text(st, 8), hash);
    if (memcmp(hash, sqlite3_column_blob(st, 10), HASH_LEN) != 0) {
      ok = bad_row(error, bad_id, id, "its content was changed (hash differs)");
      break;
    }
    memcpy(expect_prev, hash, HASH_LEN);
    if (n == head_count && memcmp(hash, head_hash, HASH_LEN) != 0) {
      ok = bad_row(error, bad_id, id, "differs from the audit head file");
      break;
    }
  }
  sqlite3_finalize(st);
  if (!ok)
    return FALSE;
  if (head_count > n) {
    *bad_id = n + 1;
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE,
                "audit row %" G_GINT64_FORMAT ": missing; the head file records %" G_GINT64_FORMAT
                " rows, the log has %" G_GINT64_FORMAT " (rows at the end were deleted)",
                n + 1, head_count, n);
    return FALSE;
  }
  *rows = n;
  return TRUE;
}

void
uk_audit_row_free(UkAuditRow *row)
{
  if (!row)
    return;
  g_free(row->actor);
  g_free(row->action);
  g_free(row->camera);
  g_free(row->area);
  g_free(row->detail);
  g_free(row);
}

GPtrArray *
uk_store_audit_query(UkStore *s, gint64 from_90k, gint64 to_90k, const char *actor,
                     const char *action, const char *camera, gint64 after_id, guint limit,
                     GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "SELECT id, time_90k, actor, action, camera, area, from_90k, to_90k, detail FROM audit "
      "WHERE (?1 = 0 OR time_90k >= ?1) AND (?2 = 0 OR time_90k < ?2) "
      "AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR action = ?4) "
      "AND (?5 IS NULL OR camera = ?5) AND id > ?6 ORDER BY id LIMIT ?7",
      error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, from_90k);
  sqlite3_bind_int64(st, 2, to_90k);
  sqlite3_bind_text(st, 3, actor, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, action, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 6, after_id);
  sqlite3_bind_int64(st, 7, limit ? limit : G_MAXINT32);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)uk_audit_row_free);
  while (sqlite3_step(st) == SQLITE_ROW) {
    UkAuditRow *r = g_new0(UkAuditRow, 1);
    r->id = sqlite3_column_int64(st, 0);
    r->time_90k = sqlite3_column_int64(st, 1);
    r->actor = g_strdup((const char *)sqlite3_column_text(st, 2));
    r->action = g_strdup((const char *)sqlite3_column_text(st, 3));
    r->camera = g_strdup((const char *)sqlite3_column_text(st, 4));
    r->area = g_strdup((const char *)sqlite3_column_text(st, 5));
    r->from_90k = sqlite3_column_int64(st, 6);
    r->to_90k = sqlite3_column_int64(st, 7);
    r->detail = g_strdup((const char *)sqlite3_column_text(st, 8));
    g_ptr_array_add(rows, r);
  }
  sqlite3_reset(st);
  return g_steal_pointer(&rows);
}
