/* uk-console-playback: recorded video, without transcoding.
 *
 * `timeline` describes a camera's recordings, gaps and incidents over a
 * period (no images). `playback.open` grants the user's browser its
 * segment files for a range: a token naming exactly those files, valid
 * PLAYBACK_GRANT_S, for that user's session only; the browser fetches them
 * from GET /files/pb/TOKEN/PATH with byte ranges (ui/uk-server.c) and plays
 * them with Media Source Extensions. Each grant is audited ("playback",
 * camera and range). docs/PROTOCOL.md, "Playback". */
#include "uk-audit.h"
#include "uk-console-private.h"
#include "uk-incidents.h"
#include "uk-text.h"
#include "uk-time.h"

#include <sodium.h>

#define PLAYBACK_GRANT_S (2 * 3600)
#define MAX_RANGE_90K ((gint64)24 * 3600 * UK_TIME_HZ)
#define MAX_TIMELINE_90K ((gint64)31 * 86400 * UK_TIME_HZ)

typedef struct {
  gint64 user_id;
  gchar *camera;
  GHashTable *paths; /* relative segment paths granted */
  gint64 expires_us; /* monotonic */
} Grant;

static void
grant_free(gpointer p)
{
  Grant *g = p;
  g_free(g->camera);
  g_hash_table_destroy(g->paths);
  g_free(g);
}

static GHashTable *
grants(UkConsole *console)
{
  if (!console->grants)
    console->grants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, grant_free);
  /* Expired grants go whenever one is looked at. */
  gint64 now = g_get_monotonic_time();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, console->grants);
  while (g_hash_table_iter_next(&it, NULL, &value))
    if (((Grant *)value)->expires_us <= now)
      g_hash_table_iter_remove(&it);
  return console->grants;
}

void
ukc_playback_free(UkConsole *console)
{
  g_clear_pointer(&console->grants, g_hash_table_destroy);
}

/* Reads `from` (required) and `to` (default from + @def_90k, at most @max_90k
 * later). FALSE after an error reply. */
static gboolean
get_range(Request *req, gint64 def_90k, gint64 max_90k, gint64 *from, gint64 *to)
{
  if (!ukc_get_time(req, "from", from) || !ukc_get_time(req, "to", to))
    return FALSE;
  if (!*from) {
    req_error(req, "bad_message", "'from' is required");
    return FALSE;
  }
  if (!*to)
    *to = *from + def_90k;
  if (*to <= *from || *to - *from > max_90k) {
    req_error(req, "bad_message",
              "'to' must come after 'from', at most %" G_GINT64_FORMAT " hours later",
              max_90k / UK_TIME_HZ / 3600);
    return FALSE;
  }
  return TRUE;
}

