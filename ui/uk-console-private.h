/* uk-console-private: shared by the console's source files (uk-console.c,
 * uk-console-incidents.c) only: the request gate's types and the helpers
 * handlers use to read fields and write replies. Control thread only. */
#pragma once

#include "uk-console.h"
#include "uk-incidents.h"
#include "uk-watch.h"
#include "uk-writer.h"
#include "uk-server.h"

#include <json-glib/json-glib.h>

struct _UkConsole {
  UkStore *store;         /* (not owned) */
  const UkConfig *config; /* (not owned) */
  UkCameraBoard *cameras; /* (not owned) */
  UkServer *server;
  GHashTable *conns; /* set of UkConsoleConn*, open ones */
  guint64 messages;  /* handled since start */
  guint64 logins_failed;
  guint64 incidents_logged;

  UkConsoleLocateFunc locate; /* resolves incident positions to frames */
  gpointer locate_data;
  GHashTable *users;           /* user id -> UkUser, as of users_version */
  gint64 users_version;        /* uk_store_accounts_version when users was filled */
  gint64 data_version;         /* uk_store_data_version when that was checked */
  UkWriter *writer;            /* durable writes (owned) */
  GHashTable *live;            /* camera id -> LiveHub (uk-console-live.c) */
  UkConsoleLiveFunc live_func; /* turns a recorder's live stream on and off */
  gpointer live_data;
  gchar *dummy_hash;               /* for logins with unknown names (console_dummy_hash) */
  guint login_checks;              /* password checks running (login_check_submit) */
  GQueue login_queue;              /* (element-type LoginJob) checks waiting their turn */
  GPtrArray *outbox;               /* (element-type Outgoing) pushes not yet sent (ukc_broadcast) */
  GSource *outbox_source;          /* the timeout source that sends them */
  UkWatch *watch;                  /* claims, presence, alerts (uk-console-watch.c) */
  GHashTable *presence_dirty;      /* set of areas whose presence changed since the last push */
  GHashTable *grants;              /* playback token -> Grant (uk-console-playback.c) */
  UkConsoleExportFunc export_func; /* clip exports (uk-console-clips.c) */
  gpointer export_data;
  gchar *export_key_path;
};

struct _UkConsoleConn {
  gint ref_count; /* the console holds one while open; pending work one each */
  UkConsole *console;
  UkConsoleSendFunc send;
  gpointer sink;
  gboolean closed;
  gchar *peer;
  gint64 user_id;             /* 0: not logged in */
  gchar *user_name;           /* that user's name, while logged in */
  gint64 session_version;     /* the console's users_version when the session was checked */
  gint64 session_expires_90k; /* and its expiry then */
  guint8 session_hash[32];
  gboolean login_pending;
  UkConsoleSendBinaryFunc send_binary; /* NULL: no binary (live video) */
};

typedef enum {
  SCOPE_NONE,     /* not about a camera or area */
  SCOPE_CAMERA,   /* field "camera": its area must be authorised */
  SCOPE_INCIDENT, /* field "incident": its area must be authorised */
  SCOPE_VIDEO,    /* like SCOPE_CAMERA, for recordings: handhaving needs a video grant */
} Scope;

/* A request being handled: what the handler needs and how it replies. */
typedef struct {
  UkConsoleConn *conn;
  JsonObject *msg;
  JsonNode *id;
  const char *type;
  UkUser *user;                 /* NULL for login */
  const UkCameraStatus *camera; /* SCOPE_CAMERA */
  UkIncident *incident;         /* SCOPE_INCIDENT */
} Request;

#define ROLE(r) (1u << (r))
#define ALL_ROLES ((1u << UK_ROLE_COUNT) - 1)
#define AREA_ROLES                                                                                 \
  (ROLE(UK_ROLE_OPERATOR) | ROLE(UK_ROLE_SUPERVISOR) | ROLE(UK_ROLE_POLICE)                        \
   | ROLE(UK_ROLE_HANDHAVING))
#define INCIDENT_WRITE_ROLES (ROLE(UK_ROLE_OPERATOR) | ROLE(UK_ROLE_SUPERVISOR))
#define INCIDENT_READ_ROLES (INCIDENT_WRITE_ROLES | ROLE(UK_ROLE_HANDHAVING))

UkConsoleConn *ukc_conn_ref(UkConsoleConn *c);

/* The user with @id as the database has it now (cached until another process
 * or the daemon changes accounts). (transfer full) or NULL */
UkUser *ukc_user(UkConsole *console, gint64 id);
/* Forgets cached accounts after the daemon changed one. */
void ukc_users_changed(UkConsole *console);
void ukc_conn_unref(UkConsoleConn *c);

/* Replies. */
JsonBuilder *ukc_reply_begin(const char *kind, JsonNode *id, const char *request);
void ukc_send(UkConsoleConn *c, JsonBuilder *b);
void ukc_send_text(UkConsoleConn *c, const char *text);
void ukc_send_error(UkConsoleConn *c, JsonNode *id, const char *request, const char *code,
                    const char *format, ...) G_GNUC_PRINTF(5, 6);
#define req_error(req, code, ...)                                                                  \
  ukc_send_error((req)->conn, (req)->id, (req)->type, code, __VA_ARGS__)
JsonBuilder *ukc_result(Request *req);
void ukc_finish(Request *req, JsonBuilder *b);
void ukc_add_time(JsonBuilder *b, const char *name, gint64 t_90k);
void ukc_add_string(JsonBuilder *b, const char *name, const char *value);
void ukc_add_int(JsonBuilder *b, const char *name, gint64 value);

