/* uk-console-clips: police clip requests over the console protocol.
 *
 * clip.request (police liaison), clip.decide (a supervisor other than the
 * requester), clips.list; the daemon exports approved requests (the
 * exporter callback) and reports progress and results, which are pushed to
 * the requester. The files come from GET /files/clip/ID/CAMERA/(video|
 * manifest), for the requester's session only, until the link expires;
 * every download is audited. The export key's public half is at GET
 * /files/export-key.pub. docs/PROTOCOL.md, "Clips". */
#include "uk-audit.h"
#include "uk-clips.h"
#include "uk-console-private.h"
#include "uk-text.h"
#include "uk-time.h"

#define MAX_TEXT 2000
#define MAX_CLIP_90K ((gint64)24 * 3600 * UK_TIME_HZ)

static void
append_clip(GString *out, const UkClipRequest *r)
{
  g_string_append_c(out, '{');
  uk_json_member(out, "clip");
  g_string_append_printf(out, "%" G_GINT64_FORMAT, r->id);
  uk_json_member_string(out, "state", r->decision ? r->decision : "requested");
  uk_json_member_time(out, "from", r->from_90k);
  uk_json_member_time(out, "to", r->to_90k);
  uk_json_member_string(out, "case_ref", r->case_ref);
  uk_json_member_string(out, "legal_basis", r->legal_basis);
  uk_json_member_string(out, "vordering_ref", r->vordering_ref);
  uk_json_member_string(out, "purpose", r->purpose);
  uk_json_member_string(out, "requested_by", r->requested_by);
  uk_json_member_time(out, "requested", r->requested_90k);
  uk_json_member_string(out, "decided_by", r->decided_by);
  uk_json_member_time(out, "decided", r->decided_90k);
  uk_json_member_string(out, "decision_reason", r->decision_reason);
  uk_json_member(out, "exports");
  g_string_append_c(out, '[');
  for (guint i = 0; i < r->exports->len; i++) {
    const UkClipExport *e = r->exports->pdata[i];
    if (i)
      g_string_append_c(out, ',');
    g_string_append_c(out, '{');
    uk_json_member_string(out, "camera", e->camera);
    uk_json_member_string(out, "area", e->area);
    uk_json_member_string(out, "state", e->state);
    uk_json_member_string(out, "sha256", e->sha256);
    uk_json_member(out, "bytes");
    g_string_append_printf(out, "%" G_GINT64_FORMAT, e->bytes);
    uk_json_member_string(out, "error", e->error);
    uk_json_member_time(out, "finished", e->finished_90k);
    uk_json_member_time(out, "expires", e->expires_90k);
    /* Ready, until the link expired and retention deleted the files. */
    gboolean ready = g_strcmp0(e->state, "ready") == 0 && e->file;
    uk_json_member_bool(out, "deleted", g_strcmp0(e->state, "ready") == 0 && !e->file);
    g_autofree gchar *video
        = ready ? g_strdup_printf("/files/clip/%" G_GINT64_FORMAT "/%s/video", r->id, e->camera)
                : NULL;
    g_autofree gchar *manifest
        = ready ? g_strdup_printf("/files/clip/%" G_GINT64_FORMAT "/%s/manifest", r->id, e->camera)
                : NULL;
    uk_json_member_string(out, "video_url", video);
    uk_json_member_string(out, "manifest_url", manifest);
    g_string_append_c(out, '}');
  }
  g_string_append(out, "]}");
}

static GPtrArray *
clip_areas(const UkClipRequest *r)
{
  GPtrArray *areas = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < r->exports->len; i++) {
    const UkClipExport *e = r->exports->pdata[i];
    if (!g_ptr_array_find_with_equal_func(areas, e->area, g_str_equal, NULL))
      g_ptr_array_add(areas, g_strdup(e->area));
  }
  return areas;
}

/* Events about a request: to its requester, and the areas' supervisors. */
static void
push_clip(UkConsole *console, const char *event, const UkClipRequest *r)
{
  g_autoptr(GString) ev = g_string_new("{\"type\":\"event\"");
  uk_json_member_string(ev, "event", event);
  uk_json_member(ev, "clip");
  append_clip(ev, r);
  g_string_append_c(ev, '}');
  g_autoptr(GPtrArray) areas = clip_areas(r);
  g_autoptr(GPtrArray) users = g_ptr_array_new();
  g_ptr_array_add(users, r->requested_by);
  ukc_push(console, areas, ROLE(UK_ROLE_SUPERVISOR), users, ev->str);
}

static void
reply_clip(Request *req, const UkClipRequest *r)
{
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "clip");
  append_clip(out, r);
  ukc_finish_text(req, out);
}

