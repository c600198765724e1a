/* uk-console-watch: coordination over the console protocol.
 *
 * Claims, releases and handovers of cameras, presence (who watches which
 * camera), watch plans (station shifts, events) and the alerts of uk-watch,
 * pushed to the operators concerned and the area's supervisors.
 * docs/PROTOCOL.md, "Coordination". Control thread only. */
#include "uk-audit.h"
#include "uk-console-private.h"
#include "uk-plans.h"
#include "uk-text.h"
#include "uk-time.h"

#define MAX_PLAN_90K ((gint64)14 * 86400 * UK_TIME_HZ)
#define MAX_NAME 200
#define MAX_NOTE 2000
#define SUPERVISORS ROLE(UK_ROLE_SUPERVISOR)

/* ---- JSON ---- */

/* Sends @out (a result whose members follow the reply's first ones). */
void
ukc_finish_text(Request *req, GString *members)
{
  g_autofree gchar *id = req->id ? json_to_string(req->id, FALSE) : g_strdup("null");
  g_autoptr(GString) out = g_string_new("{\"type\":\"result\",\"id\":");
  g_string_append(out, id);
  g_string_append(out, ",\"request\":");
  uk_json_append_string(out, req->type);
  if (members->len)
    g_string_append_c(out, ',');
  g_string_append_len(out, members->str, members->len);
  g_string_append_c(out, '}');
  ukc_send_text(req->conn, out->str);
}

static const char *
camera_name(UkConsole *console, const char *id)
{
  const UkCameraStatus *s = uk_camera_board_get(console->cameras, id);
  return s && s->name ? s->name : id;
}

/* ---- presence ---- */

static void
append_camera_presence(GString *out, UkConsole *console, const UkWatchCamera *c)
{
  g_string_append_c(out, '{');
  uk_json_member_string(out, "camera", c->id);
  uk_json_member_string(out, "area", c->area);
  uk_json_member_string(out, "claimed_by", c->claimant);
  uk_json_member_time(out, "claimed_since", c->claimed_90k);
  uk_json_member(out, "claimant_online");
  g_string_append(out, uk_watch_user_is_online(console->watch, c->claimant) ? "true" : "false");
  g_autoptr(GPtrArray) viewers = g_ptr_array_new();
  GList *keys = g_list_sort(g_hash_table_get_keys(c->viewers), (GCompareFunc)g_strcmp0);
  for (GList *l = keys; l; l = l->next)
    g_ptr_array_add(viewers, l->data);
  g_list_free(keys);
  uk_json_member_strings(out, "viewers", viewers);
  uk_json_member_bool(out, "must_watch", c->must_watch);
  uk_json_member(out, "watched");
  g_string_append(out, g_hash_table_size(c->viewers)
                               || uk_watch_user_is_online(console->watch, c->claimant)
                           ? "true"
                           : "false");
  g_string_append_c(out, '}');
}

/* The cameras of the areas @may (NULL: all) allows, as a JSON array. */
static void
append_presence(GString *out, UkConsole *console, const char *only_area, const UkUser *user,
                gint64 now)
{
  g_string_append_c(out, '[');
  const GPtrArray *cams = uk_watch_cameras(console->watch);
  gboolean first = TRUE;
  for (guint i = 0; i < cams->len; i++) {
    const UkWatchCamera *c = cams->pdata[i];
    if (only_area && g_strcmp0(c->area, only_area) != 0)
      continue;
    if (user && !uk_user_may_area(user, c->area, now))
      continue;
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    append_camera_presence(out, console, c);
  }
  g_string_append_c(out, ']');
}

static void
on_presence(const char *area, gpointer data)
{
  UkConsole *console = data;
  g_hash_table_add(console->presence_dirty, g_strdup(area));
  ukc_outbox_schedule(console);
}

