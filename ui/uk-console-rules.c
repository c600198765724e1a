/* uk-console-rules: the legal rules over the console protocol.
 *
 * Designations (list, save, withdraw), veiligheidsrisicogebieden (listed
 * with them) and evidence holds (request, decide, release, list).
 * docs/PROTOCOL.md, "Legal rules". Every change is audited. */
#include "uk-audit.h"
#include "uk-console-private.h"
#include "uk-rules.h"
#include "uk-text.h"
#include "uk-time.h"
#include "uk-windows.h"

#define MAX_TEXT 2000
#define ALL_AREAS_ROLES (ROLE(UK_ROLE_PRIVACY) | ROLE(UK_ROLE_ADMIN))

static gboolean
sees_area(const Request *req, const char *area, gint64 now)
{
  return (ALL_AREAS_ROLES & ROLE(req->user->role)) || uk_user_may_area(req->user, area, now);
}

/* ---- designations ---- */

static void
append_designation(GString *out, const UkDesignation *d, gint64 now)
{
  const char *why = uk_designation_inactive_reason(d, now);
  g_autoptr(GArray) windows = NULL;
  g_autofree gchar *described = NULL;
  gboolean in_window = FALSE;
  if (d->live_watch && uk_watch_windows_parse(d->live_watch, &windows, NULL)) {
    described = uk_watch_windows_describe(windows);
    in_window = uk_watch_windows_contain(windows, now, NULL);
  }
  g_string_append_c(out, '{');
  uk_json_member_string(out, "designation", d->id);
  uk_json_member_string(out, "area", d->area);
  uk_json_member_string(out, "kind", d->kind);
  uk_json_member_string(out, "decision", d->decision);
  uk_json_member_string(out, "decided_by", d->decided_by);
  uk_json_member_time(out, "valid_from", d->valid_from_90k);
  uk_json_member_time(out, "valid_until", d->valid_until_90k);
  uk_json_member_string(out, "live_watch", d->live_watch);
  uk_json_member_string(out, "live_watch_text", described);
  uk_json_member_string(out, "dpia", d->dpia);
  uk_json_member_bool(out, "signage", d->signage);
  uk_json_member_bool(out, "active", why == NULL);
  uk_json_member_string(out, "inactive_reason", why);
  uk_json_member_bool(out, "live_watch_now", why == NULL && in_window);
  uk_json_member_time(out, "withdrawn", d->withdrawn_90k);
  uk_json_member_string(out, "withdrawn_by", d->withdrawn_by);
  uk_json_member_string(out, "withdraw_reason", d->withdraw_reason);
  uk_json_member_string(out, "source", d->source);
  uk_json_member_time(out, "changed", d->changed_90k);
  uk_json_member_string(out, "changed_by", d->changed_by);
  g_string_append_c(out, '}');
}

void
ukc_handle_designations_list(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 now = uk_time_now_90k();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = uk_store_designations_list(console->store, &error);
  g_autoptr(GPtrArray) risks = list ? uk_store_risk_areas_list(console->store, &error) : NULL;
  if (!risks) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "designations");
  g_string_append_c(out, '[');
  gboolean first = TRUE;
  for (guint i = 0; i < list->len; i++) {
    const UkDesignation *d = list->pdata[i];
    if (!sees_area(req, d->area, now))
      continue;
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    append_designation(out, d, now);
  }
  g_string_append(out, "]");
  uk_json_member(out, "risk_areas");
  g_string_append_c(out, '[');
  first = TRUE;
  for (guint i = 0; i < risks->len; i++) {
    const UkRiskArea *r = risks->pdata[i];
    if (!sees_area(req, r->area, now))
      continue;
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    g_string_append_c(out, '{');
    uk_json_member_string(out, "risk_area", r->id);
    uk_json_member_string(out, "area", r->area);
    uk_json_member_string(out, "decision", r->decision);
    uk_json_member_string(out, "prosecutor", r->prosecutor);
    uk_json_member_time(out, "valid_from", r->valid_from_90k);
    uk_json_member_time(out, "valid_until", r->valid_until_90k);
    uk_json_member_bool(out, "active", r->valid_from_90k <= now && now < r->valid_until_90k);
    uk_json_member_bool(out, "enables_cameras", FALSE);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
  ukc_finish_text(req, out);
}

static void
reply_designation(Request *req, const UkDesignation *d)
{
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "designation");
  append_designation(out, d, uk_time_now_90k());
  ukc_finish_text(req, out);
}

