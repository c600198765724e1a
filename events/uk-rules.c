/* uk-rules: designations, risk areas, evidence holds, retention queries. */
#include "uk-rules.h"

#include "uk-store-private.h"
#include "uk-time.h"

/* ---- designations ---- */

void
uk_designation_free(UkDesignation *d)
{
  if (!d)
    return;
  g_free(d->id);
  g_free(d->area);
  g_free(d->kind);
  g_free(d->decision);
  g_free(d->decided_by);
  g_free(d->live_watch);
  g_free(d->dpia);
  g_free(d->withdrawn_by);
  g_free(d->withdraw_reason);
  g_free(d->source);
  g_free(d->changed_by);
  g_free(d);
}

const char *
uk_designation_inactive_reason(const UkDesignation *d, gint64 now)
{
  if (d->withdrawn_90k && d->withdrawn_90k <= now)
    return "the designation was withdrawn";
  if (now < d->valid_from_90k)
    return "the designation is not valid yet";
  if (now >= d->valid_until_90k)
    return "the designation has expired";
  if (!d->dpia || !*d->dpia)
    return "the designation has no DPIA reference";
  if (!d->signage)
    return "signage is not confirmed for the designation";
  return NULL;
}

const UkDesignation *
uk_designations_active(const GPtrArray *list, const char *area, gint64 now, const char **why)
{
  const UkDesignation *latest = NULL;
  for (guint i = 0; list && i < list->len; i++) {
    const UkDesignation *d = list->pdata[i];
    if (g_strcmp0(d->area, area) != 0)
      continue;
    if (!uk_designation_inactive_reason(d, now))
      return d;
    if (!latest || d->valid_from_90k >= latest->valid_from_90k)
      latest = d;
  }
  if (why)
    *why = latest ? uk_designation_inactive_reason(latest, now) : "no designation for the area";
  return NULL;
}

gboolean
uk_store_designation_put(UkStore *s, UkDesignation *d, GError **error)
{
  if (!d->changed_90k)
    d->changed_90k = uk_time_now_90k();
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "INSERT INTO designation (id, area, kind, decision, decided_by, valid_from_90k, "
      "valid_until_90k, live_watch, dpia, signage, withdrawn_90k, withdrawn_by, source, "
      "changed_90k, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET area = excluded.area, kind = excluded.kind, "
      "decision = excluded.decision, decided_by = excluded.decided_by, "
      "valid_from_90k = excluded.valid_from_90k, valid_until_90k = excluded.valid_until_90k, "
      "live_watch = excluded.live_watch, dpia = excluded.dpia, signage = excluded.signage, "
      "withdrawn_90k = excluded.withdrawn_90k, withdrawn_by = excluded.withdrawn_by, "
      "source = excluded.source, changed_90k = excluded.changed_90k, "
      "changed_by = excluded.changed_by, withdraw_reason = CASE WHEN excluded.withdrawn_90k IS "
      "NULL THEN NULL ELSE designation.withdraw_reason END",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, d->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, d->area, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, d->kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, d->decision, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, d->decided_by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 6, d->valid_from_90k);
  sqlite3_bind_int64(st, 7, d->valid_until_90k);
  uk_store_bind_text_or_null(st, 8, d->live_watch);
  uk_store_bind_text_or_null(st, 9, d->dpia);
  sqlite3_bind_int(st, 10, d->signage);
  if (d->withdrawn_90k)
    sqlite3_bind_int64(st, 11, d->withdrawn_90k);
  else
    sqlite3_bind_null(st, 11);
  uk_store_bind_text_or_null(st, 12, d->withdrawn_by);
  sqlite3_bind_text(st, 13, d->source, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 14, d->changed_90k);
  sqlite3_bind_text(st, 15, d->changed_by, -1, SQLITE_TRANSIENT);
  return uk_store_step_done(s, st, error);
}

#define DESIGNATION_COLUMNS                                                                        \
  "id, area, kind, decision, decided_by, valid_from_90k, valid_until_90k, live_watch, dpia, "      \
  "signage, withdrawn_90k, withdrawn_by, source, changed_90k, changed_by, withdraw_reason"

