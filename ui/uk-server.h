/* uk-server: the console's HTTP and websocket server (libwebsockets on the
 * daemon's GLib main loop).
 *
 * Serves the console's static files at /, GET /healthz, GET /metrics
 * (Prometheus text from a callback), POST /login (sets an HttpOnly,
 * SameSite=Strict session cookie) and the websocket /ws with subprotocol
 * "uitkijk.v1". It knows nothing of the protocol's meaning: complete text
 * messages go to callbacks, and callbacks queue replies with uk_client_send.
 * POST /login is answered asynchronously: http_login gets a request handle
 * and answers it with uk_http_request_finish when it is ready (say, after a
 * password check on a worker thread), so the loop never waits for it.
 *
 * Every client has a bounded send queue; lws writes only from
 * LWS_CALLBACK_SERVER_WRITEABLE. A client whose queue is full loses droppable
 * (binary video) messages; a control message that does not fit closes it
 * ("too slow"), so a client that never reads cannot grow server memory.
 *
 * All functions and callbacks run on the control thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UK_SERVER_PROTOCOL "uitkijk.v1"
#define UK_SERVER_COOKIE "uk_session"

/* uk_server_new's errors. */
#define UK_SERVER_ERROR (uk_server_error_quark())
GQuark uk_server_error_quark(void);
typedef enum {
  UK_SERVER_ERROR_FAILED,         /* lws could not start (e.g. no glib event-lib plugin) */
  UK_SERVER_ERROR_LISTEN,         /* cannot listen on that address */
  UK_SERVER_ERROR_ADDRESS_IN_USE, /* something else listens on that port */
  UK_SERVER_ERROR_TLS,            /* TLS certificate or key missing, unreadable or bad */
} UkServerError;

typedef struct _UkServer UkServer;
typedef struct _UkClient UkClient;           /* one websocket connection */
typedef struct _UkHttpRequest UkHttpRequest; /* a POST /login waiting for its answer */

typedef struct {
  /* A websocket client connected (origin checked). @session_cookie is the
   * value of the uk_session cookie, or NULL. Returns the client's data. */
  gpointer (*client_open)(UkClient *client, const char *session_cookie, const char *peer,
                          gpointer user_data);
  /* One complete text message of at most max_message bytes (not
   * NUL-terminated by the sender; @text is NUL-terminated here). */
  void (*client_message)(UkClient *client, gpointer client_data, const char *text, gsize len,
                         gpointer user_data);
  /* A message was refused before it reached client_message: @code is
   * "message_too_large" or "binary_not_allowed"; the connection stays open. */
  void (*client_refused)(UkClient *client, gpointer client_data, const char *code, gsize size,
                         gpointer user_data);
  /* The connection is gone; free @client_data. */
  void (*client_close)(UkClient *client, gpointer client_data, gpointer user_data);
  /* POST /login: @body is the request body (JSON {"user","password"} or a
   * form), NUL-terminated; @body and @peer are valid during the call only.
   * The callee answers with uk_http_request_finish, exactly once, before it
   * returns or later (the connection waits, reading nothing more). */
  void (*http_login)(UkHttpRequest *req, const char *body, gsize len, const char *peer,
                     gpointer user_data);
  /* GET /metrics: appends Prometheus text exposition to @out. */
  void (*metrics)(GString *out, gpointer user_data);
  /* GET or HEAD /files/@path: the absolute path of the file to serve (with
   * byte ranges: Range requests are answered 206), and its *@content_type
   * (a static string), or NULL for 404. @session_cookie: the uk_session
   * cookie or NULL. (transfer full) */
  gchar *(*http_file)(const char *path, const char *session_cookie, const char **content_type,
                      gpointer user_data);
} UkServerCallbacks;

typedef struct {
  GMainLoop *loop;      /* the daemon's loop, which lws joins (required) */
  const char *host;     /* listen address, e.g. "127.0.0.1" or "::1" */
  guint16 port;         /* 0: any free port (see uk_server_port) */
  const char *www_dir;  /* static files served at / (index.html) */
  const char *tls_cert; /* PEM files: both or neither */
  const char *tls_key;
  const char *const *origins; /* extra allowed Origin values (NULL-terminated) */
  gsize max_message;          /* bytes; default 65536 */
  gsize max_queue_bytes;      /* per client; default 4 MiB */
} UkServerOptions;

/* Starts listening on options->loop. (transfer full) */
UkServer *uk_server_new(const UkServerOptions *options, const UkServerCallbacks *callbacks,
                        gpointer user_data, GError **error);
guint16 uk_server_port(UkServer *server);
guint uk_server_client_count(UkServer *server);
/* Closes every connection (client_close is called for each before it
 * returns; peers see the TCP connection drop, no close frame) and removes
 * lws's sources from the loop, which stays the caller's. Not from inside a
 * server callback. */
void uk_server_free(UkServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkServer, uk_server_free)

/* Queues a text message (copied). FALSE when it did not fit: the client is
 * then being closed as too slow. */
gboolean uk_client_send(UkClient *client, const char *text, gsize len);

/* Queues a binary message (copied). When @droppable and the queue is full,
 * the message is dropped and FALSE returned; the client stays open. */
gboolean uk_client_send_binary(UkClient *client, const guint8 *data, gsize len, gboolean droppable);

/* Closes the connection with a websocket close @code and @reason. */
void uk_client_close(UkClient *client, int code, const char *reason);

/* Bytes waiting in the client's queue. */
gsize uk_client_queued(UkClient *client);

/* Answers a POST /login handed to http_login, and frees @req: the JSON
 * @json_body with @status and, when @session_token is not NULL, the
 * HttpOnly, SameSite=Strict session cookie (Secure under TLS) valid
 * @max_age_s (0: a browser session); @session_token NULL is a failure with
 * @status 400 to 599 (another: 500). A NULL @json_body is {"ok":true} or
 * {"ok":false}. When the connection went away meanwhile (closed by the peer,
 * timed out, or uk_server_free), this only frees @req. */
void uk_http_request_finish(UkHttpRequest *req, guint status, const char *json_body,
                            const char *session_token, gint64 max_age_s);
/* Whether @req's connection is still there to answer (it may still go
 * before the answer is written). */
gboolean uk_http_request_connected(UkHttpRequest *req);

G_END_DECLS
