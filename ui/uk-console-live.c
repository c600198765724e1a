/* uk-console-live: live view over the console websocket.
 *
 * One live stream per camera, shared by all its viewers: the recorder posts
 * each recorded frame as a fragment of one continuous fragmented MP4 (for
 * Media Source Extensions) while anyone watches. The hub keeps the init
 * segment and the fragments since the last keyframe, so a new viewer starts
 * at once from the latest keyframe. Video goes out as droppable binary
 * messages: a viewer whose queue is full loses frames up to the next
 * keyframe instead of buffering without bound. Every view is audited with
 * its duration.
 *
 * Binary message: byte 0 kind (1 init segment, 2 media fragment), byte 1
 * flags (bit 0: keyframe), byte 2 length L of the camera id, L bytes camera
 * id, 8 bytes the frame's wall time in 90 kHz ticks (big-endian; 0 for
 * init), then the MP4 bytes. docs/PROTOCOL.md, "Live view". */
#include "uk-console-private.h"

#include "uk-audit.h"
#include "uk-text.h"
#include "uk-time.h"

enum { KIND_INIT = 1, KIND_MEDIA = 2 };

typedef struct {
  gboolean need_key; /* dropped a frame: wait for a keyframe */
  gint64 since_us;   /* monotonic start, for the audit's duration */
} Viewer;

typedef struct {
  gchar *camera;
  GBytes *init;        /* the current init segment, or NULL before the first frame */
  GPtrArray *gop;      /* (element-type GBytes) framed media messages since the last keyframe */
  GHashTable *viewers; /* UkConsoleConn* -> Viewer* */
} LiveHub;

static void
hub_free(LiveHub *h)
{
  g_free(h->camera);
  g_clear_pointer(&h->init, g_bytes_unref);
  g_ptr_array_unref(h->gop);
  g_hash_table_destroy(h->viewers);
  g_free(h);
}

static LiveHub *
hub_get(UkConsole *console, const char *camera)
{
  if (!console->live)
    console->live = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)hub_free);
  LiveHub *h = g_hash_table_lookup(console->live, camera);
  if (!h) {
    h = g_new0(LiveHub, 1);
    h->camera = g_strdup(camera);
    h->gop = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    h->viewers = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    g_hash_table_insert(console->live, h->camera, h);
  }
  return h;
}

/* A framed binary message. (transfer full) */
static GBytes *
frame_message(guint8 kind, gboolean key, const char *camera, gint64 wall_90k, GBytes *payload)
{
  gsize idlen = MIN(strlen(camera), 255), plen;
  const guint8 *p = g_bytes_get_data(payload, &plen);
  gsize len = 3 + idlen + 8 + plen;
  guint8 *m = g_malloc(len);
  m[0] = kind;
  m[1] = key ? 1 : 0;
  m[2] = idlen;
  memcpy(m + 3, camera, idlen);
  for (int i = 0; i < 8; i++)
    m[3 + idlen + i] = (guint64)wall_90k >> (56 - 8 * i);
  memcpy(m + 3 + idlen + 8, p, plen);
  return g_bytes_new_take(m, len);
}

static gboolean
send_bytes(UkConsoleConn *c, GBytes *msg, gboolean droppable)
{
  gsize len;
  const guint8 *d = g_bytes_get_data(msg, &len);
  return !c->closed && c->send_binary && c->send_binary(c->sink, d, len, droppable);
}

/* The codec string for MediaSource.isTypeSupported, from the init segment's
 * avcC; NULL for H.265 (hvc1), which Chromium's MSE here cannot play. */
static gchar *
mime_from_init(GBytes *init)
{
  gsize n;
  const guint8 *d = g_bytes_get_data(init, &n);
  for (gsize i = 4; i + 8 <= n; i++) {
    if (memcmp(d + i, "avcC", 4) == 0)
      return g_strdup_printf("video/mp4; codecs=\"avc1.%02x%02x%02x\"", d[i + 5], d[i + 6],
                             d[i + 7]);
    if (memcmp(d + i, "hvcC", 4) == 0)
      return NULL;
  }
  return NULL;
}

