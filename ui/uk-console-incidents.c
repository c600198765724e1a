/* uk-console-incidents: the incident log's messages (docs/PROTOCOL.md).
 *
 * Writes (create, amend, status) are acknowledged only once durable: they
 * are queued and committed together by one transaction per main-loop round
 * (group commit, sqlite WAL with synchronous=FULL), each in its own savepoint
 * so that one bad write cannot take the others down. Replies and the live
 * push to other consoles go out after the commit. */
#include "uk-text.h"
#include "uk-console-private.h"

#include "uk-audit.h"
#include "uk-time.h"

#define MAX_TEXT 4000
#define MAX_NOTE 1000
#define QUERY_LIMIT_MAX 500
#define EXPORT_LIMIT_MAX 5000
#define MAX_FUTURE_90K (5 * UK_TIME_HZ)
#define MAX_PAST_90K ((gint64)28 * 86400 * UK_TIME_HZ)

static const char *const severities[] = { "low", "medium", "high", NULL };
static const char *const statuses[] = { "open", "handed_to_police", "closed", NULL };

typedef enum {
  WRITE_CREATE,
  WRITE_CHANGE,
} WriteKind;

/* One queued write, with what the reply needs. */
typedef struct {
  WriteKind kind;
  UkConsoleConn *conn; /* (owned ref) */
  JsonNode *id;
  gchar *request;
  gchar *user;
  UkIncident *incident; /* CREATE: to insert; CHANGE: its id and area */
  gchar *field, *value_json, *note;
} WriteJob;

static void
write_job_free(WriteJob *j)
{
  ukc_conn_unref(j->conn);
  json_node_unref(j->id);
  g_free(j->request);
  g_free(j->user);
  uk_incident_free(j->incident);
  g_free(j->field);
  g_free(j->value_json);
  g_free(j->note);
  g_free(j);
}

static gchar *
json_text(JsonNode *node)
{
  return json_to_string(node, FALSE);
}
/* ---- JSON for an incident ---- */

/* The console's link that opens an incident's frame in playback. (transfer full) */
static gchar *
playback_link(const UkIncident *i)
{
  g_autofree gchar *t = uk_time_format_rfc3339(i->frame_90k ? i->frame_90k : i->position_90k);
  g_autofree gchar *cam = g_uri_escape_string(i->camera, NULL, FALSE);
  return g_strdup_printf("/#/playback?camera=%s&t=%s&incident=%" G_GINT64_FORMAT, cam, t, i->id);
}