void
ukc_presence_flush(UkConsole *console)
{
  if (!console->watch || !g_hash_table_size(console->presence_dirty))
    return;
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, console->presence_dirty);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    g_autoptr(GString) ev = g_string_new("{\"type\":\"event\",\"event\":\"presence\"");
    uk_json_member_string(ev, "area", key);
    uk_json_member(ev, "cameras");
    append_presence(ev, console, key, NULL, 0);
    g_string_append_c(ev, '}');
    ukc_broadcast(console, key, INCIDENT_WRITE_ROLES, ev->str);
  }
  g_hash_table_remove_all(console->presence_dirty);
}

void
ukc_handle_presence(Request *req)
{
  UkConsole *console = req->conn->console;
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "cameras");
  append_presence(out, console, NULL, req->user, uk_time_now_90k());
  ukc_finish_text(req, out);
}

/* ---- alerts ---- */

static gchar *
alert_message(UkConsole *console, const UkAlert *a)
{
  const char *cam = a->camera ? camera_name(console, a->camera) : NULL;
  switch (a->kind) {
    case UK_ALERT_CAMERA_DOWN:
      return a->detail ? g_strdup_printf("Camera %s is uitgevallen (%s)", cam, a->detail)
                       : g_strdup_printf("Camera %s is uitgevallen", cam);
    case UK_ALERT_CAMERA_UP:
      return g_strdup_printf("Camera %s is weer in beeld", cam);
    case UK_ALERT_UNWATCHED:
      return g_strdup_printf("Camera %s moet nu bekeken worden, maar niemand kijkt", cam);
    case UK_ALERT_DISK_LOW:
      return g_strdup_printf(
          "Schijfruimte onder het minimum: de oudste beelden zonder bewaarplicht "
          "zijn eerder verwijderd (%s)",
          a->detail ? a->detail : "");
    case UK_ALERT_DISK_FULL:
      return g_strdup_printf("Schijf vol met beelden onder bewaarplicht: de opname is gestopt (%s)",
                             a->detail ? a->detail : "");
    case UK_ALERT_OPERATOR_GONE: {
      g_autoptr(GString) names = g_string_new(NULL);
      for (guint i = 0; i < a->cameras->len; i++)
        g_string_append_printf(names, "%s%s", i ? ", " : "",
                               camera_name(console, a->cameras->pdata[i]));
      return g_strdup_printf("%s is niet meer verbonden; camera's zonder operator: %s", a->user,
                             names->str);
    }
  }
  return g_strdup("");
}

static void
append_alert(GString *out, UkConsole *console, const UkAlert *a)
{
  g_string_append_c(out, '{');
  uk_json_member(out, "alert");
  g_string_append_printf(out, "%" G_GUINT64_FORMAT, a->id);
  uk_json_member_string(out, "kind", uk_alert_kind_name(a->kind));
  uk_json_member_string(out, "camera", a->camera);
  uk_json_member_strings(out, "cameras", a->cameras);
  uk_json_member_strings(out, "areas", a->areas);
  uk_json_member_string(out, "user", a->user);
  uk_json_member_string(out, "detail", a->detail);
  g_autofree gchar *message = alert_message(console, a);
  uk_json_member_string(out, "message", message);
  uk_json_member_string(out, "severity",
                        a->kind == UK_ALERT_CAMERA_UP || a->kind == UK_ALERT_DISK_LOW ? "info"
                        : a->kind == UK_ALERT_DISK_FULL                               ? "critical"
                                                                                      : "high");
  uk_json_member_strings(out, "notify", a->notify);
  uk_json_member_time(out, "raised", a->raised_90k);
  uk_json_member_time(out, "resolved", a->resolved_90k);
  uk_json_member_bool(out, "active", !a->resolved_90k);
  g_string_append_c(out, '}');
}

/* Raised or resolved: to the operators concerned (everyone of the areas when
 * nobody is named) and the areas' supervisors. */
