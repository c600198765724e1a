/* uk-console: the console protocol's sessions, authorisation and handlers.
 *
 * Every message passes the same gate before its handler runs (handle_message):
 * valid JSON object -> "type" and "id" -> known type -> logged in (unless the
 * type is "login") -> session and account still valid -> role allowed ->
 * camera/area authorised. The table `messages` is the authorisation matrix;
 * docs/PROTOCOL.md shows the same table and tests/it_console.py walks it. */
#include "uk-console-private.h"

#include "uk-audit.h"
#include "uk-server.h"
#include "uk-text.h"
#include "uk-time.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define MAX_ID_LENGTH 128
#define MAX_NAME_LENGTH 64
#define MAX_PASSWORD_LENGTH 1024
#define AUDIT_PAGE_DEFAULT 200
#define AUDIT_PAGE_MAX 1000

typedef void (*Handler)(Request *req);

typedef struct {
  const char *type;
  guint roles; /* 0: no login needed */
  Scope scope;
  Handler handler;
} MessageSpec;

static void handle_login(Request *req);
static void handle_logout(Request *req);
static void handle_session(Request *req);
static void handle_cameras_list(Request *req);
static void handle_camera_status(Request *req);
static void handle_audit_query(Request *req);
static void handle_audit_verify(Request *req);
static void handle_users_list(Request *req);
static void add_user_entry(UkConsole *console, JsonBuilder *b, const UkUser *u);
static void handle_user_authorise(Request *req);
static void handle_user_create(Request *req);
static void handle_user_disable(Request *req);
static void handle_user_enable(Request *req);
static void handle_user_password(Request *req);
static void handle_authorisation_revoke(Request *req);

/* The authorisation matrix. */
static const MessageSpec messages[] = {
  { "login", 0, SCOPE_NONE, handle_login },
  { "logout", ALL_ROLES, SCOPE_NONE, handle_logout },
  { "session", ALL_ROLES, SCOPE_NONE, handle_session },
  { "cameras.list", ALL_ROLES, SCOPE_NONE, handle_cameras_list },
  { "camera.status", AREA_ROLES, SCOPE_CAMERA, handle_camera_status },
  { "audit.query", ROLE(UK_ROLE_PRIVACY), SCOPE_NONE, handle_audit_query },
  { "audit.verify", ROLE(UK_ROLE_PRIVACY), SCOPE_NONE, handle_audit_verify },
  { "users.list", ROLE(UK_ROLE_ADMIN) | ROLE(UK_ROLE_PRIVACY), SCOPE_NONE, handle_users_list },
  { "user.authorise", ROLE(UK_ROLE_PRIVACY), SCOPE_NONE, handle_user_authorise },
  { "authorisation.revoke", ROLE(UK_ROLE_PRIVACY), SCOPE_NONE, handle_authorisation_revoke },
  { "user.create", ROLE(UK_ROLE_ADMIN), SCOPE_NONE, handle_user_create },
  { "user.disable", ROLE(UK_ROLE_ADMIN), SCOPE_NONE, handle_user_disable },
  { "user.enable", ROLE(UK_ROLE_ADMIN), SCOPE_NONE, handle_user_enable },
  { "user.password", ROLE(UK_ROLE_ADMIN), SCOPE_NONE, handle_user_password },
  { "incident.create", INCIDENT_WRITE_ROLES, SCOPE_CAMERA, ukc_handle_incident_create },
  { "incident.amend", INCIDENT_WRITE_ROLES, SCOPE_INCIDENT, ukc_handle_incident_amend },
  { "incident.status", INCIDENT_WRITE_ROLES, SCOPE_INCIDENT, ukc_handle_incident_status },
  { "incident.get", INCIDENT_READ_ROLES, SCOPE_INCIDENT, ukc_handle_incident_get },
  { "incidents.query", INCIDENT_READ_ROLES, SCOPE_NONE, ukc_handle_incidents_query },
  { "incidents.stats", INCIDENT_READ_ROLES, SCOPE_NONE, ukc_handle_incidents_stats },
  { "incidents.export", INCIDENT_READ_ROLES, SCOPE_NONE, ukc_handle_incidents_export },
  { "incident.options", INCIDENT_READ_ROLES, SCOPE_NONE, ukc_handle_incident_options },
  { "live.start", INCIDENT_WRITE_ROLES, SCOPE_CAMERA, ukc_handle_live_start },
  { "live.stop", INCIDENT_WRITE_ROLES, SCOPE_CAMERA, ukc_handle_live_stop },
  { "camera.claim", INCIDENT_WRITE_ROLES, SCOPE_CAMERA, ukc_handle_camera_claim },
  { "camera.release", INCIDENT_WRITE_ROLES, SCOPE_CAMERA, ukc_handle_camera_release },
  { "camera.handover", INCIDENT_WRITE_ROLES, SCOPE_NONE, ukc_handle_camera_handover },
  { "presence", INCIDENT_WRITE_ROLES, SCOPE_NONE, ukc_handle_presence },
  { "plan.create", ROLE(UK_ROLE_SUPERVISOR), SCOPE_NONE, ukc_handle_plan_create },
  { "plan.cancel", ROLE(UK_ROLE_SUPERVISOR), SCOPE_NONE, ukc_handle_plan_cancel },
  { "plans.list", INCIDENT_WRITE_ROLES, SCOPE_NONE, ukc_handle_plans_list },
  { "alerts.list", INCIDENT_WRITE_ROLES, SCOPE_NONE, ukc_handle_alerts_list },
  { "timeline", INCIDENT_WRITE_ROLES | ROLE(UK_ROLE_POLICE) | ROLE(UK_ROLE_HANDHAVING), SCOPE_VIDEO,
    ukc_handle_timeline },
  { "playback.open", INCIDENT_WRITE_ROLES | ROLE(UK_ROLE_HANDHAVING), SCOPE_VIDEO,
    ukc_handle_playback_open },
  { "clip.request", ROLE(UK_ROLE_POLICE), SCOPE_NONE, ukc_handle_clip_request },
  { "clip.decide", ROLE(UK_ROLE_SUPERVISOR), SCOPE_NONE, ukc_handle_clip_decide },
  { "clips.list", ROLE(UK_ROLE_SUPERVISOR) | ROLE(UK_ROLE_POLICE) | ROLE(UK_ROLE_PRIVACY),
    SCOPE_NONE, ukc_handle_clips_list },
  { "designations.list", ALL_ROLES, SCOPE_NONE, ukc_handle_designations_list },
  { "designation.save", ROLE(UK_ROLE_PRIVACY) | ROLE(UK_ROLE_ADMIN), SCOPE_NONE,
    ukc_handle_designation_save },
  { "designation.withdraw", ROLE(UK_ROLE_PRIVACY) | ROLE(UK_ROLE_ADMIN), SCOPE_NONE,
    ukc_handle_designation_withdraw },
  { "hold.request", ROLE(UK_ROLE_POLICE), SCOPE_NONE, ukc_handle_hold_request },
  { "hold.decide", ROLE(UK_ROLE_SUPERVISOR), SCOPE_NONE, ukc_handle_hold_decide },
  { "hold.release", ROLE(UK_ROLE_SUPERVISOR) | ROLE(UK_ROLE_POLICE), SCOPE_NONE,
    ukc_handle_hold_release },
  { "holds.list", ROLE(UK_ROLE_SUPERVISOR) | ROLE(UK_ROLE_POLICE) | ROLE(UK_ROLE_PRIVACY),
    SCOPE_NONE, ukc_handle_holds_list },
};

/* ---- accounts, cached ---- */

void
ukc_users_changed(UkConsole *console)
{
  g_hash_table_remove_all(console->users);
  console->data_version = -1; /* read accounts_version again */
}

/* The cached user (transfer none: valid until accounts change). */
static UkUser *
user_peek(UkConsole *console, gint64 id, gboolean check_version)
{
  /* data_version changes with every commit of another connection (the
   * incident writer's too); the accounts' own counter only when they do. */
  if (check_version) {
    gint64 data_version = uk_store_data_version(console->store);
    if (data_version != console->data_version) {
      console->data_version = data_version;
      gint64 version = uk_store_accounts_version(console->store);
      if (version != console->users_version || version < 0) {
        ukc_users_changed(console);
        console->users_version = version;
      }
    }
  }
  UkUser *u = g_hash_table_lookup(console->users, &id);
  if (!u) {
    u = uk_store_user_get_by_id(console->store, id, NULL);
    if (u)
      g_hash_table_insert(console->users, g_memdup2(&id, sizeof id), u);
  }
  return u;
}

UkUser *
ukc_user(UkConsole *console, gint64 id)
{
  UkUser *u = user_peek(console, id, TRUE);
  return u ? uk_user_copy(u) : NULL;
}

/* ---- connections ---- */

/* Who the connection acts for. A change of user (logout, expiry, another
 * login) ends the views the previous user had open: video is never sent on
 * the strength of a session that has ended. */
static void
conn_set_user(UkConsoleConn *c, gint64 user_id)
{
  if (c->user_id && c->user_id != user_id)
    ukc_live_conn_closed(c);
  gchar *old_name = g_steal_pointer(&c->user_name);
  if (user_id) {
    UkUser *u = user_peek(c->console, user_id, TRUE);
    c->user_name = g_strdup(u ? u->name : NULL);
  }
  c->user_id = user_id;
  c->session_expires_90k = 0;                /* look the session up at the next message */
  ukc_watch_user(c, old_name, c->user_name); /* presence */
  g_free(old_name);
}