static void
incident_json(GString *out, UkConsole *console, const UkIncident *i)
{
  const UkAreaConfig *area = uk_config_find_area(console->config, i->area);
  g_string_append_c(out, '{');
  uk_json_member(out, "incident");
  g_string_append_printf(out, "%" G_GINT64_FORMAT, i->id);
  uk_json_member_string(out, "area", i->area);
  uk_json_member_string(out, "area_name", area ? area->name : NULL);
  uk_json_member_string(out, "camera", i->camera);
  uk_json_member_raw(out, "cameras", i->cameras_json);
  uk_json_member_time(out, "position", i->position_90k);
  uk_json_member_string(out, "source", i->source);
  uk_json_member_time(out, "frame_time", i->frame_path ? i->frame_90k : 0);
  uk_json_member(out, "frame_pts_s");
  if (i->frame_path) {
    gchar num[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(out, g_ascii_dtostr(num, sizeof num, i->frame_pts_90k / (double)UK_TIME_HZ));
  } else {
    g_string_append(out, "null");
  }
  uk_json_member_string(out, "category", i->category);
  uk_json_member_string(out, "severity", i->severity);
  uk_json_member_string(out, "description", i->description);
  uk_json_member_raw(out, "actions", i->actions_json);
  uk_json_member_string(out, "status", i->status ? i->status : "open");
  uk_json_member_time(out, "created", i->created_90k);
  uk_json_member_string(out, "created_by", i->created_by);
  uk_json_member(out, "changes");
  g_string_append_printf(out, "%d", i->changes);
  g_autofree gchar *link = playback_link(i);
  uk_json_member_string(out, "playback", link);
  if (i->history) {
    uk_json_member(out, "history");
    g_string_append_c(out, '[');
    for (guint k = 0; k < i->history->len; k++) {
      UkIncidentChange *c = i->history->pdata[k];
      if (k)
        g_string_append_c(out, ',');
      g_string_append_c(out, '{');
      uk_json_member_time(out, "time", c->time_90k);
      uk_json_member_string(out, "author", c->author);
      uk_json_member_string(out, "field", c->field);
      uk_json_member_raw(out, "value", c->value);
      uk_json_member_string(out, "note", c->note);
      g_string_append_c(out, '}');
    }
    g_string_append_c(out, ']');
  }
  g_string_append_c(out, '}');
}

/* The incident as JSON text. (transfer full) */
static gchar *
incident_text(UkConsole *console, const UkIncident *i)
{
  GString *out = g_string_sized_new(768);
  incident_json(out, console, i);
  return g_string_free(out, FALSE);
}

/* Adds the incident as the value of the builder's current member. */
static void
add_incident(UkConsole *console, JsonBuilder *b, const UkIncident *i)
{
  g_autofree gchar *text = incident_text(console, i);
  json_builder_add_value(b, json_from_string(text, NULL));
}

/* ---- durable writes (the writer thread's group commit) ---- */

/* Writer thread: only the job's own data and the writer's connection. */
static gboolean
apply_job(UkStore *store, gpointer data, GError **error)
{
  WriteJob *j = data;
  g_autofree gchar *detail = NULL;
  if (j->kind == WRITE_CREATE) {
    /* The recorded frame the operator was looking at. Not recorded (a gap,
     * or not yet on disk) is stored as such: the incident is never lost. */
    UkConsole *console = j->conn->console;
    if (console->locate)
      console->locate(store, j->incident->camera, j->incident->position_90k,
                      &j->incident->frame_90k, &j->incident->frame_path,
                      &j->incident->frame_pts_90k, console->locate_data);
    if (!uk_store_incident_add(store, j->incident, error))
      return FALSE;
    JsonNode *cat = json_node_init_string(json_node_alloc(), j->incident->category);
    g_autofree gchar *cat_text = json_text(cat);
    json_node_unref(cat);
    detail = g_strdup_printf("{\"incident\":%" G_GINT64_FORMAT ",\"category\":%s}", j->incident->id,
                             cat_text);
    UkAuditEntry e = { .actor = j->user,
                       .action = "incident_created",
                       .camera = j->incident->camera,
                       .area = j->incident->area,
                       .from_90k = j->incident->position_90k,
                       .to_90k = j->incident->position_90k,
                       .detail = detail };
    return uk_store_audit_append(store, &e, error);
  }
  if (!uk_store_incident_change(store, j->incident->id, j->user, j->field, j->value_json, j->note,
                                error))
    return FALSE;
  detail = g_strdup_printf("{\"incident\":%" G_GINT64_FORMAT ",\"field\":\"%s\"}", j->incident->id,
                           j->field);
  UkAuditEntry e
      = { .actor = j->user,
          .action = g_str_equal(j->field, "status") ? "incident_status" : "incident_amended",
          .camera = j->incident->camera,
          .area = j->incident->area,
          .detail = detail };
  return uk_store_audit_append(store, &e, error);
}

/* Control thread: the write is durable (or failed); reply and push. */
static void
job_done(gpointer data, const GError *error)
{
  WriteJob *j = data;
  UkConsole *console = j->conn->console;
  if (error) {
    g_warning("%s by %s not stored: %s", j->request, j->user, error->message);
    ukc_send_error(j->conn, j->id, j->request, "internal", "not stored: %s", error->message);
    write_job_free(j);
    return;
  }
  /* A new incident reads as it was written; a changed one is read back. */
  g_autoptr(UkIncident) now
      = j->kind == WRITE_CREATE
            ? NULL
            : uk_store_incident_get(console->store, j->incident->id, FALSE, NULL);
  const UkIncident *show = j->kind == WRITE_CREATE ? j->incident : now;
  if (!show) {
    ukc_send_error(j->conn, j->id, j->request, "internal",
                   "the incident was stored but cannot be read");
    write_job_free(j);
    return;
  }
  if (j->kind == WRITE_CREATE)
    console->incidents_logged++;
  /* The reply, then the push to the area's consoles ("incident.created" or
   * "incident.changed"), both around one serialisation of the incident. */
  g_autofree gchar *inc = incident_text(console, show);
  g_autofree gchar *id = json_to_string(j->id, FALSE);
  g_autofree gchar *reply = g_strdup_printf(
      "{\"type\":\"result\",\"id\":%s,\"request\":\"%s\",\"incident\":%s}", id, j->request, inc);
  ukc_send_text(j->conn, reply);
  g_autofree gchar *event
      = g_strdup_printf("{\"type\":\"event\",\"event\":\"%s\",\"incident\":%s}",
                        j->kind == WRITE_CREATE ? "incident.created" : "incident.changed", inc);
  ukc_broadcast(console, show->area, INCIDENT_READ_ROLES, event);
  write_job_free(j);
}

static void
queue_write(Request *req, WriteJob *j)
{
  UkConsole *console = req->conn->console;
  j->conn = ukc_conn_ref(req->conn);
  j->id = json_node_copy(req->id);
  j->request = g_strdup(req->type);
  j->user = g_strdup(req->user->name);
  if (!console->writer) {
    GError e = { UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, (gchar *)"no database writer" };
    job_done(j, &e);
    return;
  }
  uk_writer_submit(console->writer, apply_job, job_done, j);
}

/* ---- field checks ---- */

/* A JSON array of strings (see ukc_get_list). Returns its JSON text
 * (transfer full) or NULL after an error reply. */
static gchar *
get_string_array(Request *req, const char *name, const char *const *allowed, gboolean cameras,
                 const char *first)
{
  g_autoptr(GPtrArray) items = ukc_get_list(req, name, 32, allowed, cameras, first);
  if (!items)
    return NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint k = 0; k < items->len; k++)
    json_builder_add_string_value(b, items->pdata[k]);
  json_builder_end_array(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_text(root);
}

/* ---- handlers ---- */

void
ukc_handle_incident_create(Request *req)
{
  UkConsole *console = req->conn->console;
  const UkConfig *cfg = console->config;
  const char *source, *category, *severity, *description;
  gint64 position;
  if (!ukc_get_time(req, "position", &position))
    return;
  if (!position) {
    req_error(req, "bad_message", "'position' is required: the time of the frame on screen");
    return;
  }
  gint64 now = uk_time_now_90k();
  if (position > now + MAX_FUTURE_90K || position < now - MAX_PAST_90K) {
    req_error(req, "bad_message", "'position' must lie within the last 28 days, not in the future");
    return;
  }
  static const char *const sources[] = { "live", "playback", NULL };
  if (!ukc_get_choice(req, "source", sources, NULL, &source)
      || !ukc_get_choice(req, "category", (const char *const *)cfg->incident_categories, NULL,
                         &category)
      || !ukc_get_choice(req, "severity", severities, "medium", &severity)
      || !ukc_get_string(req, "description", TRUE, MAX_TEXT, &description))
    return;
  g_autofree gchar *cameras = get_string_array(req, "cameras", NULL, TRUE, req->camera->id);
  if (!cameras)
    return;
  g_autofree gchar *actions
      = get_string_array(req, "actions", (const char *const *)cfg->incident_actions, FALSE, NULL);
  if (!actions)
    return;

  UkIncident *i = g_new0(UkIncident, 1);
  i->area = g_strdup(req->camera->area);
  i->camera = g_strdup(req->camera->id);
  i->cameras_json = g_steal_pointer(&cameras);
  i->position_90k = position;
  i->source = g_strdup(source);
  i->category = g_strdup(category);
  i->severity = g_strdup(severity);
  i->description = g_strdup(description);
  i->actions_json = g_steal_pointer(&actions);
  i->created_by = g_strdup(req->user->name);
  WriteJob *j = g_new0(WriteJob, 1);
  j->kind = WRITE_CREATE;
  j->incident = i;
  queue_write(req, j);
}

static void
queue_change(Request *req, const char *field, const char *value_json, const char *note)
{
  WriteJob *j = g_new0(WriteJob, 1);
  j->kind = WRITE_CHANGE;
  j->incident = g_new0(UkIncident, 1);
  j->incident->id = req->incident->id;
  j->incident->area = g_strdup(req->incident->area);
  j->incident->camera = g_strdup(req->incident->camera);
  j->field = g_strdup(field);
  j->value_json = g_strdup(value_json);
  j->note = g_strdup(note);
  queue_write(req, j);
}

static gchar *
string_json(const char *s)
{
  JsonNode *n = json_node_init_string(json_node_alloc(), s);
  gchar *text = json_text(n);
  json_node_unref(n);
  return text;
}

void
ukc_handle_incident_amend(Request *req)
{
  const UkConfig *cfg = req->conn->console->config;
  const char *field, *note, *text;
  static const char *const fields[]
      = { "description", "category", "severity", "actions", "note", NULL };
  if (!ukc_get_choice(req, "field", fields, NULL, &field)
      || !ukc_get_string(req, "note", FALSE, MAX_NOTE, &note))
    return;
  g_autofree gchar *value = NULL;
  if (g_str_equal(field, "actions")) {
    JsonNode *v = json_object_get_member(req->msg, "value");
    if (!v) {
      req_error(req, "bad_message", "'value' is required");
      return;
    }
    json_object_set_member(req->msg, "actions", json_node_copy(v));
    value
        = get_string_array(req, "actions", (const char *const *)cfg->incident_actions, FALSE, NULL);
  } else if (g_str_equal(field, "category")) {
    if (ukc_get_choice(req, "value", (const char *const *)cfg->incident_categories, NULL, &text))
      value = string_json(text);
  } else if (g_str_equal(field, "severity")) {
    if (ukc_get_choice(req, "value", severities, NULL, &text))
      value = string_json(text);
  } else if (ukc_get_string(req, "value", TRUE, MAX_TEXT, &text)) {
    value = string_json(text);
  }
  if (value)
    queue_change(req, field, value, note);
}

void
ukc_handle_incident_status(Request *req)
{
  const char *status, *note;
  if (!ukc_get_choice(req, "status", statuses, NULL, &status)
      || !ukc_get_string(req, "note", FALSE, MAX_NOTE, &note))
    return;
  if (g_str_equal(status, req->incident->status)) {
    req_error(req, "bad_message", "the incident's status is '%s' already", status);
    return;
  }
  g_autofree gchar *value = string_json(status);
  queue_change(req, "status", value, note);
}

void
ukc_handle_incident_get(Request *req)
{
  UkConsole *console = req->conn->console;
  g_autoptr(UkIncident) i = uk_store_incident_get(console->store, req->incident->id, TRUE, NULL);
  if (!i) {
    req_error(req, "not_found", "no incident %" G_GINT64_FORMAT, req->incident->id);
    return;
  }
  g_autoptr(JsonBuilder) b = ukc_result(req);
  json_builder_set_member_name(b, "incident");
  add_incident(console, b, i);
  ukc_finish(req, b);
  g_autofree gchar *detail = g_strdup_printf("{\"incident\":%" G_GINT64_FORMAT "}", i->id);
  ukc_audit(console, req->user->name, "incident_read", i->camera, i->area, detail);
}

/* Reads the review filters shared by query, stats and export; @areas gets
 * the areas asked for, all authorised (default: every authorised area). */
static gboolean
get_filters(Request *req, UkIncidentQuery *q, GPtrArray *areas, gint64 limit_max, gint64 limit_def)
{
  UkConsole *console = req->conn->console;
  gint64 now = uk_time_now_90k(), before, limit;
  JsonNode *node = json_object_get_member(req->msg, "areas");
  if (node && !JSON_NODE_HOLDS_NULL(node)) {
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
      req_error(req, "bad_message", "'areas' must be a list of area ids");
      return FALSE;
    }
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      JsonNode *e = json_array_get_element(a, i);
      const char *area = JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING
                             ? json_node_get_string(e)
                             : NULL;
      if (!area) {
        req_error(req, "bad_message", "'areas' must be a list of area ids");
        return FALSE;
      }
      if (!uk_user_may_area(req->user, area, now)) {
        req_error(req, "forbidden", "no authorisation for area '%.64s'", area);
        return FALSE;
      }
      g_ptr_array_add(areas, (gpointer)area);
    }
  } else {
    for (guint i = 0; i < req->user->areas->len; i++) {
      UkAuthorisation *a = req->user->areas->pdata[i];
      if (uk_user_may_area(req->user, a->area, now))
        g_ptr_array_add(areas, a->area);
    }
  }
  g_ptr_array_add(areas, NULL);
  q->areas = (const char *const *)areas->pdata;
  if (!ukc_get_time(req, "from", &q->from_90k) || !ukc_get_time(req, "to", &q->to_90k)
      || !ukc_get_string(req, "category", FALSE, 64, &q->category)
      || !ukc_get_string(req, "camera", FALSE, 64, &q->camera)
      || !ukc_get_string(req, "text", FALSE, 200, &q->text)
      || !ukc_get_uint(req, "before", 1, G_MAXINT64, 0, &before)
      || !ukc_get_uint(req, "limit", 1, limit_max, limit_def, &limit))
    return FALSE;
  const char *status = NULL;
  if (json_object_has_member(req->msg, "status")
      && !ukc_get_choice(req, "status", statuses, NULL, &status))
    return FALSE;
  q->status = status;
  q->before_id = before;
  q->limit = limit;
  /* Active use ends after active_days (Wpg art. 8). */
  q->created_after_90k = now - (gint64)console->config->incident_active_days * 86400 * UK_TIME_HZ;
  return TRUE;
}