static void
audit_view(UkConsole *console, UkConsoleConn *c, const char *camera, const char *action,
           gint64 since_us)
{
  g_autoptr(UkUser) user = ukc_user(console, c->user_id);
  const UkCameraStatus *cam = uk_camera_board_get(console->cameras, camera);
  g_autofree gchar *detail = since_us
                                 ? g_strdup_printf("{\"peer\":\"%s\",\"duration_s\":%.1f}", c->peer,
                                                   (g_get_monotonic_time() - since_us) / 1e6)
                                 : g_strdup_printf("{\"peer\":\"%s\"}", c->peer);
  gint64 now = uk_time_now_90k();
  gint64 from = since_us ? now - (g_get_monotonic_time() - since_us) * 9 / 100 : now;
  UkAuditEntry e = { .actor = user ? user->name : "unknown",
                     .action = action,
                     .camera = camera,
                     .area = cam ? cam->area : NULL,
                     .from_90k = from,
                     .to_90k = since_us ? now : 0,
                     .detail = detail };
  uk_store_audit_append(console->store, &e, NULL);
}

/* The reply to live.start: playable unless there is a @notice. */
static void
live_reply(Request *req, const char *mime, const char *notice)
{
  g_autoptr(JsonBuilder) b = ukc_result(req);
  ukc_add_string(b, "camera", req->camera->id);
  ukc_add_string(b, "codec", req->camera->codec);
  ukc_add_string(b, "mime", mime);
  json_builder_set_member_name(b, "playable");
  json_builder_add_boolean_value(b, notice == NULL);
  ukc_add_string(b, "notice", notice);
  ukc_finish(req, b);
}

void
ukc_handle_live_start(Request *req)
{
  UkConsole *console = req->conn->console;
  UkConsoleConn *c = req->conn;
  if (!c->send_binary) {
    req_error(req, "bad_message", "this connection cannot receive video");
    return;
  }
  if (req->camera->blocked) {
    req_error(req, "not_allowed", "camera '%s' may not be watched: %s", req->camera->id,
              req->camera->blocked);
    return;
  }
  /* H.265 is recorded but not playable in the browsers here: answered at
   * once, nothing streamed, no view counted. */
  if (g_strcmp0(req->camera->codec, "h265") == 0) {
    live_reply(req, NULL, "H.265: wordt opgenomen, maar deze browser kan het niet live tonen");
    return;
  }
  LiveHub *h = hub_get(console, req->camera->id);
  gboolean first = g_hash_table_size(h->viewers) == 0;
  if (!g_hash_table_contains(h->viewers, c)) {
    Viewer *v = g_new0(Viewer, 1);
    v->since_us = g_get_monotonic_time();
    g_hash_table_insert(h->viewers, c, v);
    audit_view(console, c, h->camera, "live_view_start", 0);
    if (console->watch && c->user_name)
      uk_watch_viewer_add(console->watch, h->camera, c->user_name);
  }
  if (first && console->live_func)
    console->live_func(h->camera, TRUE, console->live_data);
  g_autofree gchar *mime = h->init ? mime_from_init(h->init) : NULL;
  live_reply(req, mime, NULL);
  /* Start at once from the latest keyframe, when there is one. */
  if (h->init && h->gop->len) {
    g_autoptr(GBytes) init = frame_message(KIND_INIT, FALSE, h->camera, 0, h->init);
    send_bytes(c, init, FALSE);
    for (guint i = 0; i < h->gop->len; i++)
      send_bytes(c, h->gop->pdata[i], TRUE);
  }
}

static void
drop_viewer(UkConsole *console, LiveHub *h, UkConsoleConn *c)
{
  Viewer *v = g_hash_table_lookup(h->viewers, c);
  if (!v)
    return;
  audit_view(console, c, h->camera, "live_view_stop", v->since_us);
  if (console->watch && c->user_name)
    uk_watch_viewer_remove(console->watch, h->camera, c->user_name);
  g_hash_table_remove(h->viewers, c);
  if (g_hash_table_size(h->viewers) == 0) {
    if (console->live_func)
      console->live_func(h->camera, FALSE, console->live_data);
    g_clear_pointer(&h->init, g_bytes_unref);
    g_ptr_array_set_size(h->gop, 0);
  }
}