UkConsoleConn *
ukc_conn_ref(UkConsoleConn *c)
{
  c->ref_count++;
  return c;
}

void
ukc_conn_unref(UkConsoleConn *c)
{
  if (--c->ref_count > 0)
    return;
  g_free(c->peer);
  g_free(c->user_name);
  g_free(c);
}

void
ukc_send(UkConsoleConn *c, JsonBuilder *b)
{
  if (c->closed)
    return;
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  gsize len;
  g_autofree gchar *text = json_generator_to_data(gen, &len);
  c->send(c->sink, text, len);
}

void
ukc_send_text(UkConsoleConn *c, const char *text)
{
  if (!c->closed)
    c->send(c->sink, text, strlen(text));
}

JsonBuilder *
ukc_reply_begin(const char *kind, JsonNode *id, const char *request)
{
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, kind);
  json_builder_set_member_name(b, "id");
  if (id)
    json_builder_add_value(b, json_node_copy(id));
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "request");
  if (request)
    json_builder_add_string_value(b, request);
  else
    json_builder_add_null_value(b);
  return b;
}

void
ukc_send_error(UkConsoleConn *c, JsonNode *id, const char *request, const char *code,
               const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree gchar *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_autoptr(JsonBuilder) b = ukc_reply_begin("error", id, request);
  json_builder_set_member_name(b, "code");
  json_builder_add_string_value(b, code);
  json_builder_set_member_name(b, "message");
  json_builder_add_string_value(b, message);
  json_builder_end_object(b);
  ukc_send(c, b);
}

/* Starts a result reply; the handler adds members and calls req_finish. */
JsonBuilder *
ukc_result(Request *req)
{
  return ukc_reply_begin("result", req->id, req->type);
}

void
ukc_finish(Request *req, JsonBuilder *b)
{
  json_builder_end_object(b);
  ukc_send(req->conn, b);
}

void
ukc_add_time(JsonBuilder *b, const char *name, gint64 t_90k)
{
  json_builder_set_member_name(b, name);
  if (t_90k) {
    g_autofree gchar *s = uk_time_format_rfc3339(t_90k);
    json_builder_add_string_value(b, s);
  } else {
    json_builder_add_null_value(b);
  }
}

void
ukc_add_string(JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name(b, name);
  if (value)
    json_builder_add_string_value(b, value);
  else
    json_builder_add_null_value(b);
}

void
ukc_add_int(JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, value);
}

void
ukc_audit(UkConsole *console, const char *actor, const char *action, const char *camera,
          const char *area, const char *detail)
{
  UkAuditEntry e
      = { .actor = actor, .action = action, .camera = camera, .area = area, .detail = detail };
  g_autoptr(GError) error = NULL;
  if (!uk_store_audit_append(console->store, &e, &error))
    g_warning("audit: %s", error->message);
}

/* A JSON object text {"peer": ..., more...} for audit details. */
gchar *
ukc_detail_json(const char *peer, const char *key, const char *value)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ukc_add_string(b, "peer", peer);
  if (key)
    ukc_add_string(b, key, value);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

/* ---- field access with clear errors ---- */

/* Reads an optional (or @required) string member of at most @max bytes.
 * Sends the error and returns FALSE when it is wrong. */
gboolean
ukc_get_string(Request *req, const char *name, gboolean required, gsize max, const char **out)
{
  *out = NULL;
  JsonNode *node = json_object_get_member(req->msg, name);
  if (!node || JSON_NODE_HOLDS_NULL(node)) {
    if (!required)
      return TRUE;
    req_error(req, "bad_message", "'%s' is required", name);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
    req_error(req, "bad_message", "'%s' must be a string", name);
    return FALSE;
  }
  const char *s = json_node_get_string(node);
  if (strlen(s) > max || (required && !*s)) {
    req_error(req, "bad_message", "'%s' must be 1 to %" G_GSIZE_FORMAT " bytes", name, max);
    return FALSE;
  }
  *out = s;
  return TRUE;
}

static gboolean
in_list(const char *const *list, const char *value)
{
  for (gsize i = 0; list && list[i]; i++)
    if (g_str_equal(list[i], value))
      return TRUE;
  return FALSE;
}

gboolean
ukc_get_choice(Request *req, const char *name, const char *const *choices, const char *def,
               const char **out)
{
  if (!ukc_get_string(req, name, def == NULL, 64, out))
    return FALSE;
  if (!*out)
    *out = def;
  if (!in_list(choices, *out)) {
    g_autofree gchar *list = g_strjoinv(", ", (gchar **)choices);
    req_error(req, "bad_message", "'%s' must be one of: %s", name, list);
    return FALSE;
  }
  return TRUE;
}

GPtrArray *
ukc_get_list(Request *req, const char *name, guint max, const char *const *allowed,
             gboolean cameras, const char *first)
{
  JsonNode *node = json_object_get_member(req->msg, name);
  g_autoptr(GPtrArray) items = g_ptr_array_new();
  if (first)
    g_ptr_array_add(items, (gpointer)first);
  if (!node || JSON_NODE_HOLDS_NULL(node))
    return g_steal_pointer(&items);
  if (!JSON_NODE_HOLDS_ARRAY(node) || json_array_get_length(json_node_get_array(node)) > max) {
    req_error(req, "bad_message", "'%s' must be a list of at most %u texts", name, max);
    return NULL;
  }
  JsonArray *a = json_node_get_array(node);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
      req_error(req, "bad_message", "'%s' must be a list of texts", name);
      return NULL;
    }
    const char *v = json_node_get_string(e);
    if (cameras) {
      const UkCameraStatus *cam = uk_camera_board_get(req->conn->console->cameras, v);
      if (!cam) {
        req_error(req, "not_found", "unknown camera '%.64s'", v);
        return NULL;
      }
      if (!uk_user_may_area(req->user, cam->area, uk_time_now_90k())) {
        req_error(req, "forbidden", "no authorisation for area '%s'", cam->area);
        return NULL;
      }
    } else if (allowed && !in_list(allowed, v)) {
      g_autofree gchar *list = g_strjoinv("; ", (gchar **)allowed);
      req_error(req, "bad_message", "'%s': '%.64s' is not one of: %s", name, v, list);
      return NULL;
    } else if (strlen(v) > 200) {
      req_error(req, "bad_message", "'%s': an item is longer than 200 bytes", name);
      return NULL;
    }
    if (!g_ptr_array_find_with_equal_func(items, v, g_str_equal, NULL))
      g_ptr_array_add(items, (gpointer)v);
  }
  return g_steal_pointer(&items);
}

gint64
ukc_get_id(Request *req, const char *name)
{
  gint64 id;
  if (!ukc_get_uint(req, name, 1, G_MAXINT64, 0, &id))
    return 0;
  if (!id)
    req_error(req, "bad_message", "'%s' is required", name);
  return id;
}