/* The incidents matching the request's filters, or NULL after an error reply. */
static GPtrArray *
review_rows(Request *req, UkIncidentQuery *q, GPtrArray *areas, gint64 limit_max, gint64 limit_def)
{
  if (!get_filters(req, q, areas, limit_max, limit_def))
    return NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = uk_store_incidents_query(req->conn->console->store, q, &error);
  if (!rows)
    req_error(req, "internal", "%s", error->message);
  return rows;
}

static void
audit_review(Request *req, const char *action, const UkIncidentQuery *q)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "areas");
  json_builder_begin_array(b);
  for (gsize i = 0; q->areas[i]; i++)
    json_builder_add_string_value(b, q->areas[i]);
  json_builder_end_array(b);
  ukc_add_string(b, "category", q->category);
  ukc_add_string(b, "status", q->status);
  ukc_add_string(b, "camera", q->camera);
  ukc_add_string(b, "text", q->text);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree gchar *detail = json_to_string(root, FALSE);
  UkAuditEntry e = { .actor = req->user->name,
                     .action = action,
                     .camera = q->camera,
                     .from_90k = q->from_90k,
                     .to_90k = q->to_90k,
                     .detail = detail };
  uk_store_audit_append(req->conn->console->store, &e, NULL);
}

void
ukc_handle_incidents_query(Request *req)
{
  UkConsole *console = req->conn->console;
  UkIncidentQuery q = { 0 };
  g_autoptr(GPtrArray) areas = g_ptr_array_new();
  g_autoptr(GPtrArray) rows = review_rows(req, &q, areas, QUERY_LIMIT_MAX, 50);
  if (!rows)
    return;
  g_autoptr(JsonBuilder) b = ukc_result(req);
  json_builder_set_member_name(b, "incidents");
  json_builder_begin_array(b);
  for (guint i = 0; i < rows->len; i++)
    add_incident(console, b, rows->pdata[i]);
  json_builder_end_array(b);
  json_builder_set_member_name(b, "more");
  json_builder_add_boolean_value(b, rows->len == q.limit);
  ukc_finish(req, b);
  audit_review(req, "incidents_query", &q);
}