static UkDesignation *
designation_read(sqlite3_stmt *st)
{
  UkDesignation *d = g_new0(UkDesignation, 1);
  d->id = uk_store_column_dup(st, 0);
  d->area = uk_store_column_dup(st, 1);
  d->kind = uk_store_column_dup(st, 2);
  d->decision = uk_store_column_dup(st, 3);
  d->decided_by = uk_store_column_dup(st, 4);
  d->valid_from_90k = sqlite3_column_int64(st, 5);
  d->valid_until_90k = sqlite3_column_int64(st, 6);
  d->live_watch = uk_store_column_dup(st, 7);
  d->dpia = uk_store_column_dup(st, 8);
  d->signage = sqlite3_column_int(st, 9);
  d->withdrawn_90k = sqlite3_column_int64(st, 10);
  d->withdrawn_by = uk_store_column_dup(st, 11);
  d->source = uk_store_column_dup(st, 12);
  d->changed_90k = sqlite3_column_int64(st, 13);
  d->changed_by = uk_store_column_dup(st, 14);
  d->withdraw_reason = uk_store_column_dup(st, 15);
  return d;
}

UkDesignation *
uk_store_designation_get(UkStore *s, const char *id, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s, "SELECT " DESIGNATION_COLUMNS " FROM designation WHERE id = ?", error);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  UkDesignation *d = sqlite3_step(st) == SQLITE_ROW ? designation_read(st) : NULL;
  sqlite3_reset(st);
  if (!d)
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no designation '%s'", id);
  return d;
}

GPtrArray *
uk_store_designations_list(UkStore *s, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s, "SELECT " DESIGNATION_COLUMNS " FROM designation ORDER BY area, valid_from_90k, id",
      error);
  if (!st)
    return NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)uk_designation_free);
  while (sqlite3_step(st) == SQLITE_ROW)
    g_ptr_array_add(out, designation_read(st));
  sqlite3_reset(st);
  return out;
}

gboolean
uk_store_designation_withdraw(UkStore *s, const char *id, const char *by, const char *reason,
                              gint64 now, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "UPDATE designation SET withdrawn_90k = ?1, withdrawn_by = ?2, "
                                   "changed_90k = ?3, changed_by = ?4, source = 'console', "
                                   "withdraw_reason = ?6 WHERE id = ?5 AND withdrawn_90k IS NULL",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, now);
  sqlite3_bind_text(st, 4, by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, id, -1, SQLITE_TRANSIENT);
  uk_store_bind_text_or_null(st, 6, reason);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  if (sqlite3_changes(s->db) == 0) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND,
                "no designation '%s' that is not withdrawn already", id);
    return FALSE;
  }
  return TRUE;
}

/* ---- risk areas ---- */

void
uk_risk_area_free(UkRiskArea *r)
{
  if (!r)
    return;
  g_free(r->id);
  g_free(r->area);
  g_free(r->decision);
  g_free(r->prosecutor);
  g_free(r);
}

gboolean
uk_store_risk_area_put(UkStore *s, const UkRiskArea *r, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "INSERT OR REPLACE INTO risk_area (id, area, decision, prosecutor, valid_from_90k, "
      "valid_until_90k) VALUES (?, ?, ?, ?, ?, ?)",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, r->area, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, r->decision, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, r->prosecutor, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 5, r->valid_from_90k);
  sqlite3_bind_int64(st, 6, r->valid_until_90k);
  return uk_store_step_done(s, st, error);
}

GPtrArray *
uk_store_risk_areas_list(UkStore *s, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "SELECT id, area, decision, prosecutor, valid_from_90k, "
                                   "valid_until_90k FROM risk_area ORDER BY area, valid_from_90k",
                                   error);
  if (!st)
    return NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)uk_risk_area_free);
  while (sqlite3_step(st) == SQLITE_ROW) {
    UkRiskArea *r = g_new0(UkRiskArea, 1);
    r->id = uk_store_column_dup(st, 0);
    r->area = uk_store_column_dup(st, 1);
    r->decision = uk_store_column_dup(st, 2);
    r->prosecutor = uk_store_column_dup(st, 3);
    r->valid_from_90k = sqlite3_column_int64(st, 4);
    r->valid_until_90k = sqlite3_column_int64(st, 5);
    g_ptr_array_add(out, r);
  }
  sqlite3_reset(st);
  return out;
}

/* ---- evidence holds ---- */

UkHold *
uk_hold_new(void)
{
  UkHold *h = g_new0(UkHold, 1);
  h->cameras = g_ptr_array_new_with_free_func(g_free);
  h->areas = g_ptr_array_new_with_free_func(g_free);
  return h;
}

void
uk_hold_free(UkHold *h)
{
  if (!h)
    return;
  g_ptr_array_unref(h->cameras);
  g_ptr_array_unref(h->areas);
  g_free(h->case_ref);
  g_free(h->offence);
  g_free(h->justification);
  g_free(h->requested_by);
  g_free(h->decision);
  g_free(h->decided_by);
  g_free(h->decision_note);
  g_free(h->released_by);
  g_free(h->release_reason);
  g_free(h);
}