static void
audit_clip(UkConsole *console, const char *actor, const char *action, const UkClipRequest *r,
           const char *camera, const char *extra)
{
  g_autoptr(GString) detail = g_string_new("{");
  uk_json_member(detail, "clip");
  g_string_append_printf(detail, "%" G_GINT64_FORMAT, r->id);
  uk_json_member_string(detail, "case_ref", r->case_ref);
  uk_json_member_string(detail, "legal_basis", r->legal_basis);
  uk_json_member_string(detail, "purpose", r->purpose);
  if (extra) {
    g_string_append_c(detail, ',');
    g_string_append(detail, extra);
  }
  g_string_append_c(detail, '}');
  const UkClipExport *first = r->exports->len ? r->exports->pdata[0] : NULL;
  UkAuditEntry e = { .actor = actor,
                     .action = action,
                     .camera = camera  ? camera
                               : first ? first->camera
                                       : NULL,
                     .area = first ? first->area : NULL,
                     .from_90k = r->from_90k,
                     .to_90k = r->to_90k,
                     .detail = detail->str };
  uk_store_audit_append(console->store, &e, NULL);
}

void
ukc_handle_clip_request(Request *req)
{
  UkConsole *console = req->conn->console;
  static const char *const bases[] = { "wpg-15-16", "sv-126nd", NULL };
  const char *case_ref, *basis, *vordering, *purpose;
  gint64 from, to, now = uk_time_now_90k();
  g_autoptr(GPtrArray) cameras = ukc_get_list(req, "cameras", 16, NULL, TRUE, NULL);
  if (!cameras || !ukc_get_time(req, "from", &from) || !ukc_get_time(req, "to", &to)
      || !ukc_get_string(req, "case_ref", TRUE, 200, &case_ref)
      || !ukc_get_choice(req, "legal_basis", bases, NULL, &basis)
      || !ukc_get_string(req, "vordering_ref", FALSE, 200, &vordering)
      || !ukc_get_string(req, "purpose", TRUE, MAX_TEXT, &purpose))
    return;
  if (!cameras->len) {
    req_error(req, "bad_message", "'cameras' must name at least one camera");
    return;
  }
  if (!from || !to || to <= from || to - from > MAX_CLIP_90K || to > now) {
    req_error(req, "bad_message",
              "'from' and 'to' are required, to after from, at most 24 hours apart, not in the "
              "future");
    return;
  }
  /* Images of 151c cameras are provided under Wpg art. 15/16; any other
   * basis is a written vordering (art. 126nd Sv), whose reference is needed. */
  if (g_str_equal(basis, "sv-126nd") && (!vordering || !*vordering)) {
    req_error(req, "bad_message",
              "legal basis 'sv-126nd' needs 'vordering_ref', the written "
              "vordering's reference");
    return;
  }
  g_autoptr(UkClipRequest) r = uk_clip_request_new();
  for (guint i = 0; i < cameras->len; i++) {
    const UkCameraStatus *cam = uk_camera_board_get(console->cameras, cameras->pdata[i]);
    uk_clip_request_add_camera(r, cam->id, cam->area);
  }
  r->from_90k = from;
  r->to_90k = to;
  r->case_ref = g_strdup(case_ref);
  r->legal_basis = g_strdup(basis);
  r->vordering_ref = g_strdup(vordering);
  r->purpose = g_strdup(purpose);
  r->requested_by = g_strdup(req->user->name);
  g_autoptr(GError) error = NULL;
  if (!uk_store_clip_add(console->store, r, &error)) {
    req_error(req, "internal", "not stored: %s", error->message);
    return;
  }
  audit_clip(console, req->user->name, "clip_requested", r, NULL, NULL);
  push_clip(console, "clip.requested", r);
  reply_clip(req, r);
}

/* The request @req names, if the user may see all its areas (and, for the
 * police liaison, made it). NULL after an error reply. */
static UkClipRequest *
get_clip(Request *req)
{
  gint64 id = ukc_get_id(req, "clip");
  if (!id)
    return NULL;
  g_autoptr(UkClipRequest) r = uk_store_clip_get(req->conn->console->store, id, NULL);
  if (!r) {
    req_error(req, "not_found", "no clip request %" G_GINT64_FORMAT, id);
    return NULL;
  }
  g_autoptr(GPtrArray) areas = clip_areas(r);
  return ukc_check_areas(req, areas, FALSE) ? g_steal_pointer(&r) : NULL;
}

void
ukc_handle_clip_decide(Request *req)
{
  UkConsole *console = req->conn->console;
  g_autoptr(UkClipRequest) r = get_clip(req);
  const char *reason;
  if (!r || !ukc_get_string(req, "reason", FALSE, MAX_TEXT, &reason))
    return;
  gboolean approve;
  if (!ukc_get_bool(req, "approve", -1, &approve))
    return;
  if (!reason || !*reason) {
    req_error(req, "bad_message", "a decision needs a 'reason'");
    return;
  }
  if (g_strcmp0(r->requested_by, req->user->name) == 0) {
    req_error(req, "not_allowed", "a clip request is decided by someone other than its requester");
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!uk_store_clip_decide(console->store, r->id, req->user->name, approve, reason, &error)) {
    gboolean done = g_error_matches(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND);
    req_error(req, done ? "not_found" : "internal", "%s", error->message);
    return;
  }
  g_autoptr(UkClipRequest) now = uk_store_clip_get(console->store, r->id, NULL);
  audit_clip(console, req->user->name, approve ? "clip_approved" : "clip_rejected", now, NULL,
             NULL);
  push_clip(console, "clip.decided", now);
  reply_clip(req, now);
  if (approve && console->export_func)
    console->export_func(now->id, console->export_data);
}