/* ISO week of @t_90k in Europe/Amsterdam, as "2026-W48". (transfer full) */
static gchar *
iso_week(GTimeZone *tz, gint64 t_90k)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t_90k / UK_TIME_HZ);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
  return g_strdup_printf("%04d-W%02d", g_date_time_get_week_numbering_year(local),
                         g_date_time_get_week_of_year(local));
}

void
ukc_handle_incidents_stats(Request *req)
{
  UkIncidentQuery q = { 0 };
  g_autoptr(GPtrArray) areas = g_ptr_array_new();
  g_autoptr(GPtrArray) rows = review_rows(req, &q, areas, 100000, 100000);
  if (!rows)
    return;
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Europe/Amsterdam");
  if (!tz)
    tz = g_time_zone_new_utc();
  /* area \t category \t week -> count, in first-seen order for stable output */
  g_autoptr(GHashTable) counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) keys = g_ptr_array_new();
  for (guint i = 0; i < rows->len; i++) {
    UkIncident *inc = rows->pdata[i];
    g_autofree gchar *week = iso_week(tz, inc->position_90k);
    gchar *key = g_strdup_printf("%s\t%s\t%s", inc->area, inc->category, week);
    gpointer old;
    if (g_hash_table_lookup_extended(counts, key, NULL, &old)) {
      g_hash_table_insert(counts, key, GINT_TO_POINTER(GPOINTER_TO_INT(old) + 1));
    } else {
      g_hash_table_insert(counts, key, GINT_TO_POINTER(1));
      g_ptr_array_add(keys, key);
    }
  }
  g_ptr_array_sort(keys, (GCompareFunc)g_strcmp0);
  g_autoptr(JsonBuilder) b = ukc_result(req);
  json_builder_set_member_name(b, "counts");
  json_builder_begin_array(b);
  for (guint i = 0; i < keys->len; i++) {
    g_auto(GStrv) parts = g_strsplit(keys->pdata[i], "\t", 3);
    json_builder_begin_object(b);
    ukc_add_string(b, "area", parts[0]);
    ukc_add_string(b, "category", parts[1]);
    ukc_add_string(b, "week", parts[2]);
    ukc_add_int(b, "count", GPOINTER_TO_INT(g_hash_table_lookup(counts, keys->pdata[i])));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  ukc_add_int(b, "total", rows->len);
  ukc_finish(req, b);
  audit_review(req, "incidents_stats", &q);
}