const char *
uk_hold_state(const UkHold *h, gint64 now)
{
  if (h->released_90k)
    return "released";
  if (g_strcmp0(h->decision, "rejected") == 0)
    return "rejected";
  if (h->keep_until_90k && now >= h->keep_until_90k)
    return "expired";
  return h->decision ? "approved" : "requested";
}

static gboolean
hold_insert(UkStore *s, UkHold *h, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "INSERT INTO evidence_hold (from_90k, to_90k, case_ref, offence, justification, "
      "keep_until_90k, requested_by, requested_90k) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, h->from_90k);
  sqlite3_bind_int64(st, 2, h->to_90k);
  sqlite3_bind_text(st, 3, h->case_ref, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, h->offence, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, h->justification ? h->justification : "", -1, SQLITE_TRANSIENT);
  if (h->keep_until_90k)
    sqlite3_bind_int64(st, 6, h->keep_until_90k);
  else
    sqlite3_bind_null(st, 6);
  sqlite3_bind_text(st, 7, h->requested_by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 8, h->requested_90k);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  h->id = sqlite3_last_insert_rowid(s->db);
  for (guint i = 0; i < h->cameras->len; i++) {
    st = uk_store_stmt(
        s, "INSERT INTO evidence_hold_camera (hold_id, camera, area) VALUES (?, ?, ?)", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, h->id);
    sqlite3_bind_text(st, 2, h->cameras->pdata[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, h->areas->pdata[i], -1, SQLITE_TRANSIENT);
    if (!uk_store_step_done(s, st, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
uk_store_hold_add(UkStore *s, UkHold *h, GError **error)
{
  if (!h->requested_90k)
    h->requested_90k = uk_time_now_90k();
  if (!uk_store_begin(s, error))
    return FALSE;
  if (!hold_insert(s, h, error)) {
    uk_store_rollback(s);
    return FALSE;
  }
  return uk_store_commit(s, error);
}

static gboolean
changed_one(UkStore *s, gint64 id, const char *what, GError **error)
{
  if (sqlite3_changes(s->db) > 0)
    return TRUE;
  g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no hold %" G_GINT64_FORMAT " %s",
              id, what);
  return FALSE;
}

gboolean
uk_store_hold_decide(UkStore *s, gint64 id, const char *by, gboolean approve, const char *note,
                     GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "UPDATE evidence_hold SET decision = ?, decided_by = ?, "
                                   "decided_90k = ?, decision_note = ? WHERE id = ? AND "
                                   "decision IS NULL AND released_90k IS NULL",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, approve ? "approved" : "rejected", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, uk_time_now_90k());
  uk_store_bind_text_or_null(st, 4, note);
  sqlite3_bind_int64(st, 5, id);
  return uk_store_step_done(s, st, error) && changed_one(s, id, "awaiting a decision", error);
}

gboolean
uk_store_hold_release(UkStore *s, gint64 id, const char *by, const char *reason, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "UPDATE evidence_hold SET released_by = ?, released_90k = ?, release_reason = ? "
      "WHERE id = ? AND released_90k IS NULL AND (decision IS NULL OR decision = 'approved')",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, uk_time_now_90k());
  uk_store_bind_text_or_null(st, 3, reason);
  sqlite3_bind_int64(st, 4, id);
  return uk_store_step_done(s, st, error) && changed_one(s, id, "in force", error);
}

#define HOLD_COLUMNS                                                                               \
  "id, from_90k, to_90k, case_ref, offence, justification, keep_until_90k, requested_by, "         \
  "requested_90k, decision, decided_by, decided_90k, decision_note, released_by, released_90k, "   \
  "release_reason"

static UkHold *
hold_read(UkStore *s, sqlite3_stmt *row, GError **error)
{
  g_autoptr(UkHold) h = uk_hold_new();
  h->id = sqlite3_column_int64(row, 0);
  h->from_90k = sqlite3_column_int64(row, 1);
  h->to_90k = sqlite3_column_int64(row, 2);
  h->case_ref = uk_store_column_dup(row, 3);
  h->offence = uk_store_column_dup(row, 4);
  h->justification = uk_store_column_dup(row, 5);
  h->keep_until_90k = sqlite3_column_int64(row, 6);
  h->requested_by = uk_store_column_dup(row, 7);
  h->requested_90k = sqlite3_column_int64(row, 8);
  h->decision = uk_store_column_dup(row, 9);
  h->decided_by = uk_store_column_dup(row, 10);
  h->decided_90k = sqlite3_column_int64(row, 11);
  h->decision_note = uk_store_column_dup(row, 12);
  h->released_by = uk_store_column_dup(row, 13);
  h->released_90k = sqlite3_column_int64(row, 14);
  h->release_reason = uk_store_column_dup(row, 15);
  sqlite3_stmt *st = uk_store_stmt(
      s, "SELECT camera, area FROM evidence_hold_camera WHERE hold_id = ? ORDER BY rowid", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, h->id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    g_ptr_array_add(h->cameras, uk_store_column_dup(st, 0));
    g_ptr_array_add(h->areas, uk_store_column_dup(st, 1));
  }
  sqlite3_reset(st);
  return g_steal_pointer(&h);
}

UkHold *
uk_store_hold_get(UkStore *s, gint64 id, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s, "SELECT " HOLD_COLUMNS " FROM evidence_hold WHERE id = ?", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  return uk_store_read_one(s, st, (UkRowReader)hold_read, "hold", id, error);
}

GPtrArray *
uk_store_holds_list(UkStore *s, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s, "SELECT " HOLD_COLUMNS " FROM evidence_hold ORDER BY id DESC", error);
  if (!st)
    return NULL;
  return uk_store_read_rows(s, st, (UkRowReader)hold_read, (GDestroyNotify)uk_hold_free, error);
}

/* ---- retention ---- */

void
uk_segment_ref_free(UkSegmentRef *r)
{
  if (!r)
    return;
  g_free(r->camera);
  g_free(r->path);
  g_free(r);
}

GPtrArray *
uk_store_segments_unheld(UkStore *s, gint64 cutoff, gint64 now, guint limit, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "SELECT r.id, r.camera, r.path, r.start_90k, r.end_90k, coalesce(r.bytes, 0) "
      "FROM recording r WHERE r.state = 'complete' AND (?1 = 0 OR r.end_90k <= ?1) "
      "AND NOT EXISTS (SELECT 1 FROM evidence_hold_camera hc JOIN evidence_hold h "
      "ON h.id = hc.hold_id WHERE hc.camera = r.camera AND h.released_90k IS NULL "
      "AND h.from_90k < r.end_90k AND h.to_90k > r.start_90k "
      "AND ((h.decision = 'approved' AND (h.keep_until_90k IS NULL OR h.keep_until_90k > ?2)) "
      "OR (h.decision IS NULL AND h.requested_90k + ?3 > ?2))) "
      "ORDER BY r.end_90k, r.id LIMIT ?4",
      error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, cutoff);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int64(st, 3, UK_HOLD_PENDING_PROTECT_90K);
  sqlite3_bind_int64(st, 4, limit);
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)uk_segment_ref_free);
  while (sqlite3_step(st) == SQLITE_ROW) {
    UkSegmentRef *r = g_new0(UkSegmentRef, 1);
    r->id = sqlite3_column_int64(st, 0);
    r->camera = uk_store_column_dup(st, 1);
    r->path = uk_store_column_dup(st, 2);
    r->start_90k = sqlite3_column_int64(st, 3);
    r->end_90k = sqlite3_column_int64(st, 4);
    r->bytes = sqlite3_column_int64(st, 5);
    g_ptr_array_add(out, r);
  }
  sqlite3_reset(st);
  return out;
}

gboolean
uk_store_segments_any(UkStore *s, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s, "SELECT 1 FROM recording WHERE state = 'complete' LIMIT 1", error);
  if (!st)
    return FALSE;
  gboolean any = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_reset(st);
  return any;
}

gboolean
uk_store_segments_discard(UkStore *s, const GPtrArray *segments, const char *reason, GError **error)
{
  if (!uk_store_begin(s, error))
    return FALSE;
  for (guint i = 0; i < segments->len; i++) {
    const UkSegmentRef *r = segments->pdata[i];
    sqlite3_stmt *st;
    if (!uk_store_garbage_add(s, r->path, reason, error)
        || !(st = uk_store_stmt(s, "DELETE FROM recording WHERE id = ?", error))) {
      uk_store_rollback(s);
      return FALSE;
    }
    sqlite3_bind_int64(st, 1, r->id);
    if (!uk_store_step_done(s, st, error)) {
      uk_store_rollback(s);
      return FALSE;
    }
  }
  return uk_store_commit(s, error);
}