static void
append_gaps(GString *out, UkConsole *console, const char *camera, gint64 from, gint64 to)
{
  g_autoptr(GPtrArray) gaps = uk_store_gaps(console->store, camera, from, to, NULL);
  uk_json_member(out, "gaps");
  g_string_append_c(out, '[');
  for (guint i = 0; gaps && i < gaps->len; i++) {
    const UkGapRow *g = gaps->pdata[i];
    if (i)
      g_string_append_c(out, ',');
    g_string_append_c(out, '{');
    uk_json_member_time(out, "start", g->start_90k);
    uk_json_member_time(out, "end", g->end_90k);
    uk_json_member_string(out, "reason", g->reason);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

static void
append_incidents(GString *out, Request *req, const char *camera, gint64 from, gint64 to)
{
  UkConsole *console = req->conn->console;
  const char *areas[] = { req->camera->area, NULL };
  UkIncidentQuery q
      = { .areas = areas, .from_90k = from, .to_90k = to, .camera = camera, .limit = 500 };
  g_autoptr(GPtrArray) rows = uk_store_incidents_query(console->store, &q, NULL);
  uk_json_member(out, "incidents");
  g_string_append_c(out, '[');
  if (!(ROLE(req->user->role) & INCIDENT_READ_ROLES))
    g_clear_pointer(&rows, g_ptr_array_unref); /* the police liaison sees no incident log */
  for (guint i = 0; rows && i < rows->len; i++) {
    const UkIncident *inc = rows->pdata[rows->len - 1 - i]; /* oldest first */
    if (i)
      g_string_append_c(out, ',');
    g_string_append_c(out, '{');
    uk_json_member(out, "incident");
    g_string_append_printf(out, "%" G_GINT64_FORMAT, inc->id);
    uk_json_member_time(out, "time", inc->frame_path ? inc->frame_90k : inc->position_90k);
    uk_json_member_string(out, "category", inc->category);
    uk_json_member_string(out, "severity", inc->severity);
    uk_json_member_string(out, "status", inc->status);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

/* Recorded spans (segments joined where they touch), for the timeline. */
void
ukc_handle_timeline(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 from, to;
  if (!get_range(req, (gint64)86400 * UK_TIME_HZ, MAX_TIMELINE_90K, &from, &to))
    return;
  const char *camera = req->camera->id;
  g_autoptr(GPtrArray) recs = uk_store_recordings(console->store, camera, from, to, NULL);
  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member_string(out, "camera", camera);
  uk_json_member_time(out, "from", from);
  uk_json_member_time(out, "to", to);
  uk_json_member(out, "recorded");
  g_string_append_c(out, '[');
  gint64 span_start = 0, span_end = 0, now = uk_time_now_90k();
  gboolean first = TRUE;
  for (guint i = 0; recs && i <= recs->len; i++) {
    const UkRecordingRow *r = i < recs->len ? recs->pdata[i] : NULL;
    gint64 end = r ? (r->end_90k ? r->end_90k : now) : 0;
    /* Segments within 1 s of each other are one span. */
    if (r && span_end && r->start_90k - span_end <= UK_TIME_HZ) {
      span_end = MAX(span_end, end);
      continue;
    }
    if (span_end) {
      if (!first)
        g_string_append_c(out, ',');
      first = FALSE;
      g_string_append_c(out, '{');
      uk_json_member_time(out, "start", MAX(span_start, from));
      uk_json_member_time(out, "end", MIN(span_end, to));
      g_string_append_c(out, '}');
    }
    if (r) {
      span_start = r->start_90k;
      span_end = end;
    }
  }
  g_string_append_c(out, ']');
  append_gaps(out, console, camera, from, to);
  append_incidents(out, req, camera, from, to);
  ukc_finish_text(req, out);
}

void
ukc_handle_playback_open(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 from, to;
  if (!get_range(req, (gint64)3600 * UK_TIME_HZ, MAX_RANGE_90K, &from, &to))
    return;
  const char *camera = req->camera->id;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) recs = uk_store_recordings(console->store, camera, from, to, &error);
  if (!recs) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  guint8 raw[16];
  randombytes_buf(raw, sizeof raw);
  gchar token[33];
  sodium_bin2hex(token, sizeof token, raw, sizeof raw);
  Grant *g = g_new0(Grant, 1);
  g->user_id = req->conn->user_id;
  g->camera = g_strdup(camera);
  g->paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g->expires_us = g_get_monotonic_time() + (gint64)PLAYBACK_GRANT_S * G_USEC_PER_SEC;

  g_autoptr(GString) out = g_string_new(NULL);
  uk_json_member_string(out, "camera", camera);
  uk_json_member_time(out, "from", from);
  uk_json_member_time(out, "to", to);
  uk_json_member_string(out, "token", token);
  uk_json_member(out, "segments");
  g_string_append_c(out, '[');
  gint64 now = uk_time_now_90k();
  for (guint i = 0; i < recs->len; i++) {
    const UkRecordingRow *r = recs->pdata[i];
    g_hash_table_add(g->paths, g_strdup(r->path));
    if (i)
      g_string_append_c(out, ',');
    g_string_append_c(out, '{');
    g_autofree gchar *url = g_strdup_printf("/files/pb/%s/%s", token, r->path);
    uk_json_member_string(out, "url", url);
    uk_json_member_time(out, "start", r->start_90k);
    uk_json_member_time(out, "end", r->end_90k ? r->end_90k : now);
    uk_json_member(out, "complete");
    g_string_append(out, r->complete ? "true" : "false");
    uk_json_member(out, "frames");
    g_string_append_printf(out, "%" G_GINT64_FORMAT, r->frames);
    uk_json_member_string(out, "codec", r->codec);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
  append_gaps(out, console, camera, from, to);
  append_incidents(out, req, camera, from, to);
  g_hash_table_insert(grants(console), g_strdup(token), g);
  g_autofree gchar *detail = ukc_detail_json(req->conn->peer, "segments", NULL);
  UkAuditEntry e = { .actor = req->user->name,
                     .action = "playback",
                     .camera = camera,
                     .area = req->camera->area,
                     .from_90k = from,
                     .to_90k = to,
                     .detail = detail };
  uk_store_audit_append(console->store, &e, NULL);
  ukc_finish_text(req, out);
}

/* GET /files/pb/TOKEN/PATH: a granted segment, for the grant's user. */
gchar *
ukc_playback_file(UkConsole *console, const char *path, const char *session_cookie,
                  const char **content_type)
{
  if (!g_str_has_prefix(path, "pb/") || !session_cookie)
    return NULL;
  const char *token = path + 3;
  const char *slash = strchr(token, '/');
  if (!slash)
    return NULL;
  g_autofree gchar *t = g_strndup(token, (gsize)(slash - token));
  Grant *g = g_hash_table_lookup(grants(console), t);
  const char *rel = slash + 1;
  if (!g || !g_hash_table_contains(g->paths, rel))
    return NULL;
  /* The grant is the user's: the request must come with their session. */
  gint64 user = ukc_session_user(console, session_cookie);
  if (user != g->user_id)
    return NULL;
  *content_type = "video/mp4";
  return g_build_filename(console->config->storage_path, rel, NULL);
}