void
ukc_handle_designation_save(Request *req)
{
  UkConsole *console = req->conn->console;
  static const char *const kinds[] = { "standing", "event", NULL };
  const char *id, *area, *kind, *decision, *decided_by, *live_watch, *dpia;
  gint64 from, until, now = uk_time_now_90k();
  if (!ukc_get_string(req, "designation", TRUE, 32, &id)
      || !ukc_get_string(req, "area", TRUE, 32, &area)
      || !ukc_get_choice(req, "kind", kinds, "standing", &kind)
      || !ukc_get_string(req, "decision", TRUE, MAX_TEXT, &decision)
      || !ukc_get_string(req, "decided_by", FALSE, 200, &decided_by)
      || !ukc_get_string(req, "live_watch", FALSE, MAX_TEXT, &live_watch)
      || !ukc_get_string(req, "dpia", FALSE, 200, &dpia) || !ukc_get_time(req, "valid_from", &from)
      || !ukc_get_time(req, "valid_until", &until))
    return;
  gboolean signage;
  if (!ukc_get_bool(req, "signage", FALSE, &signage))
    return;
  if (!uk_config_id_is_valid(id)) {
    req_error(req, "bad_message", "'designation' must be 1 to 32 of a-z, 0-9, '_' and '-'");
    return;
  }
  if (!uk_config_find_area(console->config, area)) {
    req_error(req, "not_found", "unknown area '%.64s'", area);
    return;
  }
  if (!from || !until || until <= from) {
    req_error(req, "bad_message", "'valid_from' and 'valid_until' are required, until after from");
    return;
  }
  g_autoptr(GArray) windows = NULL;
  g_autoptr(GError) error = NULL;
  if (live_watch && !uk_watch_windows_parse(live_watch, &windows, &error)) {
    req_error(req, "bad_message", "'live_watch': %s", error->message);
    return;
  }
  g_autoptr(UkDesignation) d = g_new0(UkDesignation, 1);
  d->id = g_strdup(id);
  d->area = g_strdup(area);
  d->kind = g_strdup(kind);
  d->decision = g_strdup(decision);
  d->decided_by = g_strdup(decided_by ? decided_by : "burgemeester");
  d->valid_from_90k = from;
  d->valid_until_90k = until;
  d->live_watch = g_strdup(live_watch);
  d->dpia = g_strdup(dpia);
  d->signage = signage;
  d->source = g_strdup("console");
  d->changed_by = g_strdup(req->user->name);
  /* Gemeentewet 151c lid 6, Wpg art. 4c: no activation without a DPIA and
   * signs in place. A designation for later may wait for them. */
  if (from <= now && now < until && (!d->dpia || !*d->dpia || !d->signage)) {
    req_error(req, "not_allowed",
              "a designation cannot be active without a DPIA reference and confirmed signage");
    return;
  }
  g_autoptr(UkDesignation) had = uk_store_designation_get(console->store, id, NULL);
  if (had && g_strcmp0(had->area, area) != 0) {
    req_error(req, "bad_message", "designation '%s' belongs to area '%s'", id, had->area);
    return;
  }
  if (!uk_store_designation_put(console->store, d, &error)) {
    req_error(req, "internal", "not stored: %s", error->message);
    return;
  }
  g_autofree gchar *detail
      = g_strdup_printf("{\"designation\":\"%s\",\"dpia\":%s,\"signage\":%s}", id,
                        d->dpia ? "true" : "false", d->signage ? "true" : "false");
  UkAuditEntry e = { .actor = req->user->name,
                     .action = had ? "designation_changed" : "designation_declared",
                     .area = area,
                     .from_90k = from,
                     .to_90k = until,
                     .detail = detail };
  uk_store_audit_append(console->store, &e, NULL);
  reply_designation(req, d);
}

void
ukc_handle_designation_withdraw(Request *req)
{
  UkConsole *console = req->conn->console;
  const char *id, *reason;
  if (!ukc_get_string(req, "designation", TRUE, 32, &id)
      || !ukc_get_string(req, "reason", TRUE, 1000, &reason))
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(UkDesignation) d = uk_store_designation_get(console->store, id, &error);
  if (!d) {
    req_error(req, "not_found", "no designation '%.64s'", id);
    return;
  }
  /* Withdrawing twice changes nothing. */
  if (!d->withdrawn_90k) {
    if (!uk_store_designation_withdraw(console->store, id, req->user->name, reason,
                                       uk_time_now_90k(), &error)) {
      req_error(req, "internal", "%s", error->message);
      return;
    }
    g_autoptr(GString) detail = g_string_new("{");
    uk_json_member_string(detail, "designation", id);
    uk_json_member_string(detail, "reason", reason);
    g_string_append_c(detail, '}');
    ukc_audit(console, req->user->name, "designation_withdrawn", NULL, d->area, detail->str);
    g_clear_pointer(&d, uk_designation_free);
    d = uk_store_designation_get(console->store, id, NULL);
  }
  reply_designation(req, d);
}