static void
on_alert(const UkAlert *a, gpointer data)
{
  UkConsole *console = data;
  g_autoptr(GString) ev = g_string_new("{\"type\":\"event\",\"event\":\"alert\",\"alert\":");
  append_alert(ev, console, a);
  g_string_append_c(ev, '}');
  guint roles = SUPERVISORS | (a->notify->len ? 0 : ROLE(UK_ROLE_OPERATOR));
  ukc_push(console, a->areas, roles, a->notify, ev->str);
  if (!a->resolved_90k || a->kind == UK_ALERT_CAMERA_UP)
    g_message("alert %" G_GUINT64_FORMAT ": %s", a->id, uk_alert_kind_name(a->kind));
}

void
ukc_handle_alerts_list(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 now = uk_time_now_90k();
  const GPtrArray *alerts = uk_watch_alerts(console->watch);
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "alerts");
  g_string_append_c(out, '[');
  gboolean first = TRUE;
  for (guint i = alerts->len; i-- > 0;) { /* newest first */
    const UkAlert *a = alerts->pdata[i];
    gboolean may = FALSE;
    for (guint k = 0; k < a->areas->len && !may; k++)
      may = uk_user_may_area(req->user, a->areas->pdata[k], now);
    if (!may)
      continue;
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    append_alert(out, console, a);
  }
  g_string_append_c(out, ']');
  ukc_finish_text(req, out);
}

/* ---- claims ---- */

static void
audit_claim(UkConsole *console, const char *actor, const char *action, const UkWatchCamera *c,
            const char *detail)
{
  ukc_audit(console, actor, action, c->id, c->area, detail);
}

static void
reply_claim(Request *req, const UkWatchCamera *c)
{
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member_string(out, "camera", c->id);
  uk_json_member_string(out, "claimed_by", c->claimant);
  ukc_finish_text(req, out);
}

void
ukc_handle_camera_claim(Request *req)
{
  UkConsole *console = req->conn->console;
  UkWatchCamera *c = uk_watch_camera(console->watch, req->camera->id);
  const char *holder = NULL;
  gboolean had = c && g_strcmp0(c->claimant, req->user->name) == 0;
  if (!c || !uk_watch_claim(console->watch, c->id, req->user->name, uk_time_now_90k(), &holder)) {
    req_error(req, "claimed", "camera '%s' is watched by %s; ask for a handover", req->camera->id,
              holder ? holder : "someone else");
    return;
  }
  if (!had)
    audit_claim(console, req->user->name, "camera_claimed", c, NULL);
  reply_claim(req, c);
}

void
ukc_handle_camera_release(Request *req)
{
  UkConsole *console = req->conn->console;
  UkWatchCamera *c = uk_watch_camera(console->watch, req->camera->id);
  if (!c) {
    req_error(req, "not_found", "unknown camera '%s'", req->camera->id);
    return;
  }
  /* A supervisor may release anyone's claim; an operator only their own. */
  g_autofree gchar *holder = g_strdup(c->claimant);
  gboolean any = req->user->role == UK_ROLE_SUPERVISOR;
  if (uk_watch_release(console->watch, c->id, any ? NULL : req->user->name)) {
    g_autofree gchar *detail = g_strcmp0(holder, req->user->name)
                                   ? ukc_detail_json(req->conn->peer, "holder", holder)
                                   : NULL;
    audit_claim(console, req->user->name, "camera_released", c, detail);
  }
  reply_claim(req, c);
}

/* The user @name if they can take cameras of @areas over: an active operator
 * or supervisor authorised for each. NULL after an error reply. */
static UkUser *
handover_target(Request *req, const char *name, const GPtrArray *areas)
{
  UkConsole *console = req->conn->console;
  gint64 now = uk_time_now_90k();
  g_autoptr(UkUser) to = uk_store_user_get(console->store, name, NULL);
  if (!to || !uk_user_is_active(to, now)) {
    req_error(req, "not_found", "no active user '%.64s'", name);
    return NULL;
  }
  if (to->role != UK_ROLE_OPERATOR && to->role != UK_ROLE_SUPERVISOR) {
    req_error(req, "bad_message", "'%s' is not an operator or supervisor", to->name);
    return NULL;
  }
  for (guint i = 0; i < areas->len; i++) {
    if (!uk_user_may_area(to, areas->pdata[i], now)) {
      req_error(req, "bad_message", "'%s' has no authorisation for area '%s'", to->name,
                (const char *)areas->pdata[i]);
      return NULL;
    }
  }
  return g_steal_pointer(&to);
}