void
ukc_handle_clips_list(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 now = uk_time_now_90k();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = uk_store_clips_list(console->store, &error);
  if (!list) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  gboolean all = req->user->role == UK_ROLE_PRIVACY;
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member(out, "clips");
  g_string_append_c(out, '[');
  gboolean first = TRUE;
  for (guint i = 0; i < list->len; i++) {
    const UkClipRequest *r = list->pdata[i];
    gboolean may = all || req->user->role != UK_ROLE_POLICE
                   || g_strcmp0(r->requested_by, req->user->name) == 0;
    for (guint k = 0; k < r->exports->len && may && !all; k++)
      may = uk_user_may_area(req->user, ((UkClipExport *)r->exports->pdata[k])->area, now);
    if (!may)
      continue;
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    append_clip(out, r);
  }
  g_string_append_c(out, ']');
  ukc_finish_text(req, out);
}

/* ---- what the daemon reports ---- */

void
uk_console_set_exporter(UkConsole *console, UkConsoleExportFunc func, gpointer user_data)
{
  console->export_func = func;
  console->export_data = user_data;
}

void
uk_console_set_export_key(UkConsole *console, const char *public_key_path)
{
  g_free(console->export_key_path);
  console->export_key_path = g_strdup(public_key_path);
}

void
uk_console_clip_progress(UkConsole *console, gint64 id, const char *camera, double fraction)
{
  g_autoptr(UkClipRequest) r = uk_store_clip_get(console->store, id, NULL);
  if (!r)
    return;
  g_autoptr(GString) ev = g_string_new("{\"type\":\"event\",\"event\":\"clip.progress\"");
  uk_json_member(ev, "clip");
  g_string_append_printf(ev, "%" G_GINT64_FORMAT, id);
  uk_json_member_string(ev, "camera", camera);
  uk_json_member(ev, "progress");
  g_string_append_printf(ev, "%.2f", fraction);
  g_string_append_c(ev, '}');
  g_autoptr(GPtrArray) areas = clip_areas(r);
  g_autoptr(GPtrArray) users = g_ptr_array_new();
  g_ptr_array_add(users, r->requested_by);
  ukc_push(console, areas, 0, users, ev->str);
}

void
uk_console_clip_done(UkConsole *console, gint64 id)
{
  g_autoptr(UkClipRequest) r = uk_store_clip_get(console->store, id, NULL);
  if (r)
    push_clip(console, "clip.exported", r);
}

/* GET /files/clip/ID/CAMERA/(video|manifest) and /files/export-key.pub. */
gchar *
ukc_clip_file(UkConsole *console, const char *path, const char *session_cookie,
              const char **content_type)
{
  if (g_str_equal(path, "export-key.pub")) {
    *content_type = "text/plain";
    return g_strdup(console->export_key_path);
  }
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  if (g_strv_length(parts) != 4 || !g_str_equal(parts[0], "clip"))
    return NULL;
  gint64 id = g_ascii_strtoll(parts[1], NULL, 10);
  g_autoptr(UkClipRequest) r = id > 0 ? uk_store_clip_get(console->store, id, NULL) : NULL;
  if (!r)
    return NULL;
  /* The requester only, with their session, until the link expires. */
  gint64 user_id = ukc_session_user(console, session_cookie);
  UkUser *user = user_id ? ukc_user(console, user_id) : NULL;
  g_autoptr(UkUser) owned = user;
  if (!user || g_strcmp0(user->name, r->requested_by) != 0)
    return NULL;
  const UkClipExport *e = NULL;
  for (guint i = 0; i < r->exports->len && !e; i++)
    if (g_str_equal(((UkClipExport *)r->exports->pdata[i])->camera, parts[2]))
      e = r->exports->pdata[i];
  if (!e || g_strcmp0(e->state, "ready") != 0 || uk_time_now_90k() >= e->expires_90k)
    return NULL;
  gboolean video = g_str_equal(parts[3], "video");
  if (!video && !g_str_equal(parts[3], "manifest"))
    return NULL;
  *content_type = video ? "video/mp4" : "application/json";
  g_autofree gchar *extra = g_strdup_printf("\"file\":\"%s\"", video ? "video" : "manifest");
  audit_clip(console, user->name, "clip_downloaded", r, e->camera, extra);
  return g_build_filename(console->config->storage_path, video ? e->file : e->manifest, NULL);
}
