/* uk-incidents: the append-only incident log in sqlite. */
#include "uk-incidents.h"

#include "uk-audit.h"
#include "uk-store-private.h"
#include "uk-time.h"

static void
change_free(UkIncidentChange *c)
{
  g_free(c->author);
  g_free(c->field);
  g_free(c->value);
  g_free(c->note);
  g_free(c);
}

void
uk_incident_free(UkIncident *i)
{
  if (!i)
    return;
  g_free(i->area);
  g_free(i->camera);
  g_free(i->cameras_json);
  g_free(i->source);
  g_free(i->frame_path);
  g_free(i->category);
  g_free(i->severity);
  g_free(i->description);
  g_free(i->actions_json);
  g_free(i->created_by);
  g_free(i->status);
  g_clear_pointer(&i->history, g_ptr_array_unref);
  g_free(i);
}

gboolean
uk_store_incident_add(UkStore *s, UkIncident *i, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "INSERT INTO incident (area, camera, cameras, position_90k, source, frame_90k, frame_path, "
      "frame_pts_90k, category, severity, description, actions, created_90k, created_by) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      error);
  if (!st)
    return FALSE;
  if (!i->created_90k)
    i->created_90k = uk_time_now_90k();
  sqlite3_bind_text(st, 1, i->area, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, i->camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, i->cameras_json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, i->position_90k);
  sqlite3_bind_text(st, 5, i->source, -1, SQLITE_TRANSIENT);
  if (i->frame_path) {
    sqlite3_bind_int64(st, 6, i->frame_90k);
    sqlite3_bind_text(st, 7, i->frame_path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, i->frame_pts_90k);
  } else {
    sqlite3_bind_null(st, 6);
    sqlite3_bind_null(st, 7);
    sqlite3_bind_null(st, 8);
  }
  sqlite3_bind_text(st, 9, i->category, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 10, i->severity, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 11, i->description, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 12, i->actions_json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 13, i->created_90k);
  sqlite3_bind_text(st, 14, i->created_by, -1, SQLITE_TRANSIENT);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  i->id = sqlite3_last_insert_rowid(s->db);
  /* Not in the full-text index yet: uk_store_incidents_index adds it soon
   * after, outside the acknowledged transaction; searches see it meanwhile
   * through uk_match (see uk_store_incidents_query). */
  s->unindexed++;
  return TRUE;
}

/* The text the full-text index holds for an incident: its description and
 * category, then each amendment's new description or note and its note. */
#define INCIDENT_INDEX_TEXT                                                                        \
  "i.description || ' ' || i.category || coalesce((SELECT group_concat(' ' || "                    \
  "coalesce(CASE WHEN c.field IN ('description', 'note') THEN json_extract(c.value, '$') END, "    \
  "'') || ' ' || coalesce(c.note, ''), '') FROM (SELECT * FROM incident_change "                   \
  "WHERE incident_id = i.id ORDER BY id) c), '')"

/* The newest incident in the full-text index (0: none). */
#define INDEXED_UPTO "coalesce((SELECT rowid FROM incident_fts ORDER BY rowid DESC LIMIT 1), 0)"

gint64
uk_store_incidents_index(UkStore *s, gint64 limit, GError **error)
{
  /* Where the index ends, first: the insert then reads only incident. */
  sqlite3_stmt *st = uk_store_stmt(s, "SELECT " INDEXED_UPTO, error);
  if (!st)
    return -1;
  gint64 upto = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  st = uk_store_stmt(s,
                     "INSERT INTO incident_fts (rowid, text) SELECT i.id, " INCIDENT_INDEX_TEXT
                     " FROM incident i WHERE i.id > ?2 ORDER BY i.id LIMIT ?1",
                     error);
  if (!st)
    return -1;
  sqlite3_bind_int64(st, 1, limit);
  sqlite3_bind_int64(st, 2, upto);
  if (!uk_store_step_done(s, st, error)) {
    s->unindexed = 0; /* retried after the next incident */
    return -1;
  }
  gint64 n = sqlite3_changes(s->db);
  s->unindexed = n < limit ? 0 : MAX(s->unindexed - n, 1);
  return n;
}