void
ukc_handle_camera_handover(Request *req)
{
  UkConsole *console = req->conn->console;
  const char *to_name, *note;
  g_autoptr(GPtrArray) cameras = ukc_get_list(req, "cameras", 64, NULL, TRUE, NULL);
  if (!cameras || !ukc_get_string(req, "to", TRUE, MAX_NAME, &to_name)
      || !ukc_get_string(req, "note", FALSE, MAX_NOTE, &note))
    return;
  if (!cameras->len) {
    req_error(req, "bad_message", "'cameras' must name at least one camera");
    return;
  }
  /* Each camera must be the sender's to give (a supervisor may give any). */
  g_autoptr(GPtrArray) areas = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < cameras->len; i++) {
    UkWatchCamera *c = uk_watch_camera(console->watch, cameras->pdata[i]);
    if (req->user->role != UK_ROLE_SUPERVISOR && g_strcmp0(c->claimant, req->user->name) != 0) {
      req_error(req, "not_claimed", "camera '%s' is not yours to hand over: claim it first", c->id);
      return;
    }
    if (!g_ptr_array_find_with_equal_func(areas, c->area, g_str_equal, NULL))
      g_ptr_array_add(areas, g_strdup(c->area));
  }
  g_autoptr(UkUser) to = handover_target(req, to_name, areas);
  if (!to)
    return;
  gint64 now = uk_time_now_90k();
  for (guint i = 0; i < cameras->len; i++) {
    UkWatchCamera *c = uk_watch_camera(console->watch, cameras->pdata[i]);
    g_autofree gchar *from = g_strdup(c->claimant);
    uk_watch_assign(console->watch, c->id, to->name, now);
    g_autoptr(GString) detail = g_string_new("{");
    uk_json_member_string(detail, "from", from);
    uk_json_member_string(detail, "to", to->name);
    uk_json_member_string(detail, "note", note);
    g_string_append_c(detail, '}');
    audit_claim(console, req->user->name, "camera_handover", c, detail->str);
  }
  /* The receiver (and the giver's other consoles) hear of it with the note. */
  g_autoptr(GString) ev = g_string_new("{\"type\":\"event\",\"event\":\"handover\"");
  uk_json_member_string(ev, "from", req->user->name);
  uk_json_member_string(ev, "to", to->name);
  uk_json_member_strings(ev, "cameras", cameras);
  uk_json_member_string(ev, "note", note);
  uk_json_member_time(ev, "time", now);
  g_string_append_c(ev, '}');
  g_autoptr(GPtrArray) users = g_ptr_array_new();
  g_ptr_array_add(users, to->name);
  g_ptr_array_add(users, req->user->name);
  ukc_push(console, areas, 0, users, ev->str);
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member_strings(out, "cameras", cameras);
  uk_json_member_string(out, "to", to->name);
  ukc_finish_text(req, out);
}

/* ---- plans ---- */