gboolean
ukc_check_areas(Request *req, const GPtrArray *areas, gboolean privacy_all)
{
  gint64 now = uk_time_now_90k();
  gboolean all
      = privacy_all && (req->user->role == UK_ROLE_PRIVACY || req->user->role == UK_ROLE_ADMIN);
  for (guint i = 0; i < areas->len && !all; i++) {
    if (!uk_user_may_area(req->user, areas->pdata[i], now)) {
      req_error(req, "forbidden", "no authorisation for area '%s'", (const char *)areas->pdata[i]);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
ukc_get_bool(Request *req, const char *name, gint def, gboolean *out)
{
  JsonNode *n = json_object_get_member(req->msg, name);
  if (!n && def >= 0) {
    *out = def;
    return TRUE;
  }
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
    req_error(req, "bad_message", "'%s' must be true or false", name);
    return FALSE;
  }
  *out = json_node_get_boolean(n);
  return TRUE;
}

gboolean
ukc_get_time(Request *req, const char *name, gint64 *out)
{
  const char *text;
  *out = 0;
  if (!ukc_get_string(req, name, FALSE, 64, &text))
    return FALSE;
  if (!text)
    return TRUE;
  g_autoptr(GError) error = NULL;
  if (!uk_time_parse_rfc3339(text, out, &error)) {
    req_error(req, "bad_message", "'%s': %s", name, error->message);
    return FALSE;
  }
  return TRUE;
}

gboolean
ukc_get_uint(Request *req, const char *name, gint64 min, gint64 max, gint64 def, gint64 *out)
{
  *out = def;
  JsonNode *node = json_object_get_member(req->msg, name);
  if (!node || JSON_NODE_HOLDS_NULL(node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64
      || json_node_get_int(node) < min || json_node_get_int(node) > max) {
    req_error(req, "bad_message",
              "'%s' must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, name,
              min, max);
    return FALSE;
  }
  *out = json_node_get_int(node);
  return TRUE;
}

/* ---- login ---- */

typedef struct {
  UkConsoleConn *conn; /* (owned ref) a websocket login; NULL for POST /login */
  UkHttpRequest *http; /* POST /login, until answered */
  UkConsole *console;
  GAsyncReadyCallback done; /* on the control thread once the password is checked */
  gchar *peer;              /* POST /login */
  JsonNode *id;
  gchar *name;
  gchar *password;
  gchar *hash;    /* the user's hash, or the console's dummy hash for an unknown name */
  gboolean known; /* the user exists */
  gboolean ok;
} LoginJob;

static void
login_job_free(LoginJob *job)
{
  if (job->conn)
    ukc_conn_unref(job->conn);
  if (job->http)
    uk_http_request_finish(job->http, 500, "{\"ok\":false,\"code\":\"internal\"}", NULL, 0);
  g_free(job->peer);
  if (job->id)
    json_node_unref(job->id);
  g_free(job->name);
  if (job->password) {
    memset(job->password, 0, strlen(job->password));
    g_free(job->password);
  }
  g_free(job->hash);
  g_free(job);
}

/* An argon2id hash of nothing anyone types, made once: unknown names are
 * checked against it. (transfer none) */
static const char *
console_dummy_hash(UkConsole *console)
{
  if (!console->dummy_hash)
    console->dummy_hash = uk_password_hash("uitkijk: no such user", NULL);
  return console->dummy_hash ? console->dummy_hash : "";
}

static void
login_verify_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  LoginJob *job = data;
  /* An unknown name is checked against a dummy hash: the same work, and so
   * the same time, as a wrong password. */
  gboolean ok = uk_password_verify(job->hash, job->password);
  job->ok = ok && job->known;
  g_task_return_boolean(task, TRUE);
}

/* Password checks run at most LOGIN_CHECKS_MAX at a time: an argon2id check
 * takes 64 MiB and tens of milliseconds of a core, so a flood of logins
 * (30 guesses at once took the daemon to 570 MB) would otherwise cost 64 MiB
 * each. Up to LOGIN_QUEUE_MAX more wait their turn, in order; beyond that a
 * login is refused as busy. */
#define LOGIN_CHECKS_MAX 2
#define LOGIN_QUEUE_MAX 64

static void
login_check_run(LoginJob *job)
{
  g_autoptr(GTask) task = g_task_new(NULL, NULL, job->done, NULL);
  g_task_set_task_data(task, job, (GDestroyNotify)login_job_free);
  g_task_run_in_thread(task, login_verify_thread);
}

/* A login to check: @name's hash, or the dummy hash for a name nobody has
 * (the same work, so the same time). @done runs once it is checked. The
 * caller sets what its kind of login needs (conn or http). */
static LoginJob *
login_job_new(UkConsole *console, const char *name, const char *password, GAsyncReadyCallback done)
{
  g_autoptr(UkUser) user = uk_store_user_get(console->store, name, NULL);
  LoginJob *job = g_new0(LoginJob, 1);
  job->console = console;
  job->done = done;
  job->name = g_strdup(name);
  job->password = g_strdup(password);
  job->hash = g_strdup(user ? user->password_hash : console_dummy_hash(console));
  job->known = user != NULL;
  return job;
}

/* Starts or queues the check (FALSE: too many waiting; @job is still the
 * caller's). */
static gboolean
login_check_submit(LoginJob *job)
{
  UkConsole *console = job->console;
  if (console->login_checks < LOGIN_CHECKS_MAX) {
    console->login_checks++;
    login_check_run(job);
    return TRUE;
  }
  if (console->login_queue.length >= LOGIN_QUEUE_MAX)
    return FALSE;
  g_queue_push_tail(&console->login_queue, job);
  return TRUE;
}

/* A check has ended: the next one waiting takes its place. */
static void
login_check_ended(UkConsole *console)
{
  LoginJob *next = g_queue_pop_head(&console->login_queue);
  if (next)
    login_check_run(next);
  else
    console->login_checks--;
}

/* Outcome of a login, shared by the websocket and POST /login. Returns the
 * new token (transfer full) or NULL with @code and @message set. */
static gchar *
login_finish(UkConsole *console, const char *name, gboolean password_ok, const char *peer,
             gint64 *user_id, const char **code, gchar **message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UkUser) user = uk_store_user_get(console->store, name, NULL);
  gint64 now = uk_time_now_90k();
  const char *why = NULL;
  if (!user)
    why = "unknown_user";
  else if (user->locked_until_90k > now)
    why = "locked";
  else if (!password_ok)
    why = "bad_password";
  else if (user->disabled)
    why = "disabled";
  else if (!uk_user_is_active(user, now))
    why = "expired";
  if (why) {
    console->logins_failed++;
    g_autofree gchar *detail = ukc_detail_json(peer, "reason", why);
    ukc_audit(console, name, "login_failed", NULL, NULL, detail);
    if (user && g_str_equal(why, "bad_password")) {
      uk_store_user_login_failed(console->store, user->id, console->config->lockout_failures,
                                 (gint64)console->config->lockout_minutes * 60 * UK_TIME_HZ, NULL);
      ukc_users_changed(console);
    }
    if (g_str_equal(why, "locked")) {
      *code = "locked";
      *message = g_strdup_printf("account locked after %u failed logins; try again later",
                                 console->config->lockout_failures);
    } else if (g_str_equal(why, "disabled") || g_str_equal(why, "expired")) {
      *code = "account_inactive";
      *message = g_strdup("this account is disabled or has expired");
    } else {
      *code = "login_failed";
      *message = g_strdup("wrong user name or password");
    }
    return NULL;
  }
  guint8 hash[32];
  gchar *token = uk_session_token_new(hash);
  gint64 expires = now + (gint64)console->config->session_minutes * 60 * UK_TIME_HZ;
  ukc_users_changed(console);
  if (!uk_store_session_create(console->store, hash, user->id, expires, &error)
      || !uk_store_user_login_ok(console->store, user->id, &error)) {
    g_free(token);
    *code = "internal";
    *message = g_strdup_printf("cannot start a session: %s", error->message);
    return NULL;
  }
  g_autofree gchar *detail = ukc_detail_json(peer, NULL, NULL);
  ukc_audit(console, user->name, "login", NULL, NULL, detail);
  *user_id = user->id;
  return token;
}

static void send_session(UkConsoleConn *c, JsonNode *id, const char *request);

static void
login_done(GObject *source, GAsyncResult *result, gpointer data)
{
  LoginJob *job = g_task_get_task_data(G_TASK(result));
  UkConsoleConn *c = job->conn;
  login_check_ended(job->console);
  c->login_pending = FALSE;
  if (c->closed)
    return;
  const char *code = NULL;
  g_autofree gchar *message = NULL;
  gint64 user_id = 0;
  g_autofree gchar *token
      = login_finish(c->console, job->name, job->ok, c->peer, &user_id, &code, &message);
  if (!token) {
    ukc_send_error(c, job->id, "login", code, "%s", message);
    return;
  }
  uk_session_token_hash(token, c->session_hash);
  conn_set_user(c, user_id);
  send_session(c, job->id, "login");
}

static void
handle_login(Request *req)
{
  const char *name, *password;
  if (!ukc_get_string(req, "user", TRUE, MAX_NAME_LENGTH, &name)
      || !ukc_get_string(req, "password", TRUE, MAX_PASSWORD_LENGTH, &password))
    return;
  if (req->conn->login_pending) {
    req_error(req, "busy", "a login is already being checked on this connection");
    return;
  }
  LoginJob *job = login_job_new(req->conn->console, name, password, login_done);
  job->conn = ukc_conn_ref(req->conn);
  job->id = json_node_copy(req->id);
  if (!login_check_submit(job)) {
    login_job_free(job);
    req_error(req, "busy", "too many logins are being checked; try again in a moment");
    return;
  }
  req->conn->login_pending = TRUE;
}

/* ---- session ---- */

static void
add_user_areas(UkConsole *console, JsonBuilder *b, const UkUser *user)
{
  json_builder_set_member_name(b, "areas");
  json_builder_begin_array(b);
  for (guint i = 0; i < user->areas->len; i++) {
    const UkAuthorisation *a = user->areas->pdata[i];
    const UkAreaConfig *area = uk_config_find_area(console->config, a->area);
    json_builder_begin_object(b);
    ukc_add_string(b, "area", a->area);
    ukc_add_string(b, "name", area ? area->name : NULL);
    ukc_add_time(b, "valid_until", a->valid_until_90k);
    json_builder_set_member_name(b, "video");
    json_builder_add_boolean_value(b, a->video);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

static void
send_session(UkConsoleConn *c, JsonNode *id, const char *request)
{
  g_autoptr(UkUser) user = ukc_user(c->console, c->user_id);
  if (!user) {
    ukc_send_error(c, id, request, "internal", "the account disappeared");
    return;
  }
  g_autoptr(JsonBuilder) b = ukc_reply_begin("result", id, request);
  ukc_add_string(b, "user", user->name);
  ukc_add_string(b, "role", uk_role_name(user->role));
  ukc_add_time(b, "valid_until", user->valid_until_90k);
  add_user_areas(c->console, b, user);
  json_builder_end_object(b);
  ukc_send(c, b);
}

static void
handle_session(Request *req)
{
  send_session(req->conn, req->id, req->type);
}

static void
handle_logout(Request *req)
{
  UkConsoleConn *c = req->conn;
  uk_store_session_end(c->console->store, c->session_hash, NULL);
  ukc_users_changed(c->console);
  g_autofree gchar *detail = ukc_detail_json(c->peer, NULL, NULL);
  ukc_audit(c->console, req->user->name, "logout", NULL, NULL, detail);
  conn_set_user(c, 0);
  g_autoptr(JsonBuilder) b = ukc_result(req);
  ukc_finish(req, b);
}

/* ---- cameras ---- */

static gboolean
may_see_camera(UkConsole *console, const UkUser *user, const UkCameraStatus *cam, gint64 now)
{
  if (!(ROLE(user->role) & AREA_ROLES))
    return TRUE; /* privacy and admin see the camera list, not video */
  return uk_user_may_area(user, cam->area, now);
}

static void
add_camera(UkConsole *console, JsonBuilder *b, const UkCameraStatus *cam)
{
  const UkAreaConfig *area = uk_config_find_area(console->config, cam->area);
  json_builder_begin_object(b);
  ukc_add_string(b, "camera", cam->id);
  ukc_add_string(b, "name", cam->name);
  ukc_add_string(b, "area", cam->area);
  ukc_add_string(b, "area_name", area ? area->name : NULL);
  ukc_add_string(b, "location", cam->location);
  ukc_add_string(b, "state", cam->state);
  ukc_add_string(b, "codec", cam->codec);
  json_builder_set_member_name(b, "fps");
  json_builder_add_double_value(b, (double)(gint64)(cam->fps * 10 + 0.5) / 10);
  ukc_add_int(b, "bitrate_bps", (gint64)cam->bitrate_bps);
  ukc_add_time(b, "last_frame", cam->last_frame_90k);
  ukc_add_int(b, "reconnects", cam->reconnects);
  ukc_add_string(b, "last_error", cam->last_error);
  json_builder_end_object(b);
}

static void
handle_cameras_list(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 now = uk_time_now_90k();
  g_autoptr(JsonBuilder) b = ukc_result(req);
  json_builder_set_member_name(b, "cameras");
  json_builder_begin_array(b);
  const GPtrArray *cams = uk_camera_board_list(console->cameras);
  for (guint i = 0; i < cams->len; i++)
    if (may_see_camera(console, req->user, cams->pdata[i], now))
      add_camera(console, b, cams->pdata[i]);
  json_builder_end_array(b);
  ukc_finish(req, b);
}

static void
handle_camera_status(Request *req)
{
  g_autoptr(JsonBuilder) b = ukc_result(req);
  json_builder_set_member_name(b, "camera");
  add_camera(req->conn->console, b, req->camera);
  ukc_finish(req, b);
}

/* ---- audit ---- */

static void
handle_audit_query(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 from, to, after, limit;
  const char *actor, *action, *camera;
  if (!ukc_get_time(req, "from", &from) || !ukc_get_time(req, "to", &to)
      || !ukc_get_string(req, "actor", FALSE, MAX_NAME_LENGTH, &actor)
      || !ukc_get_string(req, "action", FALSE, MAX_NAME_LENGTH, &action)
      || !ukc_get_string(req, "camera", FALSE, MAX_NAME_LENGTH, &camera)
      || !ukc_get_uint(req, "after", 0, G_MAXINT64, 0, &after)
      || !ukc_get_uint(req, "limit", 1, AUDIT_PAGE_MAX, AUDIT_PAGE_DEFAULT, &limit))
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows
      = uk_store_audit_query(console->store, from, to, actor, action, camera, after, limit, &error);
  if (!rows) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = ukc_result(req);
  json_builder_set_member_name(b, "rows");
  json_builder_begin_array(b);
  g_autoptr(JsonParser) parser = json_parser_new();
  for (guint i = 0; i < rows->len; i++) {
    UkAuditRow *r = rows->pdata[i];
    json_builder_begin_object(b);
    ukc_add_int(b, "seq", r->id);
    ukc_add_time(b, "time", r->time_90k);
    ukc_add_string(b, "actor", r->actor);
    ukc_add_string(b, "action", r->action);
    ukc_add_string(b, "camera", r->camera);
    ukc_add_string(b, "area", r->area);
    ukc_add_time(b, "from", r->from_90k);
    ukc_add_time(b, "to", r->to_90k);
    json_builder_set_member_name(b, "detail");
    if (json_parser_load_from_data(parser, r->detail, -1, NULL))
      json_builder_add_value(b, json_node_copy(json_parser_get_root(parser)));
    else
      json_builder_add_string_value(b, r->detail);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "more");
  json_builder_add_boolean_value(b, rows->len == (guint)limit);
  ukc_finish(req, b);
  g_autofree gchar *detail = ukc_detail_json(req->conn->peer, "filter", actor ? actor : "");
  ukc_audit(console, req->user->name, "audit_read", camera, NULL, detail);
}

static void
handle_audit_verify(Request *req)
{
  UkConsole *console = req->conn->console;
  gint64 rows = 0, bad = 0;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *head = uk_audit_head_path(console->config->database_path);
  gboolean ok = uk_store_audit_verify(console->store, head, &rows, &bad, &error);
  g_autoptr(JsonBuilder) b = ukc_result(req);
  json_builder_set_member_name(b, "intact");
  json_builder_add_boolean_value(b, ok);
  ukc_add_int(b, "rows", rows);
  json_builder_set_member_name(b, "first_bad_row");
  if (ok)
    json_builder_add_null_value(b);
  else
    json_builder_add_int_value(b, bad);
  ukc_add_string(b, "message", ok ? NULL : error->message);
  ukc_finish(req, b);
}

/* ---- users ---- */

static void
handle_users_list(Request *req)
{
  UkConsole *console = req->conn->console;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = uk_store_users(console->store, &error);
  if (!users) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = ukc_result(req);
  json_builder_set_member_name(b, "users");
  json_builder_begin_array(b);
  for (guint i = 0; i < users->len; i++)
    add_user_entry(console, b, users->pdata[i]);
  json_builder_end_array(b);
  ukc_finish(req, b);
}

static void
handle_user_authorise(Request *req)
{
  UkConsole *console = req->conn->console;
  const char *name, *area;
  gint64 until;
  gboolean video;
  if (!ukc_get_string(req, "user", TRUE, MAX_NAME_LENGTH, &name)
      || !ukc_get_string(req, "area", TRUE, MAX_NAME_LENGTH, &area)
      || !ukc_get_time(req, "valid_until", &until) || !ukc_get_bool(req, "video", FALSE, &video))
    return;
  if (!uk_config_find_area(console->config, area)) {
    req_error(req, "not_found", "unknown area '%s'", area);
    return;
  }
  if (until && until <= uk_time_now_90k()) {
    req_error(req, "bad_message", "'valid_until' must be in the future");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(UkUser) user = uk_store_user_get(console->store, name, NULL);
  if (!user) {
    req_error(req, "not_found", "unknown user '%s'", name);
    return;
  }
  /* The other roles' video follows from the role (docs/PROTOCOL.md). */
  if (video && user->role != UK_ROLE_HANDHAVING) {
    req_error(req, "bad_message", "a video grant is only for handhaving; the role of '%s' decides",
              name);
    return;
  }
  if (!uk_store_begin(console->store, &error)
      || !uk_store_authorise(console->store, user->id, area, until, video, req->user->name,
                             &error)) {
    ukc_users_changed(console);
    uk_store_rollback(console->store);
    req_error(req, "internal", "%s", error->message);
    return;
  }
  ukc_users_changed(console);
  g_autoptr(GString) detail = g_string_new("{");
  uk_json_member_string(detail, "peer", req->conn->peer);
  uk_json_member_string(detail, "user", name);
  uk_json_member_bool(detail, "video", video);
  g_string_append_c(detail, '}');
  ukc_audit(console, req->user->name, "authorisation_granted", NULL, area, detail->str);
  if (!uk_store_commit(console->store, &error)) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = ukc_result(req);
  ukc_add_string(b, "user", name);
  ukc_add_string(b, "area", area);
  ukc_add_time(b, "valid_until", until);
  json_builder_set_member_name(b, "video");
  json_builder_add_boolean_value(b, video);
  ukc_finish(req, b);
}

/* ---- user administration (admin) and revocation (privacy) ---- */

/* One users.list entry (also the "user" of the user.* replies). Never the
 * password hash. */
static void
add_user_entry(UkConsole *console, JsonBuilder *b, const UkUser *u)
{
  json_builder_begin_object(b);
  ukc_add_string(b, "user", u->name);
  ukc_add_string(b, "role", uk_role_name(u->role));
  json_builder_set_member_name(b, "disabled");
  json_builder_add_boolean_value(b, u->disabled);
  ukc_add_time(b, "valid_until", u->valid_until_90k);
  ukc_add_time(b, "locked_until",
               u->locked_until_90k > uk_time_now_90k() ? u->locked_until_90k : 0);
  add_user_areas(console, b, u);
  json_builder_end_object(b);
}

/* The audit detail of a user change: {"peer": ..., "user": ..., more...}
 * (pairs of key and value, NULL-terminated; a NULL value is JSON null). */
static gchar *user_detail_json(const char *peer, const char *user, ...) G_GNUC_NULL_TERMINATED;

static gchar *
user_detail_json(const char *peer, const char *user, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ukc_add_string(b, "peer", peer);
  ukc_add_string(b, "user", user);
  va_list args;
  va_start(args, user);
  for (const char *key = va_arg(args, const char *); key; key = va_arg(args, const char *))
    ukc_add_string(b, key, va_arg(args, const char *));
  va_end(args);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

/* Sends the result of a user.* request: {"user": <users.list entry>}. */
static void
send_user_result(UkConsoleConn *c, JsonNode *id, const char *request, const char *name)
{
  UkConsole *console = c->console;
  ukc_users_changed(console);
  g_autoptr(GError) error = NULL;
  g_autoptr(UkUser) user = uk_store_user_get(console->store, name, &error);
  if (!user) {
    ukc_send_error(c, id, request, "internal", "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = ukc_reply_begin("result", id, request);
  json_builder_set_member_name(b, "user");
  add_user_entry(console, b, user);
  json_builder_end_object(b);
  ukc_send(c, b);
}

/* Logs out, at once, every connection of @user_id (except those sharing
 * @keep's session): live views end, no more events; each is told with a
 * session.ended event, and its next request is answered session_expired. */
static void
end_user_connections(UkConsole *console, gint64 user_id, UkConsoleConn *keep, const char *reason)
{
  g_autofree gchar *event = g_strdup_printf(
      "{\"type\":\"event\",\"event\":\"session.ended\",\"reason\":\"%s\"}", reason);
  GList *conns = g_hash_table_get_keys(console->conns);
  for (GList *l = conns; l; l = l->next) {
    UkConsoleConn *c = l->data;
    if (c->closed || c->user_id != user_id
        || (keep && memcmp(c->session_hash, keep->session_hash, sizeof c->session_hash) == 0))
      continue;
    conn_set_user(c, 0);
    c->session_expires_90k = -1; /* current_user: "session_expired", once */
    ukc_send_text(c, event);
  }
  g_list_free(conns);
}

/* Finds the user named in the request's "user" field; FALSE after an error
 * reply. */
static UkUser *
request_target(Request *req)
{
  const char *name;
  if (!ukc_get_string(req, "user", TRUE, MAX_NAME_LENGTH, &name))
    return NULL;
  UkUser *user = uk_store_user_get(req->conn->console->store, name, NULL);
  if (!user)
    req_error(req, "not_found", "unknown user '%s'", name);
  return user;
}

/* user.create and user.password hash the new password (argon2id, ~0.1 s and
 * 64 MiB) on a worker thread, as login checks one; the change is made when
 * the hash is ready, if the admin is still logged in on that connection. */
typedef struct {
  UkConsoleConn *conn; /* (owned ref) */
  JsonNode *id;
  gchar *request; /* "user.create" or "user.password" */
  gint64 actor_id;
  gchar *name;
  UkRole role;            /* user.create */
  gint64 valid_until_90k; /* user.create */
  gchar *password;        /* wiped after hashing */
  gchar *hash;
  GError *error;
} PasswordJob;

static void
password_job_free(PasswordJob *job)
{
  ukc_conn_unref(job->conn);
  json_node_unref(job->id);
  g_free(job->request);
  g_free(job->name);
  if (job->password) {
    memset(job->password, 0, strlen(job->password));
    g_free(job->password);
  }
  if (job->hash) {
    memset(job->hash, 0, strlen(job->hash));
    g_free(job->hash);
  }
  g_clear_error(&job->error);
  g_free(job);
}

static void
password_hash_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  PasswordJob *job = data;
  job->hash = uk_password_hash(job->password, &job->error);
  memset(job->password, 0, strlen(job->password));
  g_task_return_boolean(task, TRUE);
}

/* Writes user.create's or user.password's change with its audit row in one
 * transaction. FALSE with @code and @error set. */
static gboolean
password_job_write(PasswordJob *job, const char *actor, const char **code, GError **error)
{
  UkConsole *console = job->conn->console;
  UkStore *store = console->store;
  *code = "internal";
  if (!uk_store_begin(store, error))
    return FALSE;
  g_autoptr(UkUser) target = uk_store_user_get(store, job->name, NULL);
  g_autofree gchar *detail = NULL;
  const char *action;
  gboolean ok;
  if (g_str_equal(job->request, "user.create")) {
    action = "user_added";
    if (target) {
      uk_store_rollback(store);
      *code = "exists";
      g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "user '%s' exists already",
                  job->name);
      return FALSE;
    }
    ok = uk_store_user_add(store, job->name, job->role, job->hash, job->valid_until_90k, error)
         != 0;
    g_autofree gchar *until
        = job->valid_until_90k ? uk_time_format_rfc3339(job->valid_until_90k) : NULL;
    detail = user_detail_json(job->conn->peer, job->name, "role", uk_role_name(job->role),
                              "valid_until", until, NULL);
  } else {
    action = "user_password_set";
    if (!target) {
      uk_store_rollback(store);
      *code = "not_found";
      g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "unknown user '%s'", job->name);
      return FALSE;
    }
    /* The user's sessions end; an admin setting his own password keeps
     * the session he does it in. */
    gboolean self = target->id == job->actor_id;
    ok = uk_store_user_set_password(store, job->name, job->hash, error)
         && uk_store_user_sessions_end(store, target->id, self ? job->conn->session_hash : NULL,
                                       error)
                >= 0;
    detail = user_detail_json(job->conn->peer, job->name, NULL);
  }
  if (ok) {
    ukc_audit(console, actor, action, NULL, NULL, detail);
    ok = uk_store_commit(store, error);
  } else {
    uk_store_rollback(store);
  }
  ukc_users_changed(console);
  return ok;
}

static void
password_job_done(GObject *source, GAsyncResult *result, gpointer data)
{
  PasswordJob *job = g_task_get_task_data(G_TASK(result));
  UkConsoleConn *c = job->conn;
  if (c->closed)
    return; /* nobody to answer: nothing is changed */
  if (!job->hash) {
    ukc_send_error(c, job->id, job->request, "internal", "%s", job->error->message);
    return;
  }
  /* The admin may have logged out, or been disabled, meanwhile. */
  g_autoptr(UkUser) actor = c->user_id == job->actor_id ? ukc_user(c->console, c->user_id) : NULL;
  if (!actor || !uk_user_is_active(actor, uk_time_now_90k()) || actor->role != UK_ROLE_ADMIN) {
    ukc_send_error(c, job->id, job->request, "session_expired",
                   "the session has ended or the account is no longer valid; log in again");
    return;
  }
  const char *code;
  g_autoptr(GError) error = NULL;
  if (!password_job_write(job, actor->name, &code, &error)) {
    ukc_send_error(c, job->id, job->request, code, "%s", error->message);
    return;
  }
  if (g_str_equal(job->request, "user.password")) {
    g_autoptr(UkUser) target = uk_store_user_get(c->console->store, job->name, NULL);
    if (target)
      end_user_connections(c->console, target->id, target->id == job->actor_id ? c : NULL,
                           "password_changed");
  }
  send_user_result(c, job->id, job->request, job->name);
}

static void
password_job_start(Request *req, PasswordJob *job, const char *password)
{
  job->conn = ukc_conn_ref(req->conn);
  job->id = json_node_copy(req->id);
  job->request = g_strdup(req->type);
  job->actor_id = req->user->id;
  job->password = g_strdup(password);
  g_autoptr(GTask) task = g_task_new(NULL, NULL, password_job_done, NULL);
  g_task_set_task_data(task, job, (GDestroyNotify)password_job_free);
  g_task_run_in_thread(task, password_hash_thread);
}

/* The new password of user.create / user.password: FALSE after an error
 * reply. */
static gboolean
get_new_password(Request *req, const char **out)
{
  if (!ukc_get_string(req, "password", TRUE, MAX_PASSWORD_LENGTH, out))
    return FALSE;
  g_autoptr(GError) error = NULL;
  if (!uk_password_acceptable(*out, &error)) {
    req_error(req, "bad_message", "'password': %s", error->message);
    return FALSE;
  }
  return TRUE;
}

static void
handle_user_create(Request *req)
{
  static const char *const roles[]
      = { "operator", "supervisor", "police", "handhaving", "privacy", "admin", NULL };
  const char *name, *role_name, *password;
  gint64 until;
  if (!ukc_get_string(req, "user", TRUE, MAX_NAME_LENGTH, &name))
    return;
  if (!uk_config_id_is_valid(name)) {
    req_error(req, "bad_message",
              "'user': a user name is 1 to 32 of a-z, 0-9, '_' and '-', not starting with '-'");
    return;
  }
  if (!ukc_get_choice(req, "role", roles, NULL, &role_name)
      || !ukc_get_time(req, "valid_until", &until) || !get_new_password(req, &password))
    return;
  if (until && until <= uk_time_now_90k()) {
    req_error(req, "bad_message", "'valid_until' must be in the future");
    return;
  }
  g_autoptr(UkUser) existing = uk_store_user_get(req->conn->console->store, name, NULL);
  if (existing) { /* checked again when writing */
    req_error(req, "exists", "user '%s' exists already", name);
    return;
  }
  PasswordJob *job = g_new0(PasswordJob, 1);
  job->name = g_strdup(name);
  uk_role_from_name(role_name, &job->role);
  job->valid_until_90k = until;
  password_job_start(req, job, password);
}

static void
handle_user_password(Request *req)
{
  g_autoptr(UkUser) target = request_target(req);
  const char *password;
  if (!target || !get_new_password(req, &password))
    return;
  PasswordJob *job = g_new0(PasswordJob, 1);
  job->name = g_strdup(target->name);
  password_job_start(req, job, password);
}

/* user.disable and user.enable. */
static void
set_user_disabled(Request *req, gboolean disable)
{
  UkConsole *console = req->conn->console;
  g_autoptr(UkUser) target = request_target(req);
  if (!target)
    return;
  if (disable && target->id == req->user->id) {
    req_error(req, "bad_message", "you cannot disable your own account");
    return;
  }
  if (target->disabled == disable) {
    req_error(req, "bad_message", "user '%s' is already %s", target->name,
              disable ? "disabled" : "enabled");
    return;
  }
  g_autoptr(GError) error = NULL;
  gboolean ok
      = uk_store_begin(console->store, &error)
        && uk_store_user_set_disabled(console->store, target->name, disable, &error)
        && (!disable || uk_store_user_sessions_end(console->store, target->id, NULL, &error) >= 0);
  if (!ok) {
    uk_store_rollback(console->store);
    ukc_users_changed(console);
    req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autofree gchar *detail = user_detail_json(req->conn->peer, target->name, NULL);
  ukc_audit(console, req->user->name, disable ? "user_disabled" : "user_enabled", NULL, NULL,
            detail);
  ok = uk_store_commit(console->store, &error);
  ukc_users_changed(console);
  if (!ok) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  if (disable)
    end_user_connections(console, target->id, NULL, "account_disabled");
  send_user_result(req->conn, req->id, req->type, target->name);
}

static void
handle_user_disable(Request *req)
{
  set_user_disabled(req, TRUE);
}

static void
handle_user_enable(Request *req)
{
  set_user_disabled(req, FALSE);
}

static void
handle_authorisation_revoke(Request *req)
{
  UkConsole *console = req->conn->console;
  const char *area;
  g_autoptr(UkUser) target = request_target(req);
  if (!target || !ukc_get_string(req, "area", TRUE, MAX_NAME_LENGTH, &area))
    return;
  g_autoptr(GError) error = NULL;
  if (!uk_store_begin(console->store, &error)) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  gint64 n = uk_store_authorisation_revoke(console->store, target->id, area, &error);
  if (n <= 0) {
    uk_store_rollback(console->store);
    ukc_users_changed(console);
    if (n == 0)
      req_error(req, "not_found", "user '%s' has no authorisation for area '%s'", target->name,
                area);
    else
      req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autofree gchar *count = g_strdup_printf("%" G_GINT64_FORMAT, n);
  g_autofree gchar *detail
      = user_detail_json(req->conn->peer, target->name, "authorisations", count, NULL);
  ukc_audit(console, req->user->name, "authorisation_revoked", NULL, area, detail);
  gboolean ok = uk_store_commit(console->store, &error);
  ukc_users_changed(console);
  if (!ok) {
    req_error(req, "internal", "%s", error->message);
    return;
  }
  g_autoptr(JsonBuilder) b = ukc_result(req);
  ukc_add_string(b, "user", target->name);
  ukc_add_string(b, "area", area);
  ukc_add_int(b, "revoked", n);
  ukc_finish(req, b);
}

/* ---- the gate ---- */

static const MessageSpec *
find_spec(const char *type)
{
  for (guint i = 0; i < G_N_ELEMENTS(messages); i++)
    if (g_str_equal(messages[i].type, type))
      return &messages[i];
  return NULL;
}

/* The logged-in user if the session and account are still good; otherwise
 * logs the connection out and returns NULL with @code set. (transfer full) */
static UkUser *
current_user(UkConsoleConn *c, const char **code)
{
  *code = "not_logged_in";
  if (!c->user_id) {
    if (c->session_expires_90k < 0) { /* ended by user.disable or user.password */
      *code = "session_expired";
      c->session_expires_90k = 0;
    }
    return NULL;
  }
  UkConsole *console = c->console;
  gint64 now = uk_time_now_90k();
  /* The session is looked up again only when accounts or sessions changed
   * (ukc_user refreshes users_version first) or when it may have expired. */
  g_autoptr(UkUser) user = ukc_user(console, c->user_id);
  if (user && (c->session_version != console->users_version || now >= c->session_expires_90k)) {
    gint64 expires = 0;
    if (uk_store_session_user(console->store, c->session_hash, now, &expires, NULL) == c->user_id) {
      c->session_version = console->users_version;
      c->session_expires_90k = expires;
    } else {
      g_clear_pointer(&user, uk_user_free);
    }
  }
  if (!user || !uk_user_is_active(user, now)) {
    *code = "session_expired";
    conn_set_user(c, 0);
    return NULL;
  }
  return g_steal_pointer(&user);
}

/* TRUE when a JSON text has the escape \u0000 in a string: json-glib would
 * cut the string there, so the server would store less than was sent. */
static gboolean
has_nul_escape(const char *text, gsize len)
{
  for (gsize i = 0; i + 1 < len; i++) {
    if (text[i] != '\\')
      continue;
    if (text[i + 1] == 'u' && i + 6 <= len && memcmp(text + i + 2, "0000", 4) == 0)
      return TRUE;
    i++; /* the escaped character (a backslash too) */
  }
  return FALSE;
}

static void
handle_message(UkConsoleConn *c, const char *text, gsize len)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  c->console->messages++;
  if (!g_utf8_validate(text, len, NULL)) {
    ukc_send_error(c, NULL, NULL, "bad_json", "the message is not UTF-8 text");
    return;
  }
  if (!json_parser_load_from_data(parser, text, len, &error)) {
    ukc_send_error(c, NULL, NULL, "bad_json", "the message is not valid JSON: %s", error->message);
    return;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    ukc_send_error(c, NULL, NULL, "bad_message", "a message is a JSON object");
    return;
  }
  JsonObject *msg = json_node_get_object(root);
  JsonNode *id = json_object_get_member(msg, "id");
  if (id
      && !(JSON_NODE_HOLDS_VALUE(id)
           && ((json_node_get_value_type(id) == G_TYPE_STRING
                && strlen(json_node_get_string(id)) <= MAX_ID_LENGTH)
               || json_node_get_value_type(id) == G_TYPE_INT64)))
    id = NULL;
  JsonNode *type_node = json_object_get_member(msg, "type");
  const char *type = NULL;
  if (type_node && JSON_NODE_HOLDS_VALUE(type_node)
      && json_node_get_value_type(type_node) == G_TYPE_STRING)
    type = json_node_get_string(type_node);
  if (!type) {
    ukc_send_error(c, id, NULL, "bad_message", "'type' is required and must be a string");
    return;
  }
  const MessageSpec *spec = find_spec(type);
  if (!spec) {
    g_autofree gchar *shown = g_strndup(type, 64);
    ukc_send_error(c, id, NULL, "unknown_type", "unknown message type '%s'", shown);
    return;
  }
  if (has_nul_escape(text, len)) {
    ukc_send_error(c, id, type, "bad_message", "text may not contain NUL characters (\\u0000)");
    return;
  }
  if (!id) {
    ukc_send_error(c, NULL, type, "bad_message",
                   "'id' is required: a string of at most 128 bytes or a whole number");
    return;
  }

  Request req = { .conn = c, .msg = msg, .id = id, .type = spec->type };
  g_autoptr(UkUser) user = NULL;
  if (spec->roles) {
    const char *code;
    user = current_user(c, &code);
    if (!user) {
      req_error(&req, code,
                g_str_equal(code, "not_logged_in")
                    ? "log in first"
                    : "the session has ended or the account is no longer valid; "
                      "log in again");
      return;
    }
    req.user = user;
    if (!(spec->roles & ROLE(user->role))) {
      req_error(&req, "forbidden", "role '%s' may not send '%s'", uk_role_name(user->role),
                spec->type);
      return;
    }
  }
  if (spec->scope == SCOPE_CAMERA || spec->scope == SCOPE_VIDEO) {
    const char *camera;
    if (!ukc_get_string(&req, "camera", TRUE, MAX_NAME_LENGTH, &camera))
      return;
    req.camera = uk_camera_board_get(c->console->cameras, camera);
    if (!req.camera) {
      req_error(&req, "not_found", "unknown camera '%s'", camera);
      return;
    }
    if (!uk_user_may_area(user, req.camera->area, uk_time_now_90k())) {
      req_error(&req, "forbidden", "no authorisation for area '%s'", req.camera->area);
      return;
    }
    if (spec->scope == SCOPE_VIDEO
        && !uk_user_may_video(user, req.camera->area, uk_time_now_90k())) {
      req_error(&req, "forbidden", "no video grant for area '%s'", req.camera->area);
      return;
    }
  }
  g_autoptr(UkIncident) incident = NULL;
  if (spec->scope == SCOPE_INCIDENT) {
    gint64 iid;
    if (!json_object_has_member(msg, "incident")) {
      req_error(&req, "bad_message", "'incident' is required");
      return;
    }
    if (!ukc_get_uint(&req, "incident", 1, G_MAXINT64, 0, &iid))
      return;
    incident = uk_store_incident_get(c->console->store, iid, FALSE, NULL);
    if (!incident) {
      req_error(&req, "not_found", "no incident %" G_GINT64_FORMAT, iid);
      return;
    }
    if (!uk_user_may_area(user, incident->area, uk_time_now_90k())) {
      req_error(&req, "forbidden", "no authorisation for area '%s'", incident->area);
      return;
    }
    req.incident = incident;
  }
  spec->handler(&req);
}

/* ---- public ---- */

UkConsole *
uk_console_new(UkStore *store, const UkConfig *config, UkCameraBoard *cameras)
{
  UkConsole *console = g_new0(UkConsole, 1);
  console->store = store;
  console->config = config;
  console->cameras = cameras;
  console->conns = g_hash_table_new(NULL, NULL);
  console->users
      = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)uk_user_free);
  console->users_version = -1;
  console->data_version = -1;
  ukc_watch_init(console);
  return console;
}

void
uk_console_free(UkConsole *console)
{
  if (!console)
    return;
  /* Logins still waiting are answered while their requests still exist. */
  g_queue_clear_full(&console->login_queue, (GDestroyNotify)login_job_free);
  g_clear_pointer(&console->server, uk_server_free);
  if (console->writer) {
    /* Finish queued writes and deliver their completions (to closed
     * connections: nothing is sent, nothing leaks). */
    g_clear_pointer(&console->writer, uk_writer_free);
    while (g_main_context_iteration(NULL, FALSE))
      ;
  }
  if (console->outbox_source) {
    g_source_destroy(console->outbox_source);
    g_clear_pointer(&console->outbox_source, g_source_unref);
  }
  g_clear_pointer(&console->outbox, g_ptr_array_unref);
  ukc_live_free(console);
  ukc_watch_free(console);
  ukc_playback_free(console);
  g_free(console->export_key_path);
  g_hash_table_destroy(console->users);
  g_free(console->dummy_hash);
  /* Connections still open belong to the server, which closed them above. */
  g_hash_table_destroy(console->conns);
  g_free(console);
}

gint64
ukc_session_user(UkConsole *console, const char *session_cookie)
{
  guint8 hash[32];
  if (!session_cookie || !uk_session_token_hash(session_cookie, hash))
    return 0;
  return uk_store_session_user(console->store, hash, uk_time_now_90k(), NULL, NULL);
}

UkConsoleConn *
uk_console_conn_new(UkConsole *console, UkConsoleSendFunc send, gpointer sink, const char *peer,
                    const char *session_cookie)
{
  UkConsoleConn *c = g_new0(UkConsoleConn, 1);
  c->ref_count = 1;
  c->console = console;
  c->send = send;
  c->sink = sink;
  c->peer = g_strdup(peer ? peer : "unknown");
  g_hash_table_add(console->conns, c);
  guint8 hash[32];
  if (session_cookie && uk_session_token_hash(session_cookie, hash)) {
    gint64 uid = uk_store_session_user(console->store, hash, uk_time_now_90k(), NULL, NULL);
    if (uid) {
      memcpy(c->session_hash, hash, sizeof hash);
      conn_set_user(c, uid); /* presence counts it like a login */
    }
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  ukc_add_string(b, "type", "hello");
  ukc_add_string(b, "protocol", UK_SERVER_PROTOCOL);
  ukc_add_int(b, "version", UK_PROTOCOL_VERSION);
  ukc_add_string(b, "server", "uitkijk " PROJECT_VERSION);
  json_builder_set_member_name(b, "logged_in");
  json_builder_add_boolean_value(b, c->user_id != 0);
  json_builder_end_object(b);
  ukc_send(c, b);
  return c;
}

void
uk_console_conn_message(UkConsoleConn *c, const char *text, gsize len)
{
  if (!c->closed)
    handle_message(c, text, len);
}

void
uk_console_conn_refused(UkConsoleConn *c, const char *code, gsize size)
{
  if (g_str_equal(code, "message_too_large"))
    ukc_send_error(c, NULL, NULL, code,
                   "the message has %" G_GSIZE_FORMAT " bytes; at most 65536 are accepted", size);
  else
    ukc_send_error(c, NULL, NULL, code, "only text (JSON) messages are accepted");
}

void
uk_console_conn_closed(UkConsoleConn *c)
{
  conn_set_user(c, 0);
  c->closed = TRUE;
  g_hash_table_remove(c->console->conns, c);
  ukc_conn_unref(c);
}

/* How long a pushed event may wait for others to go with it. */
#define PUSH_WINDOW_MS 20

/* One pushed event waiting in the outbox. It goes to the users with one of
 * @roles, and to the users named in @users whatever their role, provided they
 * may see one of @areas (NULL: every area). */
typedef struct {
  GPtrArray *areas; /* (element-type utf8) or NULL */
  guint roles;
  GPtrArray *users; /* (element-type utf8) or NULL */
  gchar *json;
  gsize len;
} Outgoing;

static void
outgoing_free(gpointer p)
{
  Outgoing *o = p;
  g_clear_pointer(&o->areas, g_ptr_array_unref);
  g_clear_pointer(&o->users, g_ptr_array_unref);
  g_free(o->json);
  g_free(o);
}

static gboolean
outgoing_for(const Outgoing *o, const UkUser *user, gint64 now)
{
  if (!(ROLE(user->role) & o->roles)
      && !(o->users && g_ptr_array_find_with_equal_func(o->users, user->name, g_str_equal, NULL)))
    return FALSE;
  if (!o->areas)
    return TRUE;
  for (guint i = 0; i < o->areas->len; i++)
    if (uk_user_may_area(user, o->areas->pdata[i], now))
      return TRUE;
  return FALSE;
}

/* Sends the outbox: each connection gets the events it may see, one message
 * each, or all of them in one "events" message when there are several (so a
 * group commit of 50 incidents is 50 messages, not 50 per console). */
static gboolean
flush_outbox(gpointer data)
{
  UkConsole *console = data;
  g_clear_pointer(&console->outbox_source, g_source_unref);
  ukc_presence_flush(console);
  GPtrArray *out = console->outbox;
  console->outbox = NULL;
  if (!out)
    return G_SOURCE_REMOVE;
  GHashTableIter it;
  gpointer key;
  gint64 now = uk_time_now_90k();
  gboolean check = TRUE; /* accounts are looked at once per flush */
  g_autoptr(GString) batch = g_string_new(NULL);
  /* Which events the last batch holds: consoles that see the same ones (all
   * of an area's, usually) share it. */
  g_autoptr(GByteArray) seen = g_byte_array_sized_new(out->len);
  g_autoptr(GByteArray) last = g_byte_array_sized_new(out->len);
  g_hash_table_iter_init(&it, console->conns);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    UkConsoleConn *c = key;
    if (!c->user_id || c->closed)
      continue;
    UkUser *user = user_peek(console, c->user_id, check);
    check = FALSE;
    if (!user || !uk_user_is_active(user, now))
      continue;
    const Outgoing *only = NULL;
    guint n = 0;
    g_byte_array_set_size(seen, out->len);
    for (guint i = 0; i < out->len; i++) {
      const Outgoing *o = out->pdata[i];
      seen->data[i] = outgoing_for(o, user, now);
      if (seen->data[i] && n++ == 0)
        only = o;
    }
    if (n == 1) {
      c->send(c->sink, only->json, only->len);
    } else if (n > 1) {
      if (last->len != seen->len || memcmp(last->data, seen->data, seen->len) != 0) {
        g_string_assign(batch, "{\"type\":\"events\",\"events\":[");
        for (guint i = 0; i < out->len; i++) {
          const Outgoing *o = out->pdata[i];
          if (!seen->data[i])
            continue;
          if (batch->str[batch->len - 1] != '[')
            g_string_append_c(batch, ',');
          g_string_append_len(batch, o->json, o->len);
        }
        g_string_append(batch, "]}");
        g_byte_array_set_size(last, 0);
        g_byte_array_append(last, seen->data, seen->len);
      }
      c->send(c->sink, batch->str, batch->len);
    }
  }
  g_ptr_array_unref(out);
  return G_SOURCE_REMOVE;
}

void
ukc_outbox_schedule(UkConsole *console)
{
  if (console->outbox_source)
    return;
  /* Pushes wait up to PUSH_WINDOW_MS, so that under load a console gets a
   * few larger messages instead of one per group commit. */
  GSource *s = g_timeout_source_new(PUSH_WINDOW_MS);
  g_source_set_priority(s, G_PRIORITY_DEFAULT);
  g_source_set_callback(s, flush_outbox, console, NULL);
  g_source_attach(s, g_main_context_get_thread_default());
  console->outbox_source = s;
}

static GPtrArray *
strings_copy(const GPtrArray *a)
{
  if (!a)
    return NULL;
  GPtrArray *out = g_ptr_array_new_full(a->len, g_free);
  for (guint i = 0; i < a->len; i++)
    g_ptr_array_add(out, g_strdup(a->pdata[i]));
  return out;
}

void
ukc_push(UkConsole *console, const GPtrArray *areas, guint roles, const GPtrArray *users,
         const char *event_json)
{
  Outgoing *o = g_new0(Outgoing, 1);
  o->areas = strings_copy(areas);
  o->roles = roles;
  o->users = strings_copy(users);
  o->json = g_strdup(event_json);
  o->len = strlen(event_json);
  if (!console->outbox)
    console->outbox = g_ptr_array_new_with_free_func(outgoing_free);
  g_ptr_array_add(console->outbox, o);
  ukc_outbox_schedule(console);
}

void
ukc_broadcast(UkConsole *console, const char *area, guint roles, const char *event_json)
{
  g_autoptr(GPtrArray) areas = NULL;
  if (area) {
    areas = g_ptr_array_new();
    g_ptr_array_add(areas, (gpointer)area);
  }
  ukc_push(console, areas, roles, NULL, event_json);
}

void
uk_console_broadcast(UkConsole *console, const char *area, const char *event_json)
{
  ukc_broadcast(console, area, ALL_ROLES, event_json);
}

void
uk_console_set_writer(UkConsole *console, UkWriter *writer)
{
  g_clear_pointer(&console->writer, uk_writer_free);
  console->writer = writer;
}

void
uk_console_set_locator(UkConsole *console, UkConsoleLocateFunc func, gpointer user_data)
{
  console->locate = func;
  console->locate_data = user_data;
}

guint
uk_console_connections(UkConsole *console)
{
  return g_hash_table_size(console->conns);
}

void
uk_console_metrics(UkConsole *console, GString *out)
{
  static const char *const states[] = { "connecting", "recording", "down", "stopped" };
  const GPtrArray *cams = uk_camera_board_list(console->cameras);
  g_string_append(out, "# HELP uitkijk_camera_up 1 when the camera is in the given state.\n"
                       "# TYPE uitkijk_camera_up gauge\n");
  for (guint i = 0; i < cams->len; i++) {
    const UkCameraStatus *s = cams->pdata[i];
    for (guint k = 0; k < G_N_ELEMENTS(states); k++)
      g_string_append_printf(out, "uitkijk_camera_up{camera=\"%s\",area=\"%s\",state=\"%s\"} %d\n",
                             s->id, s->area, states[k], g_strcmp0(s->state, states[k]) == 0);
  }
#define CAMERA_METRIC(name, type, help, expr, fmt)                                                 \
  g_string_append(out, "# HELP " name " " help "\n# TYPE " name " " type "\n");                    \
  for (guint i = 0; i < cams->len; i++) {                                                          \
    const UkCameraStatus *s = cams->pdata[i];                                                      \
    g_string_append_printf(out, name "{camera=\"%s\",area=\"%s\"} " fmt "\n", s->id, s->area,      \
                           expr);                                                                  \
  }
  CAMERA_METRIC("uitkijk_camera_fps", "gauge", "Frames per second recorded over the last second.",
                s->fps, "%.2f")
  CAMERA_METRIC("uitkijk_camera_bitrate_bps", "gauge", "Bits per second recorded.", s->bitrate_bps,
                "%.0f")
  CAMERA_METRIC("uitkijk_camera_reconnects_total", "counter",
                "Connection attempts after the first.", s->reconnects, "%u")
  CAMERA_METRIC("uitkijk_camera_recorded_bytes_total", "counter", "Bytes of video recorded.",
                s->bytes_recorded, "%" G_GUINT64_FORMAT)
  CAMERA_METRIC("uitkijk_camera_recorded_frames_total", "counter", "Frames recorded.",
                s->frames_recorded, "%" G_GUINT64_FORMAT)
#undef CAMERA_METRIC
  g_string_append_printf(out,
                         "# HELP uitkijk_console_messages_total Console messages handled.\n"
                         "# TYPE uitkijk_console_messages_total counter\n"
                         "uitkijk_console_messages_total %" G_GUINT64_FORMAT "\n"
                         "# HELP uitkijk_console_logins_failed_total Failed console logins.\n"
                         "# TYPE uitkijk_console_logins_failed_total counter\n"
                         "uitkijk_console_logins_failed_total %" G_GUINT64_FORMAT "\n"
                         "# HELP uitkijk_incidents_logged_total Incidents logged (durable).\n"
                         "# TYPE uitkijk_incidents_logged_total counter\n"
                         "uitkijk_incidents_logged_total %" G_GUINT64_FORMAT "\n"
                         "# HELP uitkijk_incident_commits_total Group commits of incident writes.\n"
                         "# TYPE uitkijk_incident_commits_total counter\n"
                         "uitkijk_incident_commits_total %" G_GUINT64_FORMAT "\n",
                         console->messages, console->logins_failed, console->incidents_logged,
                         console->writer ? uk_writer_commits(console->writer) : 0);
}

/* ---- the server's callbacks ---- */

static void
send_to_client(gpointer sink, const char *text, gsize len)
{
  uk_client_send(sink, text, len);
}

static gboolean
send_binary_to_client(gpointer sink, const guint8 *data, gsize len, gboolean droppable)
{
  return uk_client_send_binary(sink, data, len, droppable);
}

static gpointer
on_client_open(UkClient *client, const char *cookie, const char *peer, gpointer data)
{
  UkConsoleConn *c = uk_console_conn_new(data, send_to_client, client, peer, cookie);
  uk_console_conn_set_binary(c, send_binary_to_client);
  return c;
}

static void
on_client_message(UkClient *client, gpointer conn, const char *text, gsize len, gpointer data)
{
  uk_console_conn_message(conn, text, len);
}

static void
on_client_refused(UkClient *client, gpointer conn, const char *code, gsize size, gpointer data)
{
  uk_console_conn_refused(conn, code, size);
}

static void
on_client_close(UkClient *client, gpointer conn, gpointer data)
{
  uk_console_conn_closed(conn);
}

/* The answer to POST /login from login_finish's outcome. */
static void
http_login_answer(UkHttpRequest *req, guint status, const char *code, const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, FALSE);
  ukc_add_string(b, "code", code);
  ukc_add_string(b, "message", message);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree gchar *reply = json_to_string(root, FALSE);
  uk_http_request_finish(req, status, reply, NULL, 0);
}

static void
http_login_done(GObject *source, GAsyncResult *result, gpointer data)
{
  LoginJob *job = g_task_get_task_data(G_TASK(result));
  login_check_ended(job->console);
  UkHttpRequest *req = g_steal_pointer(&job->http);
  if (!uk_http_request_connected(req)) {
    /* nobody to answer (as for a websocket closed meanwhile) */
    uk_http_request_finish(req, 500, NULL, NULL, 0);
    return;
  }
  UkConsole *console = job->console;
  const char *code = NULL;
  g_autofree gchar *message = NULL;
  gint64 user_id;
  g_autofree gchar *token
      = login_finish(console, job->name, job->ok, job->peer, &user_id, &code, &message);
  if (!token) {
    guint status = g_str_equal(code, "locked") ? 423 : g_str_equal(code, "internal") ? 500 : 401;
    http_login_answer(req, status, code, message);
    return;
  }
  uk_http_request_finish(req, 200, "{\"ok\":true}", token,
                         (gint64)console->config->session_minutes * 60);
}

static void
on_http_login(UkHttpRequest *req, const char *body, gsize len, const char *peer, gpointer data)
{
  UkConsole *console = data;
  g_autoptr(JsonParser) parser = json_parser_new();
  const char *name = NULL, *password = NULL;
  JsonNode *root = NULL; /* an empty body parses, to no root at all */
  if (json_parser_load_from_data(parser, body, len, NULL) && (root = json_parser_get_root(parser))
      && JSON_NODE_HOLDS_OBJECT(root)) {
    JsonObject *o = json_node_get_object(root);
    JsonNode *u = json_object_get_member(o, "user"), *p = json_object_get_member(o, "password");
    /* json_node_get_string: NULL for a value that is not a string */
    if (u && p && JSON_NODE_HOLDS_VALUE(u) && JSON_NODE_HOLDS_VALUE(p)) {
      name = json_node_get_string(u);
      password = json_node_get_string(p);
    }
  }
  if (!name || !password || strlen(name) > MAX_NAME_LENGTH
      || strlen(password) > MAX_PASSWORD_LENGTH) {
    uk_http_request_finish(req, 400,
                           "{\"ok\":false,\"code\":\"bad_message\",\"message\":"
                           "\"send {\\\"user\\\": ..., \\\"password\\\": ...}\"}",
                           NULL, 0);
    return;
  }
  /* The password is checked on a worker thread, as for the websocket. */
  LoginJob *job = login_job_new(console, name, password, http_login_done);
  job->http = req;
  job->peer = g_strdup(peer ? peer : "unknown");
  if (!login_check_submit(job)) {
    job->http = NULL; /* answered here, not by login_job_free */
    login_job_free(job);
    http_login_answer(req, 503, "busy", "too many logins are being checked; try again in a moment");
  }
}

static void
on_metrics(GString *out, gpointer data)
{
  uk_console_metrics(data, out);
}

static gchar *
on_http_file(const char *path, const char *session_cookie, const char **content_type, gpointer data)
{
  if (g_str_has_prefix(path, "pb/"))
    return ukc_playback_file(data, path, session_cookie, content_type);
  return ukc_clip_file(data, path, session_cookie, content_type);
}

gboolean
uk_console_listen(UkConsole *console, GMainLoop *loop, GError **error)
{
  static const UkServerCallbacks callbacks = {
    .client_open = on_client_open,
    .client_message = on_client_message,
    .client_refused = on_client_refused,
    .client_close = on_client_close,
    .http_login = on_http_login,
    .metrics = on_metrics,
    .http_file = on_http_file,
  };
  const UkConfig *cfg = console->config;
  g_auto(GStrv) origins = cfg->origins ? g_strsplit_set(cfg->origins, " \t", -1) : NULL;
  UkServerOptions opts = {
    .loop = loop,
    .host = cfg->listen_host,
    .port = cfg->listen_port,
    .www_dir = cfg->www_path ? cfg->www_path : UK_WWW_DIR,
    .tls_cert = cfg->tls_cert,
    .tls_key = cfg->tls_key,
    .origins = (const char *const *)origins,
    .max_message = 65536,
  };
  console->server = uk_server_new(&opts, &callbacks, console, error);
  return console->server != NULL;
}

guint16
uk_console_port(UkConsole *console)
{
  return console->server ? uk_server_port(console->server) : 0;
}