gint64
uk_store_incidents_unindexed(UkStore *s)
{
  return s->unindexed;
}

/* ---- uk_match(text, query): the index's MATCH rule, for incidents not yet
 * in the index. unicode61 with remove_diacritics: a token is a run of letters
 * and digits, compared without accents and case; every word of the query
 * must occur, its tokens in a row, the last one as a prefix. ---- */

static GPtrArray *
tokens_of(const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  if (!text)
    return out;
  g_autofree gchar *nfd = g_utf8_normalize(text, -1, G_NORMALIZE_NFD);
  if (!nfd)
    return out;
  g_autoptr(GString) word = g_string_new(NULL);
  for (const char *p = nfd; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_ismark(c))
      continue;
    if (g_unichar_isalnum(c)) {
      g_string_append_unichar(word, g_unichar_tolower(c));
    } else if (word->len) {
      g_ptr_array_add(out, g_strdup(word->str));
      g_string_truncate(word, 0);
    }
  }
  if (word->len)
    g_ptr_array_add(out, g_strdup(word->str));
  return out;
}

static gboolean
phrase_in(const GPtrArray *text, const GPtrArray *phrase)
{
  if (phrase->len == 0)
    return TRUE;
  for (guint i = 0; i + phrase->len <= text->len; i++) {
    guint k = 0;
    for (; k + 1 < phrase->len; k++)
      if (!g_str_equal(text->pdata[i + k], phrase->pdata[k]))
        break;
    if (k + 1 == phrase->len && g_str_has_prefix(text->pdata[i + k], phrase->pdata[k]))
      return TRUE;
  }
  return FALSE;
}

gboolean
uk_text_matches(const char *text, const char *query)
{
  g_autoptr(GPtrArray) tokens = tokens_of(text);
  g_auto(GStrv) words = g_strsplit_set(query ? query : "", " \t\r\n", -1);
  for (gsize k = 0; words[k]; k++) {
    g_autoptr(GPtrArray) phrase = tokens_of(words[k]);
    if (!phrase_in(tokens, phrase))
      return FALSE;
  }
  return TRUE;
}

static void
sql_uk_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
  (void)argc;
  const char *text = (const char *)sqlite3_value_text(argv[0]);
  const char *query = (const char *)sqlite3_value_text(argv[1]);
  sqlite3_result_int(ctx, uk_text_matches(text, query));
}

void
uk_incidents_register_functions(sqlite3 *db)
{
  sqlite3_create_function(db, "uk_match", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_uk_match,
                          NULL, NULL);
}