/* ---- evidence holds ---- */

static void
append_hold(GString *out, const UkHold *h, gint64 now)
{
  g_string_append_c(out, '{');
  uk_json_member(out, "hold");
  g_string_append_printf(out, "%" G_GINT64_FORMAT, h->id);
  uk_json_member_string(out, "state", uk_hold_state(h, now));
  uk_json_member_strings(out, "cameras", h->cameras);
  uk_json_member_time(out, "from", h->from_90k);
  uk_json_member_time(out, "to", h->to_90k);
  uk_json_member_string(out, "case_ref", h->case_ref);
  uk_json_member_string(out, "offence", h->offence);
  uk_json_member_string(out, "justification", h->justification);
  uk_json_member_time(out, "keep_until", h->keep_until_90k);
  uk_json_member_string(out, "requested_by", h->requested_by);
  uk_json_member_time(out, "requested", h->requested_90k);
  uk_json_member_string(out, "decided_by", h->decided_by);
  uk_json_member_time(out, "decided", h->decided_90k);
  uk_json_member_string(out, "decision_note", h->decision_note);
  uk_json_member_string(out, "released_by", h->released_by);
  uk_json_member_time(out, "released", h->released_90k);
  uk_json_member_string(out, "release_reason", h->release_reason);
  g_string_append_c(out, '}');
}

static void
reply_hold(Request *req, const UkHold *h)
{
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "hold");
  append_hold(out, h, uk_time_now_90k());
  ukc_finish_text(req, out);
}

static void
audit_hold(UkConsole *console, const char *actor, const char *action, const UkHold *h)
{
  g_autoptr(GString) detail = g_string_new("{");
  uk_json_member(detail, "hold");
  g_string_append_printf(detail, "%" G_GINT64_FORMAT, h->id);
  uk_json_member_string(detail, "case_ref", h->case_ref);
  uk_json_member_strings(detail, "cameras", h->cameras);
  g_string_append_c(detail, '}');
  UkAuditEntry e = { .actor = actor,
                     .action = action,
                     .camera = h->cameras->len == 1 ? h->cameras->pdata[0] : NULL,
                     .area = h->areas->len ? h->areas->pdata[0] : NULL,
                     .from_90k = h->from_90k,
                     .to_90k = h->to_90k,
                     .detail = detail->str };
  uk_store_audit_append(console->store, &e, NULL);
}

/* Supervisors of the hold's areas hear of requests; the requester of
 * decisions. */
static void
push_hold(UkConsole *console, const char *event, const UkHold *h)
{
  g_autoptr(GString) ev = g_string_new("{\"type\":\"event\"");
  uk_json_member_string(ev, "event", event);
  uk_json_member(ev, "hold");
  append_hold(ev, h, uk_time_now_90k());
  g_string_append_c(ev, '}');
  g_autoptr(GPtrArray) users = g_ptr_array_new();
  g_ptr_array_add(users, h->requested_by);
  ukc_push(console, h->areas, ROLE(UK_ROLE_SUPERVISOR), users, ev->str);
}

void
ukc_handle_hold_request(Request *req)
{
  UkConsole *console = req->conn->console;
  static const char *const purposes[] = { "opsporing", "openbare orde", NULL };
  const char *case_ref, *offence, *justification, *purpose;
  gint64 from, to, keep_until, now = uk_time_now_90k();
  g_autoptr(GPtrArray) cameras = ukc_get_list(req, "cameras", 64, NULL, TRUE, NULL);
  if (!cameras || !ukc_get_time(req, "from", &from) || !ukc_get_time(req, "to", &to)
      || !ukc_get_time(req, "keep_until", &keep_until)
      || !ukc_get_choice(req, "purpose", purposes, "opsporing", &purpose)
      || !ukc_get_string(req, "case_ref", FALSE, 200, &case_ref)
      || !ukc_get_string(req, "offence", FALSE, 200, &offence)
      || !ukc_get_string(req, "justification", FALSE, MAX_TEXT, &justification))
    return;
  /* Gemeentewet 151c lid 9: footage is kept longer only when it is needed
   * to investigate a criminal offence. */
  if (g_str_equal(purpose, "openbare orde")) {
    req_error(req, "not_allowed",
              "footage may be kept past the retention period only to investigate a criminal "
              "offence (Gemeentewet art. 151c lid 9); public order alone does not qualify");
    return;
  }
  if (!case_ref || !*case_ref || !offence || !*offence) {
    req_error(req, "bad_message",
              "'case_ref' (the police case) and 'offence' (the suspected criminal offence) are "
              "both required");
    return;
  }
  if (!cameras->len) {
    req_error(req, "bad_message", "'cameras' must name at least one camera");
    return;
  }
  if (!from || !to || to <= from || from > now) {
    req_error(req, "bad_message",
              "'from' and 'to' are required, to after from, from not in "
              "the future");
    return;
  }
  if (keep_until && keep_until <= now) {
    req_error(req, "bad_message", "'keep_until' must lie in the future");
    return;
  }
  g_autoptr(UkHold) h = uk_hold_new();
  for (guint i = 0; i < cameras->len; i++) {
    const UkCameraStatus *cam = uk_camera_board_get(console->cameras, cameras->pdata[i]);
    g_ptr_array_add(h->cameras, g_strdup(cam->id));
    g_ptr_array_add(h->areas, g_strdup(cam->area));
  }
  h->from_90k = from;
  h->to_90k = to;
  h->keep_until_90k = keep_until;
  h->case_ref = g_strdup(case_ref);
  h->offence = g_strdup(offence);
  h->justification = g_strdup(justification ? justification : "");
  h->requested_by = g_strdup(req->user->name);
  g_autoptr(GError) error = NULL;
  if (!uk_store_hold_add(console->store, h, &error)) {
    req_error(req, "internal", "not stored: %s", error->message);
    return;
  }
  audit_hold(console, req->user->name, "hold_requested", h);
  push_hold(console, "hold.requested", h);
  reply_hold(req, h);
}

