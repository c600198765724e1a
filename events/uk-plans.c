/* uk-plans: watch plans (station shifts, events). */
#include "uk-plans.h"

#include "uk-store-private.h"
#include "uk-time.h"

static void
plan_camera_free(gpointer p)
{
  UkPlanCamera *c = p;
  g_free(c->camera);
  g_free(c->area);
  g_free(c);
}

UkPlan *
uk_plan_new(void)
{
  UkPlan *p = g_new0(UkPlan, 1);
  p->cameras = g_ptr_array_new_with_free_func(plan_camera_free);
  p->operators = g_ptr_array_new_with_free_func(g_free);
  return p;
}

void
uk_plan_free(UkPlan *p)
{
  if (!p)
    return;
  g_free(p->kind);
  g_free(p->name);
  g_free(p->note);
  g_free(p->created_by);
  g_free(p->cancelled_by);
  g_ptr_array_unref(p->cameras);
  g_ptr_array_unref(p->operators);
  g_free(p);
}

void
uk_plan_add_camera(UkPlan *p, const char *camera, const char *area, gboolean must_watch)
{
  UkPlanCamera *c = g_new0(UkPlanCamera, 1);
  c->camera = g_strdup(camera);
  c->area = g_strdup(area);
  c->must_watch = must_watch;
  g_ptr_array_add(p->cameras, c);
}

gboolean
uk_plan_active(const UkPlan *p, gint64 now_90k)
{
  return !p->cancelled_90k && p->start_90k <= now_90k && now_90k < p->end_90k;
}

static gboolean
plan_insert(UkStore *s, UkPlan *p, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT INTO watch_plan (kind, name, start_90k, end_90k, note, "
                                   "created_by, created_90k) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, p->kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, p->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, p->start_90k);
  sqlite3_bind_int64(st, 4, p->end_90k);
  uk_store_bind_text_or_null(st, 5, p->note);
  sqlite3_bind_text(st, 6, p->created_by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 7, p->created_90k);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  p->id = sqlite3_last_insert_rowid(s->db);
  for (guint i = 0; i < p->cameras->len; i++) {
    const UkPlanCamera *c = p->cameras->pdata[i];
    st = uk_store_stmt(s,
                       "INSERT INTO watch_plan_camera (plan_id, camera, area, must_watch) "
                       "VALUES (?, ?, ?, ?)",
                       error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, p->id);
    sqlite3_bind_text(st, 2, c->camera, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, c->area, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, c->must_watch);
    if (!uk_store_step_done(s, st, error))
      return FALSE;
  }
  for (guint i = 0; i < p->operators->len; i++) {
    st = uk_store_stmt(s, "INSERT INTO watch_plan_operator (plan_id, user) VALUES (?, ?)", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, p->id);
    sqlite3_bind_text(st, 2, p->operators->pdata[i], -1, SQLITE_TRANSIENT);
    if (!uk_store_step_done(s, st, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
uk_store_plan_add(UkStore *s, UkPlan *p, GError **error)
{
  if (!p->created_90k)
    p->created_90k = uk_time_now_90k();
  if (!uk_store_begin(s, error))
    return FALSE;
  if (!plan_insert(s, p, error)) {
    uk_store_rollback(s);
    return FALSE;
  }
  return uk_store_commit(s, error);
}

gboolean
uk_store_plan_cancel(UkStore *s, gint64 id, const char *by, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "UPDATE watch_plan SET cancelled_90k = ?, cancelled_by = ? "
                                   "WHERE id = ? AND cancelled_90k IS NULL",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, uk_time_now_90k());
  sqlite3_bind_text(st, 2, by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, id);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  if (sqlite3_changes(s->db) == 0) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND,
                "no plan %" G_GINT64_FORMAT " in force or planned", id);
    return FALSE;
  }
  return TRUE;
}

#define PLAN_COLUMNS                                                                               \
  "id, kind, name, start_90k, end_90k, note, created_by, created_90k, cancelled_90k, "             \
  "cancelled_by"

/* A plan from a row of PLAN_COLUMNS, with its cameras and operators. */
static UkPlan *
plan_read(UkStore *s, sqlite3_stmt *row, GError **error)
{
  g_autoptr(UkPlan) p = uk_plan_new();
  p->id = sqlite3_column_int64(row, 0);
  p->kind = uk_store_column_dup(row, 1);
  p->name = uk_store_column_dup(row, 2);
  p->start_90k = sqlite3_column_int64(row, 3);
  p->end_90k = sqlite3_column_int64(row, 4);
  p->note = uk_store_column_dup(row, 5);
  p->created_by = uk_store_column_dup(row, 6);
  p->created_90k = sqlite3_column_int64(row, 7);
  p->cancelled_90k = sqlite3_column_int64(row, 8);
  p->cancelled_by = uk_store_column_dup(row, 9);
  sqlite3_stmt *st = uk_store_stmt(
      s, "SELECT camera, area, must_watch FROM watch_plan_camera WHERE plan_id = ? ORDER BY rowid",
      error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, p->id);
  while (sqlite3_step(st) == SQLITE_ROW)
    uk_plan_add_camera(p, (const char *)sqlite3_column_text(st, 0),
                       (const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2));
  sqlite3_reset(st);
  st = uk_store_stmt(s, "SELECT user FROM watch_plan_operator WHERE plan_id = ? ORDER BY rowid",
                     error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, p->id);
  while (sqlite3_step(st) == SQLITE_ROW)
    g_ptr_array_add(p->operators, uk_store_column_dup(st, 0));
  sqlite3_reset(st);
  return g_steal_pointer(&p);
}

UkPlan *
uk_store_plan_get(UkStore *s, gint64 id, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s, "SELECT " PLAN_COLUMNS " FROM watch_plan WHERE id = ?", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  return uk_store_read_one(s, st, (UkRowReader)plan_read, "plan", id, error);
}

GPtrArray *
uk_store_plans_list(UkStore *s, gint64 from_90k, gint64 to_90k, gboolean cancelled, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "SELECT " PLAN_COLUMNS " FROM watch_plan WHERE end_90k > ? "
                                   "AND start_90k < ? AND (? OR cancelled_90k IS NULL) "
                                   "ORDER BY start_90k, id",
                                   error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, from_90k);
  sqlite3_bind_int64(st, 2, to_90k);
  sqlite3_bind_int(st, 3, cancelled);
  return uk_store_read_rows(s, st, (UkRowReader)plan_read, (GDestroyNotify)uk_plan_free, error);
}