gboolean
uk_store_incident_change(UkStore *s, gint64 id, const char *author, const char *field,
                         const char *value_json, const char *note, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT INTO incident_change (incident_id, time_90k, author, "
                                   "field, value, note) VALUES (?, ?, ?, ?, ?, ?)",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, uk_time_now_90k());
  sqlite3_bind_text(st, 3, author, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, field, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, value_json, -1, SQLITE_TRANSIENT);
  uk_store_bind_text_or_null(st, 6, note);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  /* Amended text and notes become searchable too. */
  st = uk_store_stmt(
      s,
      "UPDATE incident_fts SET text = text || ' ' || coalesce(json_extract(?2, '$'), '') "
      "|| ' ' || coalesce(?3, '') WHERE rowid = ?1",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  if (g_str_equal(field, "description") || g_str_equal(field, "note"))
    sqlite3_bind_text(st, 2, value_json, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_text(st, 2, "\"\"", -1, SQLITE_STATIC);
  uk_store_bind_text_or_null(st, 3, note);
  return uk_store_step_done(s, st, error);
}

#define INCIDENT_COLUMNS                                                                           \
  "id, area, camera, cameras, position_90k, source, frame_90k, frame_path, frame_pts_90k, "        \
  "category, severity, description, actions, created_90k, created_by, status, changes"

static UkIncident *
incident_from_stmt(sqlite3_stmt *st)
{
  UkIncident *i = g_new0(UkIncident, 1);
  i->id = sqlite3_column_int64(st, 0);
  i->area = uk_store_column_dup(st, 1);
  i->camera = uk_store_column_dup(st, 2);
  i->cameras_json = uk_store_column_dup(st, 3);
  i->position_90k = sqlite3_column_int64(st, 4);
  i->source = uk_store_column_dup(st, 5);
  i->frame_90k = sqlite3_column_int64(st, 6);
  i->frame_path = uk_store_column_dup(st, 7);
  i->frame_pts_90k = sqlite3_column_int64(st, 8);
  i->category = uk_store_column_dup(st, 9);
  i->severity = uk_store_column_dup(st, 10);
  i->description = uk_store_column_dup(st, 11);
  i->actions_json = uk_store_column_dup(st, 12);
  i->created_90k = sqlite3_column_int64(st, 13);
  i->created_by = uk_store_column_dup(st, 14);
  i->status = uk_store_column_dup(st, 15);
  i->changes = sqlite3_column_int(st, 16);
  return i;
}

UkIncident *
uk_store_incident_get(UkStore *s, gint64 id, gboolean history, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s, "SELECT " INCIDENT_COLUMNS " FROM incident_now WHERE id = ?", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  g_autoptr(UkIncident) i = NULL;
  if (sqlite3_step(st) == SQLITE_ROW)
    i = incident_from_stmt(st);
  sqlite3_reset(st);
  if (!i) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no incident %" G_GINT64_FORMAT,
                id);
    return NULL;
  }
  if (!history)
    return g_steal_pointer(&i);
  st = uk_store_stmt(s,
                     "SELECT id, time_90k, author, field, value, note FROM incident_change "
                     "WHERE incident_id = ? ORDER BY id",
                     error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  i->history = g_ptr_array_new_with_free_func((GDestroyNotify)change_free);
  while (sqlite3_step(st) == SQLITE_ROW) {
    UkIncidentChange *c = g_new0(UkIncidentChange, 1);
    c->id = sqlite3_column_int64(st, 0);
    c->time_90k = sqlite3_column_int64(st, 1);
    c->author = uk_store_column_dup(st, 2);
    c->field = uk_store_column_dup(st, 3);
    c->value = uk_store_column_dup(st, 4);
    c->note = uk_store_column_dup(st, 5);
    g_ptr_array_add(i->history, c);
  }
  sqlite3_reset(st);
  return g_steal_pointer(&i);
}

static GPtrArray *tokens_of(const char *text);

/* Free text -> an FTS5 query where every word must occur, as a quoted
 * prefix: no FTS5 syntax from the user reaches the parser. (transfer full) */
static gchar *
fts_query(const char *text)
{
  if (!text)
    return NULL;
  g_auto(GStrv) words = g_strsplit_set(text, " \t\r\n", -1);
  g_autoptr(GString) q = g_string_new(NULL);
  for (gsize k = 0; words[k]; k++) {
    /* A word without letters or digits has no token: the index could not
     * find it, so it is left out (as uk_match does). */
    g_autoptr(GPtrArray) tokens = tokens_of(words[k]);
    if (tokens->len == 0)
      continue;
    if (q->len)
      g_string_append_c(q, ' ');
    g_string_append_c(q, '"');
    for (const char *p = words[k]; *p; p++) {
      if (*p == '"')
        g_string_append_c(q, '"');
      g_string_append_c(q, *p);
    }
    g_string_append(q, "\"*");
  }
  return q->len ? g_string_free(g_steal_pointer(&q), FALSE) : NULL;
}

GPtrArray *
uk_store_incidents_query(UkStore *s, const UkIncidentQuery *q, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "SELECT " INCIDENT_COLUMNS " FROM incident_now WHERE "
      "area IN (SELECT value FROM json_each(?1)) "
      "AND (?2 = 0 OR position_90k >= ?2) AND (?3 = 0 OR position_90k < ?3) "
      "AND (?4 IS NULL OR category = ?4) AND (?5 IS NULL OR status = ?5) "
      "AND (?6 IS NULL OR camera = ?6 OR EXISTS (SELECT 1 FROM json_each(cameras) WHERE value = "
      "?6)) "
      "AND (?7 IS NULL OR id IN (SELECT rowid FROM incident_fts WHERE incident_fts MATCH ?7) "
      "OR (id > " INDEXED_UPTO " AND uk_match((SELECT " INCIDENT_INDEX_TEXT
      " FROM incident i WHERE i.id = incident_now.id), ?11))) "
      "AND created_90k >= ?8 AND (?9 = 0 OR id < ?9) ORDER BY id DESC LIMIT ?10",
      error);
  if (!st)
    return NULL;
  g_autoptr(GString) areas = g_string_new("[");
  for (gsize k = 0; q->areas && q->areas[k]; k++) {
    g_string_append_printf(areas, "%s\"", k ? "," : "");
    for (const char *p = q->areas[k]; *p; p++) {
      if (*p == '"' || *p == '\\')
        g_string_append_c(areas, '\\');
      g_string_append_c(areas, *p);
    }
    g_string_append_c(areas, '"');
  }
  g_string_append_c(areas, ']');
  g_autofree gchar *match = fts_query(q->text);
  sqlite3_bind_text(st, 1, areas->str, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, q->from_90k);
  sqlite3_bind_int64(st, 3, q->to_90k);
  uk_store_bind_text_or_null(st, 4, q->category);
  uk_store_bind_text_or_null(st, 5, q->status);
  uk_store_bind_text_or_null(st, 6, q->camera);
  uk_store_bind_text_or_null(st, 7, match);
  sqlite3_bind_int64(st, 8, q->created_after_90k);
  sqlite3_bind_int64(st, 9, q->before_id);
  sqlite3_bind_int64(st, 10, q->limit ? q->limit : 100);
  uk_store_bind_text_or_null(st, 11, q->text);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)uk_incident_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(rows, incident_from_stmt(st));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    uk_store_sql_error(s, error, "incident query");
    return NULL;
  }
  return g_steal_pointer(&rows);
}