/* The plan as JSON; only the cameras @user may see (NULL: all). */
static void
append_plan(GString *out, const UkPlan *p, const UkUser *user, gint64 now)
{
  g_string_append_c(out, '{');
  uk_json_member(out, "plan");
  g_string_append_printf(out, "%" G_GINT64_FORMAT, p->id);
  uk_json_member_string(out, "kind", p->kind);
  uk_json_member_string(out, "name", p->name);
  uk_json_member_time(out, "start", p->start_90k);
  uk_json_member_time(out, "end", p->end_90k);
  uk_json_member_string(out, "note", p->note);
  uk_json_member_bool(out, "active", uk_plan_active(p, now));
  uk_json_member(out, "cameras");
  g_string_append_c(out, '[');
  gboolean first = TRUE;
  for (guint i = 0; i < p->cameras->len; i++) {
    const UkPlanCamera *c = p->cameras->pdata[i];
    if (user && !uk_user_may_area(user, c->area, now))
      continue;
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    g_string_append_c(out, '{');
    uk_json_member_string(out, "camera", c->camera);
    uk_json_member_string(out, "area", c->area);
    uk_json_member_bool(out, "must_watch", c->must_watch);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
  uk_json_member_strings(out, "operators", p->operators);
  uk_json_member_string(out, "created_by", p->created_by);
  uk_json_member_time(out, "created", p->created_90k);
  uk_json_member_time(out, "cancelled", p->cancelled_90k);
  uk_json_member_string(out, "cancelled_by", p->cancelled_by);
  g_string_append_c(out, '}');
}

static GPtrArray *
plan_areas(const UkPlan *p)
{
  GPtrArray *areas = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < p->cameras->len; i++) {
    const UkPlanCamera *c = p->cameras->pdata[i];
    if (!g_ptr_array_find_with_equal_func(areas, c->area, g_str_equal, NULL))
      g_ptr_array_add(areas, g_strdup(c->area));
  }
  return areas;
}

static void
push_plan(UkConsole *console, const char *event, const UkPlan *p)
{
  g_autoptr(GString) ev = g_string_new("{\"type\":\"event\"");
  uk_json_member_string(ev, "event", event);
  uk_json_member(ev, "plan");
  append_plan(ev, p, NULL, uk_time_now_90k());
  g_string_append_c(ev, '}');
  g_autoptr(GPtrArray) areas = plan_areas(p);
  ukc_push(console, areas, INCIDENT_WRITE_ROLES, NULL, ev->str);
}

static void
reply_plan(Request *req, const UkPlan *p)
{
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "plan");
  append_plan(out, p, req->user, uk_time_now_90k());
  ukc_finish_text(req, out);
}

void
ukc_handle_plan_create(Request *req)
{
  UkConsole *console = req->conn->console;
  static const char *const kinds[] = { "shift", "event", NULL };
  const char *kind, *name, *note;
  gint64 start, end, now = uk_time_now_90k();
  if (!ukc_get_choice(req, "kind", kinds, NULL, &kind)
      || !ukc_get_string(req, "name", TRUE, MAX_NAME, &name)
      || !ukc_get_string(req, "note", FALSE, MAX_NOTE, &note) || !ukc_get_time(req, "start", &start)
      || !ukc_get_time(req, "end", &end))
    return;
  if (!start || !end || end <= start || end - start > MAX_PLAN_90K || end <= now) {
    req_error(req, "bad_message",
              "'start' and 'end' are required, 'end' after 'start' and after now, at most 14 "
              "days apart");
    return;
  }
  g_autoptr(GPtrArray) cameras = ukc_get_list(req, "cameras", 64, NULL, TRUE, NULL);
  if (!cameras)
    return;
  if (!cameras->len) {
    req_error(req, "bad_message", "'cameras' must name at least one camera");
    return;
  }
  /* must_watch: the cameras that must be watched throughout (default: all). */
  JsonNode *mw = json_object_get_member(req->msg, "must_watch");
  g_autoptr(GPtrArray) must = NULL;
  if (mw && !JSON_NODE_HOLDS_NULL(mw)) {
    g_autoptr(GPtrArray) allowed = g_ptr_array_copy(cameras, NULL, NULL);
    g_ptr_array_add(allowed, NULL);
    must = ukc_get_list(req, "must_watch", 64, (const char *const *)allowed->pdata, FALSE, NULL);
    if (!must)
      return;
  }
  g_autoptr(GPtrArray) operators = ukc_get_list(req, "operators", 64, NULL, FALSE, NULL);
  if (!operators)
    return;
  g_autoptr(UkPlan) p = uk_plan_new();
  for (guint i = 0; i < cameras->len; i++) {
    const UkCameraStatus *cam = uk_camera_board_get(console->cameras, cameras->pdata[i]);
    gboolean must_watch
        = !must || g_ptr_array_find_with_equal_func(must, cam->id, g_str_equal, NULL);
    uk_plan_add_camera(p, cam->id, cam->area, must_watch);
  }
  g_autoptr(GPtrArray) areas = plan_areas(p);
  for (guint i = 0; i < operators->len; i++) {
    g_autoptr(UkUser) op = handover_target(req, operators->pdata[i], areas);
    if (!op)
      return;
    g_ptr_array_add(p->operators, g_strdup(op->name));
  }
  p->kind = g_strdup(kind);
  p->name = g_strdup(name);
  p->note = g_strdup(note);
  p->start_90k = start;
  p->end_90k = end;
  p->created_by = g_strdup(req->user->name);
  g_autoptr(GError) error = NULL;
  if (!uk_store_plan_add(console->store, p, &error)) {
    req_error(req, "internal", "the plan was not stored: %s", error->message);
    return;
  }
  g_autofree gchar *detail
      = g_strdup_printf("{\"plan\":%" G_GINT64_FORMAT ",\"kind\":\"%s\"}", p->id, p->kind);
  ukc_audit(console, req->user->name, "plan_created", NULL, areas->pdata[0], detail);
  push_plan(console, "plan.created", p);
  reply_plan(req, p);
}