/* Fields: each sends the error and returns FALSE when the field is wrong. */
gboolean ukc_get_string(Request *req, const char *name, gboolean required, gsize max,
                        const char **out);
gboolean ukc_get_time(Request *req, const char *name, gint64 *out);
/* true or false; @def when absent (-1: required). */
gboolean ukc_get_bool(Request *req, const char *name, gint def, gboolean *out);
/* The whole number in @name, required and >= 1; 0 after an error reply. */
gint64 ukc_get_id(Request *req, const char *name);
/* TRUE when the user may see every one of @areas (the privacy officer and
 * the admin all of them when @privacy_all); FALSE after a "forbidden" reply. */
gboolean ukc_check_areas(Request *req, const GPtrArray *areas, gboolean privacy_all);
/* A text from @choices; @def when absent (NULL: required). FALSE after an
 * error reply. */
gboolean ukc_get_choice(Request *req, const char *name, const char *const *choices, const char *def,
                        const char **out);
/* A list of at most @max texts, without repeats: each from @allowed (NULL:
 * any), or, when @cameras, a known camera in an area the user may see;
 * @first (if not NULL) comes first. Absent or null: empty (or just @first).
 * (element-type utf8, pointing into the message) (transfer container), or
 * NULL after an error reply. */
GPtrArray *ukc_get_list(Request *req, const char *name, guint max, const char *const *allowed,
                        gboolean cameras, const char *first);
gboolean ukc_get_uint(Request *req, const char *name, gint64 min, gint64 max, gint64 def,
                      gint64 *out);

/* Audit. */
void ukc_audit(UkConsole *console, const char *actor, const char *action, const char *camera,
               const char *area, const char *detail);
gchar *ukc_detail_json(const char *peer, const char *key, const char *value);

/* Sends @event_json to every logged-in connection whose role is in @roles
 * and that may see @area. */
/* Queues an event for the users with one of @roles and the users named in
 * @users (NULL: none), who may see one of @areas (NULL: any area); sent
 * within PUSH_WINDOW_MS, batched (see flush_outbox). */
void ukc_push(UkConsole *console, const GPtrArray *areas, guint roles, const GPtrArray *users,
              const char *event_json);
void ukc_broadcast(UkConsole *console, const char *area, guint roles, const char *event_json);
void ukc_outbox_schedule(UkConsole *console);

/* Sends a result whose members (written with uk_json_member and friends,
 * uk-text.h) are @members (uk-console-watch.c). */
void ukc_finish_text(Request *req, GString *members);

/* The user id of a live session cookie, or 0. */
gint64 ukc_session_user(UkConsole *console, const char *session_cookie);

/* uk-console-playback.c: timeline and playback grants. */
void ukc_handle_timeline(Request *req);
void ukc_handle_playback_open(Request *req);
void ukc_playback_free(UkConsole *console);
gchar *ukc_playback_file(UkConsole *console, const char *path, const char *session_cookie,
                         const char **content_type);

/* uk-console-clips.c: police clip requests. */
void ukc_handle_clip_request(Request *req);
void ukc_handle_clip_decide(Request *req);
void ukc_handle_clips_list(Request *req);
gchar *ukc_clip_file(UkConsole *console, const char *path, const char *session_cookie,
                     const char **content_type);

/* uk-console-rules.c: designations, evidence holds. */
void ukc_handle_designations_list(Request *req);
void ukc_handle_designation_save(Request *req);
void ukc_handle_designation_withdraw(Request *req);
void ukc_handle_hold_request(Request *req);
void ukc_handle_hold_decide(Request *req);
void ukc_handle_hold_release(Request *req);
void ukc_handle_holds_list(Request *req);

/* uk-console-watch.c: coordination. */
void ukc_watch_init(UkConsole *console);
void ukc_watch_free(UkConsole *console);
void ukc_presence_flush(UkConsole *console);
void ukc_watch_user(UkConsoleConn *c, const char *old_name, const char *new_name);
void ukc_handle_camera_claim(Request *req);
void ukc_handle_camera_release(Request *req);
void ukc_handle_camera_handover(Request *req);
void ukc_handle_presence(Request *req);
void ukc_handle_plan_create(Request *req);
void ukc_handle_plan_cancel(Request *req);
void ukc_handle_plans_list(Request *req);
void ukc_handle_alerts_list(Request *req);

/* Live view (uk-console-live.c). */
void ukc_handle_live_start(Request *req);
void ukc_handle_live_stop(Request *req);
/* Ends the live views of viewers who may no longer see the camera's area
 * (authorisation revoked or expired, account disabled): live.ended. */
void ukc_live_check_viewers(UkConsole *console);
void ukc_live_conn_closed(UkConsoleConn *c);
void ukc_live_free(UkConsole *console);
/* Ends every live view of @camera, telling each viewer why (event live.ended). */
void ukc_live_end_camera(UkConsole *console, const char *camera, const char *reason);

/* Incident handlers (uk-console-incidents.c). */
void ukc_handle_incident_create(Request *req);
void ukc_handle_incident_amend(Request *req);
void ukc_handle_incident_status(Request *req);
void ukc_handle_incident_get(Request *req);
void ukc_handle_incidents_query(Request *req);
void ukc_handle_incidents_stats(Request *req);
void ukc_handle_incidents_export(Request *req);
void ukc_handle_incident_options(Request *req);