gint64
uk_store_incidents_expire(UkStore *s, gint64 before_90k, GError **error)
{
  static const char *const steps[] = {
    "UPDATE retention_gate SET open = 1 WHERE id = 1",
    "DELETE FROM incident_fts WHERE rowid IN (SELECT id FROM incident WHERE created_90k < ?1)",
    "DELETE FROM incident_change WHERE incident_id IN "
    "(SELECT id FROM incident WHERE created_90k < ?1)",
    "DELETE FROM incident WHERE created_90k < ?1",
    "UPDATE retention_gate SET open = 0 WHERE id = 1",
  };
  /* Most passes have nothing to do: no transaction (and no fsync) then. */
  sqlite3_stmt *any
      = uk_store_stmt(s, "SELECT 1 FROM incident WHERE created_90k < ? LIMIT 1", error);
  if (!any)
    return -1;
  sqlite3_bind_int64(any, 1, before_90k);
  gboolean some = sqlite3_step(any) == SQLITE_ROW;
  sqlite3_reset(any);
  if (!some)
    return 0;
  if (!uk_store_begin(s, error))
    return -1;
  gint64 deleted = 0;
  for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
    sqlite3_stmt *st = uk_store_stmt(s, steps[i], error);
    if (!st)
      goto fail;
    if (sqlite3_bind_parameter_count(st) > 0)
      sqlite3_bind_int64(st, 1, before_90k);
    if (!uk_store_step_done(s, st, error))
      goto fail;
    if (i == 3)
      deleted = sqlite3_changes(s->db);
  }
  if (deleted > 0) {
    g_autofree gchar *detail = g_strdup_printf("{\"incidents\":%" G_GINT64_FORMAT "}", deleted);
    UkAuditEntry e = {
      .actor = "system", .action = "incidents_deleted", .to_90k = before_90k, .detail = detail
    };
    if (!uk_store_audit_append(s, &e, error))
      goto fail;
  }
  if (!uk_store_commit(s, error))
    return -1;
  return deleted;
fail:
  uk_store_rollback(s);
  return -1;
}