/* The plan @req names, if the user may see all its areas. NULL after an
 * error reply. */
static UkPlan *
get_plan(Request *req)
{
  gint64 id = ukc_get_id(req, "plan");
  if (!id)
    return NULL;
  g_autoptr(UkPlan) p = uk_store_plan_get(req->conn->console->store, id, NULL);
  if (!p) {
    req_error(req, "not_found", "no plan %" G_GINT64_FORMAT, id);
    return NULL;
  }
  g_autoptr(GPtrArray) areas = plan_areas(p);
  return ukc_check_areas(req, areas, FALSE) ? g_steal_pointer(&p) : NULL;
}

void
ukc_handle_plan_cancel(Request *req)
{
  UkConsole *console = req->conn->console;
  g_autoptr(UkPlan) p = get_plan(req);
  if (!p)
    return;
  g_autoptr(GError) error = NULL;
  if (!uk_store_plan_cancel(console->store, p->id, req->user->name, &error)) {
    gboolean gone = g_error_matches(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND);
    req_error(req, gone ? "not_found" : "internal", "%s", error->message);
    return;
  }
  g_autoptr(UkPlan) now = uk_store_plan_get(console->store, p->id, NULL);
  g_autoptr(GPtrArray) areas = plan_areas(p);
  g_autofree gchar *detail = g_strdup_printf("{\"plan\":%" G_GINT64_FORMAT "}", p->id);
  ukc_audit(console, req->user->name, "plan_cancelled", NULL, areas->pdata[0], detail);
  push_plan(console, "plan.cancelled", now ? now : p);
  reply_plan(req, now ? now : p);
}

void
ukc_handle_plans_list(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 now = uk_time_now_90k(), from, to;
  if (!ukc_get_time(req, "from", &from) || !ukc_get_time(req, "to", &to))
    return;
  if (!from)
    from = now - (gint64)12 * 3600 * UK_TIME_HZ;
  if (!to)
    to = now + (gint64)7 * 86400 * UK_TIME_HZ;
  if (to <= from || to - from > (gint64)366 * 86400 * UK_TIME_HZ) {
    req_error(req, "bad_message", "'to' must come after 'from', at most a year later");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) plans = uk_store_plans_list(console->store, from, to, TRUE, &error);
  if (!plans) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "plans");
  g_string_append_c(out, '[');
  gboolean first = TRUE;
  for (guint i = 0; i < plans->len; i++) {
    const UkPlan *p = plans->pdata[i];
    g_autoptr(GPtrArray) areas = plan_areas(p);
    gboolean may = FALSE;
    for (guint k = 0; k < areas->len && !may; k++)
      may = uk_user_may_area(req->user, areas->pdata[k], now);
    if (!may)
      continue;
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    append_plan(out, p, req->user, now);
  }
  g_string_append_c(out, ']');
  ukc_finish_text(req, out);
}