void
ukc_handle_incidents_export(Request *req)
{
  UkIncidentQuery q = { 0 };
  g_autoptr(GPtrArray) areas = g_ptr_array_new();
  g_autoptr(GPtrArray) rows = review_rows(req, &q, areas, EXPORT_LIMIT_MAX, EXPORT_LIMIT_MAX);
  if (!rows)
    return;
  g_autoptr(GString) csv
      = g_string_new("incident,area,camera,cameras,position,frame_time,frame_pts_s,source,"
                     "category,severity,status,description,actions,created,"
                     "created_by,changes,playback\r\n");
  for (guint i = 0; i < rows->len; i++) {
    UkIncident *inc = rows->pdata[i];
    g_autofree gchar *id = g_strdup_printf("%" G_GINT64_FORMAT, inc->id);
    g_autofree gchar *pos = uk_time_format_rfc3339(inc->position_90k);
    g_autofree gchar *frame = inc->frame_path ? uk_time_format_rfc3339(inc->frame_90k) : NULL;
    g_autofree gchar *created = uk_time_format_rfc3339(inc->created_90k);
    g_autofree gchar *changes = g_strdup_printf("%d", inc->changes);
    g_autofree gchar *pts
        = inc->frame_path ? g_strdup_printf("%.6f", inc->frame_pts_90k / (double)UK_TIME_HZ) : NULL;
    g_autofree gchar *link = playback_link(inc);
    const char *fields[] = { id,
                             inc->area,
                             inc->camera,
                             inc->cameras_json,
                             pos,
                             frame,
                             pts,
                             inc->source,
                             inc->category,
                             inc->severity,
                             inc->status,
                             inc->description,
                             inc->actions_json,
                             created,
                             inc->created_by,
                             changes,
                             link };
    for (guint k = 0; k < G_N_ELEMENTS(fields); k++)
      uk_csv_append_field(csv, fields[k], k + 1 == G_N_ELEMENTS(fields));
  }
  if (csv->len > 3 * 1024 * 1024) {
    req_error(req, "bad_message", "the export is too large; narrow the period or lower 'limit'");
    return;
  }
  g_autoptr(JsonBuilder) b = ukc_result(req);
  ukc_add_string(b, "csv", csv->str);
  ukc_add_int(b, "rows", rows->len);
  ukc_finish(req, b);
  audit_review(req, "incidents_export", &q);
}

static void
add_list(JsonBuilder *b, const char *name, const char *const *items)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (gsize i = 0; items && items[i]; i++)
    json_builder_add_string_value(b, items[i]);
  json_builder_end_array(b);
}

void
ukc_handle_incident_options(Request *req)
{
  const UkConfig *cfg = req->conn->console->config;
  g_autoptr(JsonBuilder) b = ukc_result(req);
  add_list(b, "categories", (const char *const *)cfg->incident_categories);
  add_list(b, "actions", (const char *const *)cfg->incident_actions);
  add_list(b, "severities", severities);
  add_list(b, "statuses", statuses);
  ukc_finish(req, b);
}
