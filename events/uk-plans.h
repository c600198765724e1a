/* uk-plans: watch plans, the supervisor's schedule of station shifts and
 * events. A plan names a time window, the cameras to watch in it (those
 * marked must_watch raise an alert when nobody watches them) and the
 * operators on duty. Plans are added and cancelled, never edited. */
#pragma once

#include "uk-store.h"

G_BEGIN_DECLS

typedef struct {
  gchar *camera;
  gchar *area;
  gboolean must_watch;
} UkPlanCamera;

typedef struct {
  gint64 id;
  gchar *kind; /* "shift" or "event" */
  gchar *name;
  gint64 start_90k, end_90k;
  gchar *note;
  gchar *created_by;
  gint64 created_90k;
  gint64 cancelled_90k; /* 0: not cancelled */
  gchar *cancelled_by;
  GPtrArray *cameras;   /* (element-type UkPlanCamera) */
  GPtrArray *operators; /* (element-type utf8) user names */
} UkPlan;

/* An empty plan to fill in. (transfer full) */
UkPlan *uk_plan_new(void);
void uk_plan_free(UkPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkPlan, uk_plan_free)
void uk_plan_add_camera(UkPlan *plan, const char *camera, const char *area, gboolean must_watch);

/* TRUE when @plan is in force at @now_90k: not cancelled, start <= now < end. */
gboolean uk_plan_active(const UkPlan *plan, gint64 now_90k);

/* Adds @plan in one transaction (its id and created_90k are set). */
gboolean uk_store_plan_add(UkStore *store, UkPlan *plan, GError **error);

/* Cancels plan @id. UK_STORE_ERROR_NOT_FOUND when there is no such plan or it
 * was cancelled already. */
gboolean uk_store_plan_cancel(UkStore *store, gint64 id, const char *by, GError **error);

/* One plan, or NULL (UK_STORE_ERROR_NOT_FOUND). (transfer full) */
UkPlan *uk_store_plan_get(UkStore *store, gint64 id, GError **error);

/* Plans whose window ends after @from_90k and starts before @to_90k, by
 * start time; cancelled ones too when @cancelled. (element-type UkPlan)
 * (transfer full) */
GPtrArray *uk_store_plans_list(UkStore *store, gint64 from_90k, gint64 to_90k, gboolean cancelled,
                               GError **error);

G_END_DECLS