/* ---- life cycle, and what the daemon tells ---- */

void
ukc_watch_init(UkConsole *console)
{
  console->watch = uk_watch_new(on_alert, on_presence, console);
  console->presence_dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void
ukc_watch_free(UkConsole *console)
{
  g_clear_pointer(&console->watch, uk_watch_free);
  g_clear_pointer(&console->presence_dirty, g_hash_table_destroy);
}

void
ukc_watch_user(UkConsoleConn *c, const char *old_name, const char *new_name)
{
  UkWatch *w = c->console->watch;
  if (!w || g_strcmp0(old_name, new_name) == 0)
    return;
  gint64 now = uk_time_now_90k();
  if (old_name)
    uk_watch_user_offline(w, old_name, now);
  if (new_name)
    uk_watch_user_online(w, new_name, now);
}

void
uk_console_camera_state(UkConsole *console, const char *camera, const char *state,
                        const char *reason)
{
  const UkCameraStatus *s = uk_camera_board_get(console->cameras, camera);
  if (!s)
    return;
  uk_watch_add_camera(console->watch, s->id, s->area);
  uk_watch_camera_state(console->watch, camera, state, reason, uk_time_now_90k());
}

/* "6 MB", "12,4 GB": Dutch, a decimal comma. (transfer full) */
static gchar *
size_text(guint64 bytes)
{
  if (bytes < 1000000000)
    return g_strdup_printf("%" G_GUINT64_FORMAT " MB", (bytes + 500000) / 1000000);
  guint64 tenths = (bytes + 50000000) / 100000000;
  return g_strdup_printf("%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT " GB", tenths / 10,
                         tenths % 10);
}

void
uk_console_disk_state(UkConsole *console, gboolean pressure, gboolean full, guint64 free_bytes,
                      guint64 need_bytes)
{
  g_autofree gchar *free_text = size_text(free_bytes);
  g_autofree gchar *need_text = size_text(need_bytes);
  g_autofree gchar *detail = g_strdup_printf("vrij %s, minimum %s", free_text, need_text);
  uk_watch_disk(console->watch, pressure, full, detail, uk_time_now_90k());
}

void
uk_console_tick(UkConsole *console)
{
  gint64 now = uk_time_now_90k();
  /* Cameras that may no longer be watched lose their viewers at once. */
  const GPtrArray *board = uk_camera_board_list(console->cameras);
  for (guint i = 0; i < board->len; i++) {
    const UkCameraStatus *s = board->pdata[i];
    if (s->blocked)
      ukc_live_end_camera(console, s->id, s->blocked);
  }
  ukc_live_check_viewers(console);
  /* What must be watched now, and by whom: the plans in force. */
  g_autoptr(GPtrArray) plans = uk_store_plans_list(console->store, now, now + 1, FALSE, NULL);
  const GPtrArray *cams = uk_camera_board_list(console->cameras);
  for (guint i = 0; i < cams->len; i++) {
    const UkCameraStatus *s = cams->pdata[i];
    uk_watch_add_camera(console->watch, s->id, s->area);
    gboolean must = s->live_watch_now && !s->blocked; /* the designation's live-watch window */
    g_autoptr(GPtrArray) concerned = g_ptr_array_new();
    for (guint k = 0; plans && k < plans->len; k++) {
      const UkPlan *p = plans->pdata[k];
      for (guint m = 0; m < p->cameras->len; m++) {
        const UkPlanCamera *pc = p->cameras->pdata[m];
        if (!g_str_equal(pc->camera, s->id))
          continue;
        must = must || pc->must_watch;
        g_ptr_array_extend(concerned, p->operators, NULL, NULL);
      }
    }
    uk_watch_set_required(console->watch, s->id, must, concerned);
  }
  uk_watch_tick(console->watch, now);
}