void
ukc_handle_live_stop(Request *req)
{
  UkConsole *console = req->conn->console;
  LiveHub *h = console->live ? g_hash_table_lookup(console->live, req->camera->id) : NULL;
  if (h)
    drop_viewer(console, h, req->conn);
  g_autoptr(JsonBuilder) b = ukc_result(req);
  ukc_add_string(b, "camera", req->camera->id);
  ukc_finish(req, b);
}

/* Ends @c's view of @h's camera and tells it why (live.ended). */
static void
end_view(UkConsole *console, LiveHub *h, UkConsoleConn *c, const char *reason)
{
  g_autoptr(GString) ev = g_string_new("{\"type\":\"event\",\"event\":\"live.ended\",\"camera\":");
  uk_json_append_string(ev, h->camera);
  g_string_append(ev, ",\"reason\":");
  uk_json_append_string(ev, reason);
  g_string_append_c(ev, '}');
  drop_viewer(console, h, c);
  ukc_send_text(c, ev->str);
}

void
ukc_live_end_camera(UkConsole *console, const char *camera, const char *reason)
{
  LiveHub *h = console->live ? g_hash_table_lookup(console->live, camera) : NULL;
  if (!h || g_hash_table_size(h->viewers) == 0)
    return;
  GList *conns = g_hash_table_get_keys(h->viewers);
  for (GList *l = conns; l; l = l->next)
    end_view(console, h, l->data, reason);
  g_list_free(conns);
}

void
ukc_live_check_viewers(UkConsole *console)
{
  if (!console->live)
    return;
  gint64 now = uk_time_now_90k();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, console->live);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    LiveHub *h = value;
    const UkCameraStatus *cam = uk_camera_board_get(console->cameras, h->camera);
    GList *conns = g_hash_table_get_keys(h->viewers);
    for (GList *l = conns; l; l = l->next) {
      UkConsoleConn *c = l->data;
      g_autoptr(UkUser) user = ukc_user(console, c->user_id);
      if (user && cam && uk_user_may_area(user, cam->area, now))
        continue;
      end_view(console, h, c, "no authorisation for the camera's area any more");
    }
    g_list_free(conns);
  }
}

void
ukc_live_conn_closed(UkConsoleConn *c)
{
  UkConsole *console = c->console;
  if (!console->live)
    return;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, console->live);
  while (g_hash_table_iter_next(&it, NULL, &value))
    drop_viewer(console, value, c);
}

void
ukc_live_free(UkConsole *console)
{
  g_clear_pointer(&console->live, g_hash_table_destroy);
}

void
uk_console_set_live_source(UkConsole *console, UkConsoleLiveFunc func, gpointer user_data)
{
  console->live_func = func;
  console->live_data = user_data;
}

void
uk_console_conn_set_binary(UkConsoleConn *conn, UkConsoleSendBinaryFunc send_binary)
{
  conn->send_binary = send_binary;
}

void
uk_console_live_frame(UkConsole *console, const char *camera, GBytes *init, GBytes *fragment,
                      gboolean key, gint64 wall_90k)
{
  LiveHub *h = console->live ? g_hash_table_lookup(console->live, camera) : NULL;
  if (!h || g_hash_table_size(h->viewers) == 0)
    return;
  GHashTableIter it;
  gpointer conn, value;
  if (init) {
    g_clear_pointer(&h->init, g_bytes_unref);
    h->init = g_bytes_ref(init);
    g_ptr_array_set_size(h->gop, 0);
    g_autoptr(GBytes) msg = frame_message(KIND_INIT, FALSE, camera, 0, init);
    g_hash_table_iter_init(&it, h->viewers);
    while (g_hash_table_iter_next(&it, &conn, &value)) {
      ((Viewer *)value)->need_key = !send_bytes(conn, msg, FALSE);
    }
  }
  if (!h->init)
    return;
  GBytes *msg = frame_message(KIND_MEDIA, key, camera, wall_90k, fragment);
  if (key)
    g_ptr_array_set_size(h->gop, 0);
  g_ptr_array_add(h->gop, msg);
  g_hash_table_iter_init(&it, h->viewers);
  while (g_hash_table_iter_next(&it, &conn, &value)) {
    Viewer *v = value;
    if (v->need_key && !key)
      continue; /* dropped a frame: skip to the next keyframe */
    v->need_key = !send_bytes(conn, msg, TRUE);
  }
}