/* The hold @req names, if the user may see all its areas. NULL after an
 * error reply. */
static UkHold *
get_hold(Request *req)
{
  gint64 id = ukc_get_id(req, "hold");
  if (!id)
    return NULL;
  g_autoptr(UkHold) h = uk_store_hold_get(req->conn->console->store, id, NULL);
  if (!h) {
    req_error(req, "not_found", "no hold %" G_GINT64_FORMAT, id);
    return NULL;
  }
  return ukc_check_areas(req, h->areas, TRUE) ? g_steal_pointer(&h) : NULL;
}

void
ukc_handle_hold_decide(Request *req)
{
  UkConsole *console = req->conn->console;
  g_autoptr(UkHold) h = get_hold(req);
  const char *note;
  if (!h || !ukc_get_string(req, "note", FALSE, MAX_TEXT, &note))
    return;
  gboolean approve;
  if (!ukc_get_bool(req, "approve", -1, &approve))
    return;
  if (g_strcmp0(h->requested_by, req->user->name) == 0) {
    req_error(req, "not_allowed", "a hold is decided by someone other than its requester");
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!uk_store_hold_decide(console->store, h->id, req->user->name, approve, note, &error)) {
    gboolean done = g_error_matches(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND);
    req_error(req, done ? "not_found" : "internal", "%s", error->message);
    return;
  }
  g_autoptr(UkHold) now = uk_store_hold_get(console->store, h->id, NULL);
  audit_hold(console, req->user->name, approve ? "hold_approved" : "hold_rejected", now);
  push_hold(console, "hold.decided", now);
  reply_hold(req, now);
}

void
ukc_handle_hold_release(Request *req)
{
  UkConsole *console = req->conn->console;
  g_autoptr(UkHold) h = get_hold(req);
  const char *reason;
  if (!h || !ukc_get_string(req, "reason", FALSE, MAX_TEXT, &reason))
    return;
  if (req->user->role == UK_ROLE_POLICE && g_strcmp0(h->requested_by, req->user->name) != 0) {
    req_error(req, "forbidden", "police liaisons release only the holds they requested");
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!uk_store_hold_release(console->store, h->id, req->user->name, reason, &error)) {
    gboolean done = g_error_matches(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND);
    req_error(req, done ? "not_found" : "internal", "%s", error->message);
    return;
  }
  g_autoptr(UkHold) now = uk_store_hold_get(console->store, h->id, NULL);
  audit_hold(console, req->user->name, "hold_released", now);
  push_hold(console, "hold.released", now);
  reply_hold(req, now);
}

void
ukc_handle_holds_list(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 now = uk_time_now_90k();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) holds = uk_store_holds_list(console->store, &error);
  if (!holds) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "holds");
  g_string_append_c(out, '[');
  gboolean first = TRUE;
  for (guint i = 0; i < holds->len; i++) {
    const UkHold *h = holds->pdata[i];
    gboolean may = TRUE;
    for (guint k = 0; k < h->areas->len && may; k++)
      may = sees_area(req, h->areas->pdata[k], now);
    if (!may)
      continue;
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    append_hold(out, h, now);
  }
  g_string_append_c(out, ']');
  ukc_finish_text(req, out);
}
