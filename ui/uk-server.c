/* uk-server: the console's HTTP and websocket server on libwebsockets 4.1.
 *
 * lws joins the daemon's GMainLoop through its glib event-lib plugin
 * (LWS_SERVER_OPTION_GLIB with info.foreign_loops): there is no lws_service
 * loop here, lws's sockets and timers are GSources on the loop's context.
 *
 * One vhost, two protocols:
 *  - "uk-http" (protocols[0]): GET /healthz, GET /metrics and POST /login,
 *    mounted as LWSMPRO_CALLBACK; it also gets static-file misses (404) and
 *    vets every upgrade request (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE) so that a
 *    websocket with a wrong path, subprotocol or Origin fails with a status.
 *    POST /login is answered later: its body goes to http_login with a
 *    UkHttpRequest, the connection stops reading (rx flow control), and
 *    once uk_http_request_finish gave the answer it reads again and the
 *    answer goes out from LWS_CALLBACK_HTTP_WRITEABLE.
 *  - UK_SERVER_PROTOCOL: the websocket /ws. Its per-session data holds the
 *    UkClient, so a client pointer lives exactly as long as its connection.
 * The rest of the URL space is served from www_dir by lws (LWSMPRO_FILE).
 *
 * lws 4.1 quirks handled here (see the functions concerned):
 *  - with IPv6 built in, an IPv4 literal iface is bound as "::" (every
 *    address), so IPv4 listen addresses get LWS_SERVER_OPTION_DISABLE_IPV6;
 *  - the glib plugin does not re-arm its timer when a timeout is set from
 *    outside lws, so we nudge it with lws_cancel_service;
 *  - a refused websocket upgrade in FILTER_PROTOCOL_CONNECTION just hangs
 *    up, so the answer with a status happens in HTTP_CONFIRM_UPGRADE;
 *  - lws_http_cookie_get logs the cookie at notice level and matches names
 *    by suffix, so the cookie is parsed here;
 *  - the h1 server handles neither POLLIN nor POLLOUT of an rx
 *    flow-controlled connection (no HTTP_WRITEABLE, and the loop spins on
 *    the armed POLLOUT), so a waiting POST /login reads again before it
 *    asks for its writeable callback;
 *  - the canned security headers of
 *    LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE have a
 *    "default-src 'none'" policy without media-src or worker-src, which
 *    would block blob: video, so the vhost sends its own list instead.
 *
 * Everything here runs on the control thread (the thread running the loop):
 * lws is built with LWS_MAX_SMP 1 and all of its callbacks come from the
 * loop. */
#include "uk-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_MESSAGE 65536
#define DEFAULT_MAX_QUEUE_BYTES (4 * 1024 * 1024)
#define LOGIN_MAX_BODY (16 * 1024)
#define LOGIN_ANSWER_TIMEOUT_S 60 /* http_login's answer must come by then */
#define HEADER_SPACE 4096         /* response header bytes we may write */
#define CLOSE_GRACE_S 5           /* a close frame that cannot go out by then: hang up */
#define CLOSE_REASON_MAX 123      /* a close frame carries at most 125 bytes, 2 for the code */
#define RX_BUFFER_KEEP 16384      /* a receive buffer larger than this is freed after use */
#define CLOSE_TOO_SLOW 1008       /* policy violation */
#define TOO_SLOW_REASON "too slow: not reading"

GQuark
uk_server_error_quark(void)
{
  return g_quark_from_static_string("uk-server-error-quark");
}

typedef enum {
  RX_IDLE,      /* between messages */
  RX_TEXT,      /* collecting a text message */
  RX_TOO_LARGE, /* a text message over max_message: discarding the rest */
  RX_BINARY,    /* a binary message: discarding it */
} RxState;

/* One queued outgoing message, with the LWS_PRE headroom lws_write needs. */
typedef struct {
  gsize len;
  gboolean binary;
  guint8 buf[]; /* LWS_PRE + len */
} OutMsg;

struct _UkClient {
  /* Control thread: identity, set at LWS_CALLBACK_ESTABLISHED. */
  UkServer *server; /* NULL until established */
  struct lws *wsi;
  gpointer data; /* what client_open returned */
  gboolean open; /* client_open called, client_close not yet */
  GList link;    /* in server->clients while open */

  /* Control thread: the message being received. */
  RxState rx_state;
  guint8 *rx_buf;
  gsize rx_len, rx_cap, rx_total;

  /* Control thread: the send queue, drained in LWS_CALLBACK_SERVER_WRITEABLE. */
  GQueue queue; /* OutMsg */
  gsize queued; /* payload bytes in queue */

  /* Control thread: closing; the close frame goes out once the queue is empty. */
  gboolean closing;
  int close_code;
  char close_reason[CLOSE_REASON_MAX + 1];
  gsize close_reason_len;
};

/* The websocket protocol's per-session data: lws allocates it zeroed at the
 * upgrade and frees it after LWS_CALLBACK_CLOSED. */
typedef struct {
  UkClient client;
} WsSession;

/* The "uk-http" protocol's per-session data: one HTTP transaction (lws
 * zeroes it when it binds the protocol to a request and frees it when the
 * transaction ends). Control thread. */
typedef struct {
  int fd;                     /* GET /files/...: the file being sent, or 0 (none; see file_end) */
  guint64 file_pos, file_end; /* the bytes still to send: [file_pos, file_end) */
  gboolean login;             /* a POST /login whose body is coming */
  gboolean too_large;         /* that body went over LOGIN_MAX_BODY */
  GByteArray *body;
  UkHttpRequest *pending; /* the login handed to http_login, not answered yet */
} HttpSession;

/* A POST /login between LWS_CALLBACK_HTTP_BODY_COMPLETION and its answer.
 * Two owners: the connection (HttpSession.pending, until the answer is
 * written or the connection goes) and http_login's callee (until
 * uk_http_request_finish). Whichever lets go last frees it. Control thread. */
struct _UkHttpRequest {
  UkServer *server;  /* NULL once the connection is gone */
  struct lws *wsi;   /* NULL once the connection is gone */
  gboolean finished; /* uk_http_request_finish was called */
  /* The answer, set by uk_http_request_finish and written from
   * LWS_CALLBACK_HTTP_WRITEABLE. */
  guint status;
  gchar *body;
  gchar *set_cookie; /* NULL: none */
};

struct _UkServer {
  /* Control thread: configuration, fixed once uk_server_new returns. */
  UkServerCallbacks cb;
  gpointer user_data;
  gsize max_message;
  gsize max_queue_bytes;
  gboolean tls;
  gchar *host;         /* as given; NULL: every address */
  gchar *bind_address; /* what lws binds: an IP literal or an interface name */
  gchar *www_dir;
  gchar *tls_cert, *tls_key;
  GPtrArray *origins; /* allowed Origin values, lower case */
  guint16 port;

  /* Control thread: what lws keeps pointers to, so they live as long as the context. */
  struct lws_http_mount mount_www, mount_healthz, mount_metrics, mount_login, mount_files;

  /* Control thread: lws. */
  struct lws_context *context;
  struct lws_vhost *vhost;

  /* Control thread: live state. */
  GQueue clients;      /* UkClient that are open, through their link */
  guint in_lws;        /* depth of our lws callbacks on the stack */
  gboolean destroying; /* inside uk_server_free */
};

/* ---- constant tables (lws wants linked lists) ---- */

/* Sent with every HTTP response lws builds with lws_add_http_header_status
 * (files, errors, ours), not with the websocket 101. */
static const struct lws_protocol_vhost_options security_headers[] = {
  { &security_headers[1], NULL, "x-content-type-options:", "nosniff" },
  { &security_headers[2], NULL, "x-frame-options:", "DENY" },
  { &security_headers[3], NULL, "referrer-policy:", "no-referrer" },
  { &security_headers[4], NULL, "cross-origin-opener-policy:", "same-origin" },
  { NULL, NULL, "content-security-policy:",
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'" },
};

/* File types lws 4.1 does not know (it answers 415 for those). */
static const struct lws_protocol_vhost_options extra_mimetypes[] = {
  { &extra_mimetypes[1], NULL, ".mjs", "text/javascript" },
  { &extra_mimetypes[2], NULL, ".map", "application/json" },
  { &extra_mimetypes[3], NULL, ".wasm", "application/wasm" },
  { &extra_mimetypes[4], NULL, ".webmanifest", "application/manifest+json" },
  { &extra_mimetypes[5], NULL, ".webp", "image/webp" },
  { &extra_mimetypes[6], NULL, ".woff2", "font/woff2" },
  { &extra_mimetypes[7], NULL, ".woff", "font/woff" },
  { NULL, NULL, ".mp4", "video/mp4" },
};

/* Ping a websocket idle for 20 s, hang up one silent for 40 s. */
static const lws_retry_bo_t retry_policy = {
  .secs_since_valid_ping = 20,
  .secs_since_valid_hangup = 40,
};

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len);
static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

static const struct lws_protocols protocols[] = {
  { "uk-http", http_callback, sizeof(HttpSession), 0, 0, NULL, 0 },
  { UK_SERVER_PROTOCOL, ws_callback, sizeof(WsSession), 16384, 1, NULL, 65536 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- helpers ---- */

static UkServer *
server_of(struct lws *wsi)
{
  return lws_context_user(lws_get_context(wsi));
}

/* After asking lws for a timeout or a writeable callback from outside its
 * own callbacks: lws 4.1's glib plugin computes its next wake-up only after
 * servicing something, so wake it through its event pipe. */
static void
nudge_lws(UkServer *s)
{
  if (!s->in_lws && s->context)
    lws_cancel_service(s->context);
}

/* lws's log goes to GLib's, as messages: an lws "error" is often a client's
 * doing, and the ones that matter to us end up in a GError anyway. */
static void
log_to_glib(int level, const char *line)
{
  gsize n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    n--;
  g_log("uk-lws", level & LLL_ERR ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_DEBUG, "%.*s", (int)n, line);
}

/* A header's value, fragments joined as lws_hdr_copy does, or NULL. */
static gchar *
header_dup(struct lws *wsi, enum lws_token_indexes h)
{
  int n = lws_hdr_total_length(wsi, h);
  if (n <= 0)
    return NULL;
  gchar *s = g_malloc((gsize)n + 1);
  if (lws_hdr_copy(wsi, s, n + 1, h) < 0) {
    g_free(s);
    return NULL;
  }
  return s;
}

/* The value of cookie @name from the Cookie header(s), or NULL. Each Cookie
 * header is one fragment; every fragment is a "; "-separated list. */
static gchar *
cookie_get(struct lws *wsi, const char *name)
{
  gsize name_len = strlen(name);
  for (int frag = 0;; frag++) {
    int n = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_COOKIE, frag);
    if (n <= 0)
      return NULL;
    g_autofree gchar *buf = g_malloc((gsize)n + 1);
    if (lws_hdr_copy_fragment(wsi, buf, n + 1, WSI_TOKEN_HTTP_COOKIE, frag) < 0)
      return NULL;
    g_auto(GStrv) pairs = g_strsplit(buf, ";", -1);
    for (char **p = pairs; *p; p++) {
      char *pair = g_strstrip(*p);
      if (strncmp(pair, name, name_len) != 0 || pair[name_len] != '=')
        continue;
      char *value = g_strstrip(pair + name_len + 1);
      gsize vlen = strlen(value);
      if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
      }
      return *value ? g_strdup(value) : NULL;
    }
  }
}

/* The peer's address; "::ffff:a.b.c.d" is given as "a.b.c.d". */
static gchar *
peer_dup(struct lws *wsi)
{
  char buf[128] = "";
  if (!lws_get_peer_simple(wsi, buf, sizeof buf))
    return g_strdup("unknown");
  if (g_str_has_prefix(buf, "::ffff:") && strchr(buf + 7, '.'))
    return g_strdup(buf + 7);
  return g_strdup(buf);
}

static gboolean
origin_allowed(UkServer *s, const char *origin)
{
  for (guint i = 0; i < s->origins->len; i++)
    if (g_ascii_strcasecmp(origin, s->origins->pdata[i]) == 0)
      return TRUE;
  return FALSE;
}

/* No Origin header (not a browser) passes; one that is there must be ours. */
static gboolean
request_origin_ok(UkServer *s, struct lws *wsi)
{
  if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
    return TRUE;
  g_autofree gchar *origin = header_dup(wsi, WSI_TOKEN_ORIGIN);
  return origin && origin_allowed(s, origin);
}

static gboolean
path_is(struct lws *wsi, const char *path, int *method)
{
  char *uri = NULL;
  int len = 0;
  int m = lws_http_get_uri_and_method(wsi, &uri, &len);
  if (method)
    *method = m;
  return m >= 0 && uri && (gsize)len == strlen(path) && memcmp(uri, path, (gsize)len) == 0;
}

/* Whether Sec-WebSocket-Protocol lists ours. */
static gboolean
subprotocol_offered(struct lws *wsi)
{
  g_autofree gchar *list = header_dup(wsi, WSI_TOKEN_PROTOCOL);
  if (!list)
    return FALSE;
  g_auto(GStrv) names = g_strsplit(list, ",", -1);
  for (char **n = names; *n; n++)
    if (g_str_equal(g_strstrip(*n), UK_SERVER_PROTOCOL))
      return TRUE;
  return FALSE;
}

/* ---- HTTP ---- */

/* Writes a whole response in one go (lws buffers what the socket does not
 * take yet). Returns 0, or -1 when the connection must go. */
static int
http_write(struct lws *wsi, guint status, const char *content_type, const char *body, gsize len,
           const char *set_cookie, gboolean close)
{
  g_autofree guint8 *buf = g_malloc(LWS_PRE + HEADER_SPACE + len);
  guint8 *start = buf + LWS_PRE, *p = start, *end = start + HEADER_SPACE;

  if (lws_add_http_common_headers(wsi, status, content_type, len, &p, end)
      || lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                      (const unsigned char *)"no-store", 8, &p, end))
    return -1;
  if (set_cookie
      && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_SET_COOKIE,
                                      (const unsigned char *)set_cookie, (int)strlen(set_cookie),
                                      &p, end))
    return -1;
  if (close
      && lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5,
                                      &p, end))
    return -1;
  if (lws_finalize_http_header(wsi, &p, end))
    return -1;
  if (len)
    memcpy(p, body, len);
  p += len;
  int n = (int)(p - start);
  return lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP) == n ? 0 : -1;
}

/* Answers and ends the transaction (a body not read yet is discarded by
 * lws). Returns what the lws callback returns. */
static int
http_reply(struct lws *wsi, guint status, const char *content_type, const char *body,
           const char *set_cookie)
{
  if (http_write(wsi, status, content_type, body, strlen(body), set_cookie, FALSE))
    return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
http_json_error(struct lws *wsi, guint status, const char *code)
{
  g_autofree gchar *body = g_strdup_printf("{\"ok\":false,\"code\":\"%s\"}", code);
  return http_reply(wsi, status, "application/json", body, NULL);
}

static int
http_metrics(UkServer *s, struct lws *wsi)
{
  g_autoptr(GString) out = g_string_new(NULL);
  if (s->cb.metrics)
    s->cb.metrics(out, s->user_data);
  if (out->len && out->str[out->len - 1] != '\n')
    g_string_append_c(out, '\n');
  g_string_append_printf(out,
                         "# HELP uitkijk_console_clients Connected console websocket clients.\n"
                         "# TYPE uitkijk_console_clients gauge\n"
                         "uitkijk_console_clients %u\n",
                         s->clients.length);
  return http_reply(wsi, 200, "text/plain; version=0.0.4", out->str, NULL);
}

/* Cookie values go into a header: RFC 6265 cookie-octets only. */
static gboolean
cookie_value_ok(const char *v)
{
  if (!v || !*v || strlen(v) > 1024)
    return FALSE;
  for (const unsigned char *c = (const unsigned char *)v; *c; c++)
    if (*c < 0x21 || *c > 0x7e || *c == '"' || *c == ',' || *c == ';' || *c == '\\')
      return FALSE;
  return TRUE;
}

static void
http_request_free(UkHttpRequest *req)
{
  g_free(req->body);
  g_free(req->set_cookie);
  g_free(req);
}

/* The connection lets go of its pending login: written, or gone (closed,
 * timed out, the server freed). An unanswered request stays with the
 * callee, who frees it in uk_http_request_finish. */
static void
http_request_detach(HttpSession *hs)
{
  UkHttpRequest *req = g_steal_pointer(&hs->pending);
  if (!req)
    return;
  if (req->finished) {
    http_request_free(req);
    return;
  }
  req->server = NULL;
  req->wsi = NULL;
}

/* LWS_CALLBACK_HTTP_BODY_COMPLETION of a POST /login: hands the body to
 * http_login, which answers with uk_http_request_finish, now or later; the
 * answer goes out from LWS_CALLBACK_HTTP_WRITEABLE. */
static int
login_begin(UkServer *s, struct lws *wsi, HttpSession *hs)
{
  if (hs->too_large)
    return http_json_error(wsi, 413, "too_large");

  g_autoptr(GByteArray) body = g_steal_pointer(&hs->body);
  if (!body)
    body = g_byte_array_new();
  gsize len = body->len;
  g_byte_array_append(body, (const guint8 *)"", 1); /* NUL-terminated for the callback */
  g_autofree gchar *peer = peer_dup(wsi);

  UkHttpRequest *req = g_new0(UkHttpRequest, 1);
  req->server = s;
  req->wsi = wsi;
  hs->pending = req;
  /* Read nothing more until the answer is there: more bytes (a pipelined
   * request) would come back as body completions, over and over while lws
   * keeps them buffered. uk_http_request_finish reads on again. */
  lws_rx_flow_control(wsi, 0);
  /* a callee that never answers does not hold the connection for ever */
  lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, LOGIN_ANSWER_TIMEOUT_S);
  /* it may answer before it returns: then lws calls back writeable */
  s->cb.http_login(req, (const char *)body->data, len, peer, s->user_data);
  return 0;
}

/* LWS_CALLBACK_HTTP_WRITEABLE: the login's answer, once it is there. */
static int
login_write(struct lws *wsi, HttpSession *hs)
{
  UkHttpRequest *req = hs->pending;
  if (!req->finished || !req->body)
    return 0; /* not answered yet: a writeable callback lws wanted for itself */
  hs->pending = NULL;
  int r = http_write(wsi, req->status, "application/json", req->body, strlen(req->body),
                     req->set_cookie, FALSE);
  http_request_free(req);
  if (r)
    return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

gboolean
uk_http_request_connected(UkHttpRequest *req)
{
  g_return_val_if_fail(req != NULL, FALSE);
  return req->wsi != NULL && req->server && !req->server->destroying;
}

void
uk_http_request_finish(UkHttpRequest *req, guint status, const char *json_body,
                       const char *session_token, gint64 max_age_s)
{
  g_return_if_fail(req != NULL);
  g_return_if_fail(!req->finished);
  req->finished = TRUE;
  UkServer *s = req->server;
  if (!s || s->destroying) {
    /* the connection is gone (or going): nobody to answer */
    if (!req->wsi)
      http_request_free(req);
    return;
  }

  if (session_token && !cookie_value_ok(session_token)) {
    g_warning("uk-server: login token is not a valid cookie value");
    session_token = NULL;
    status = 500;
    json_body = "{\"ok\":false,\"code\":\"internal\"}";
  }
  if (session_token) {
    GString *cookie = g_string_new(NULL);
    g_string_printf(cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict", UK_SERVER_COOKIE,
                    session_token);
    if (max_age_s > 0)
      g_string_append_printf(cookie, "; Max-Age=%" G_GINT64_FORMAT, max_age_s);
    if (s->tls)
      g_string_append(cookie, "; Secure");
    req->set_cookie = g_string_free(cookie, FALSE);
    req->status = status ? status : 200;
    req->body = g_strdup(json_body ? json_body : "{\"ok\":true}");
  } else {
    req->status = status >= 400 && status <= 599 ? status : 500;
    req->body = g_strdup(json_body ? json_body : "{\"ok\":false}");
  }
  /* lws 4.1's h1 server gives no HTTP_WRITEABLE to a connection that is
   * rx flow-controlled (it returns early from its POLLIN/POLLOUT handler
   * and the armed POLLOUT spins the loop), so reading resumes now */
  lws_rx_flow_control(req->wsi, 1);
  lws_callback_on_writable(req->wsi);
  nudge_lws(s);
}

static int file_request(UkServer *s, struct lws *wsi, HttpSession *hs, int method);

/* LWS_CALLBACK_HTTP: our three endpoints, and the static files' misses. */
static int
http_request(UkServer *s, struct lws *wsi, HttpSession *hs)
{
  int method = -1;
  if (path_is(wsi, "/healthz", &method)) {
    if (method != LWSHUMETH_GET)
      return http_json_error(wsi, 405, "method_not_allowed");
    return http_reply(wsi, 200, "application/json", "{\"status\":\"ok\"}", NULL);
  }
  if (path_is(wsi, "/metrics", &method)) {
    if (method != LWSHUMETH_GET)
      return http_json_error(wsi, 405, "method_not_allowed");
    return http_metrics(s, wsi);
  }
  if (path_is(wsi, "/login", &method) && s->cb.http_login) {
    if (method != LWSHUMETH_POST)
      return http_json_error(wsi, 405, "method_not_allowed");
    if (!request_origin_ok(s, wsi))
      return http_json_error(wsi, 403, "bad_origin");
    g_autofree gchar *clen = header_dup(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (!clen) {
      /* lws 4.1 would wait for 100 MB of a body without a length */
      const char *body = "{\"ok\":false,\"code\":\"length_required\"}";
      http_write(wsi, 411, "application/json", body, strlen(body), NULL, TRUE);
      return -1;
    }
    guint64 declared = g_ascii_strtoull(clen, NULL, 10);
    if (declared > LOGIN_MAX_BODY)
      return http_json_error(wsi, 413, "too_large");
    hs->login = TRUE;
    hs->body = g_byte_array_sized_new((guint)declared);
    return 0; /* the body comes in LWS_CALLBACK_HTTP_BODY */
  }
  char *uri = NULL;
  int ulen = 0;
  method = lws_http_get_uri_and_method(wsi, &uri, &ulen);
  if (uri && ulen > 7 && strncmp(uri, "/files/", 7) == 0)
    return file_request(s, wsi, hs, method);
  if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
    return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- GET /files/...: files with byte ranges ----
 *
 * Debian's libwebsockets 4.1 serves files without Range support, which a
 * video element needs to seek, so these are ours: one range (the first of
 * the header's), 206 with Content-Range; a range past the end is 416; sent
 * FILE_CHUNK bytes per HTTP_WRITEABLE. */

#define FILE_CHUNK (64 * 1024)

/* Parses "bytes=A-B", "bytes=A-", "bytes=-N" for a file of @size bytes into
 * [*from, *to). FALSE when unsatisfiable; TRUE with the whole file when
 * there is no header or it is not a byte range we read. */
static gboolean
parse_range(const char *header, guint64 size, guint64 *from, guint64 *to, gboolean *partial)
{
  *from = 0;
  *to = size;
  *partial = FALSE;
  if (!header || !g_str_has_prefix(header, "bytes="))
    return TRUE;
  const char *p = header + 6;
  char *e;
  if (*p == '-') {
    guint64 n = g_ascii_strtoull(p + 1, &e, 10);
    if (e == p + 1 || n == 0)
      return FALSE;
    *from = n >= size ? 0 : size - n;
  } else {
    guint64 a = g_ascii_strtoull(p, &e, 10);
    if (e == p || *e != '-')
      return TRUE;
    *from = a;
    p = e + 1;
    if (g_ascii_isdigit(*p)) {
      guint64 b = g_ascii_strtoull(p, &e, 10);
      if (b < a)
        return TRUE; /* malformed: the whole file */
      *to = MIN(b + 1, size);
    }
  }
  if (*from >= size)
    return FALSE;
  *partial = TRUE;
  return TRUE;
}

static int
file_request(UkServer *s, struct lws *wsi, HttpSession *hs, int method)
{
  if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD)
    return http_json_error(wsi, 405, "method_not_allowed");
  char *uri = NULL;
  int len = 0;
  if (lws_http_get_uri_and_method(wsi, &uri, &len) < 0 || !uri || len < 7)
    return http_json_error(wsi, 404, "not_found");
  g_autofree gchar *path = g_strndup(uri + 7, (gsize)len - 7); /* after "/files/" */
  g_autofree gchar *cookie = cookie_get(wsi, UK_SERVER_COOKIE);
  const char *ctype = "application/octet-stream";
  g_autofree gchar *abs
      = s->cb.http_file ? s->cb.http_file(path, cookie, &ctype, s->user_data) : NULL;
  int fd = abs ? open(abs, O_RDONLY | O_CLOEXEC) : -1;
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0)
      close(fd);
    return http_json_error(wsi, 404, "not_found");
  }
  g_autofree gchar *range = header_dup(wsi, WSI_TOKEN_HTTP_RANGE);
  guint64 size = (guint64)st.st_size, from, to;
  gboolean partial;
  guint8 buf[LWS_PRE + HEADER_SPACE];
  guint8 *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
  if (!parse_range(range, size, &from, &to, &partial)) {
    close(fd);
    g_autofree gchar *cr = g_strdup_printf("bytes */%" G_GUINT64_FORMAT, size);
    if (lws_add_http_common_headers(wsi, 416, ctype, 0, &p, end)
        || lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_RANGE,
                                        (const unsigned char *)cr, (int)strlen(cr), &p, end)
        || lws_finalize_write_http_header(wsi, start, &p, end))
      return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  if (lws_add_http_common_headers(wsi, partial ? 206 : 200, ctype, to - from, &p, end)
      || lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ACCEPT_RANGES,
                                      (const unsigned char *)"bytes", 5, &p, end)
      || lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                      (const unsigned char *)"private, no-store", 17, &p, end)) {
    close(fd);
    return -1;
  }
  if (partial) {
    g_autofree gchar *cr = g_strdup_printf(
        "bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, from, to - 1, size);
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_RANGE, (const unsigned char *)cr,
                                     (int)strlen(cr), &p, end)) {
      close(fd);
      return -1;
    }
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end)) {
    close(fd);
    return -1;
  }
  if (method == LWSHUMETH_HEAD || from == to) {
    close(fd);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  hs->fd = fd;
  hs->file_pos = from;
  hs->file_end = to;
  lws_callback_on_writable(wsi);
  return 0;
}

/* LWS_CALLBACK_HTTP_WRITEABLE of a file: the next chunk. */
static int
file_write(struct lws *wsi, HttpSession *hs)
{
  guint8 buf[LWS_PRE + FILE_CHUNK];
  gsize want = (gsize)MIN((guint64)FILE_CHUNK, hs->file_end - hs->file_pos);
  ssize_t n = pread(hs->fd, buf + LWS_PRE, want, (off_t)hs->file_pos);
  if (n <= 0)
    return -1; /* the file shrank (retention): the client sees a short body */
  hs->file_pos += (guint64)n;
  gboolean last = hs->file_pos >= hs->file_end;
  if (lws_write(wsi, buf + LWS_PRE, (size_t)n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
      != (int)n)
    return -1;
  if (!last) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  close(hs->fd);
  hs->fd = 0;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Answers a refused upgrade. lws_add_http_header_status would say
 * "HTTP/1.0" here (lws 4.1 learns the request's version only in
 * lws_http_action, which an upgrade skips) and strict websocket clients
 * take that for no HTTP response at all, so the status line is ours. */
static int
upgrade_refuse(struct lws *wsi, guint status, const char *code)
{
  const char *phrase = status == 400 ? "Bad Request" : status == 404 ? "Not Found" : "Forbidden";
  g_autofree gchar *body = g_strdup_printf("{\"ok\":false,\"code\":\"%s\"}", code);
  g_autofree gchar *line = g_strdup_printf("HTTP/1.1 %u %s\r\n", status, phrase);
  g_autofree gchar *clen = g_strdup_printf("%zu", strlen(body));
  guint8 buf[LWS_PRE + HEADER_SPACE];
  guint8 *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 256;

  memcpy(p, line, strlen(line));
  p += strlen(line);
  for (const struct lws_protocol_vhost_options *h = security_headers; h; h = h->next)
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)h->name,
                                    (const unsigned char *)h->value, (int)strlen(h->value), &p,
                                    end))
      return -1;
  if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                   (const unsigned char *)"application/json", 16, &p, end)
      || lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                      (const unsigned char *)clen, (int)strlen(clen), &p, end)
      || lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5,
                                      &p, end)
      || lws_finalize_http_header(wsi, &p, end))
    return -1;
  memcpy(p, body, strlen(body));
  p += strlen(body);
  int n = (int)(p - start);
  if (lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP) != n)
    return -1;
  return 1; /* lws ends the transaction, and with "connection: close" the connection */
}

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE, on protocols[0] before any upgrade:
 * only a websocket at /ws with our subprotocol and an allowed Origin. A
 * refusal answers with a status rather than just hanging up. */
static int
confirm_upgrade(UkServer *s, struct lws *wsi, const char *upgrade)
{
  int method = -1;
  if (!upgrade || g_ascii_strcasecmp(upgrade, "websocket") != 0)
    return upgrade_refuse(wsi, 403, "bad_upgrade"); /* h2c and the like */
  if (!path_is(wsi, "/ws", &method) || method != LWSHUMETH_GET)
    return upgrade_refuse(wsi, 404, "not_found");
  if (!subprotocol_offered(wsi))
    return upgrade_refuse(wsi, 400, "bad_subprotocol");
  if (!request_origin_ok(s, wsi))
    return upgrade_refuse(wsi, 403, "bad_origin");
  return 0;
}

static void
http_session_clear(HttpSession *hs)
{
  if (hs->fd > 0)
    close(hs->fd);
  hs->fd = 0;
  http_request_detach(hs);
  if (hs->body)
    g_byte_array_unref(g_steal_pointer(&hs->body));
  hs->login = FALSE;
}

static int
http_callback_inner(UkServer *s, struct lws *wsi, enum lws_callback_reasons reason, HttpSession *hs,
                    void *in, size_t len)
{
  switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return confirm_upgrade(s, wsi, in);

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      /* a websocket without our subprotocol lands on protocols[0] */
      return -1;

    case LWS_CALLBACK_HTTP:
      if (!hs)
        return -1;
      http_session_clear(hs);
      return http_request(s, wsi, hs);

    case LWS_CALLBACK_HTTP_BODY:
      if (!hs || !hs->login || hs->too_large)
        return 0;
      if (hs->body && hs->body->len + len > LOGIN_MAX_BODY) {
        hs->too_large = TRUE; /* more than Content-Length said: answered at completion */
        g_clear_pointer(&hs->body, g_byte_array_unref);
        return 0;
      }
      if (hs->body && len)
        g_byte_array_append(hs->body, in, (guint)len);
      return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (hs && hs->pending)
        return 0; /* answered from HTTP_WRITEABLE; not lws's transaction end */
      if (hs && hs->login) {
        hs->login = FALSE;
        return login_begin(s, wsi, hs);
      }
      break;

    case LWS_CALLBACK_HTTP_WRITEABLE:
      if (hs && hs->pending)
        return login_write(wsi, hs);
      if (hs && hs->fd > 0)
        return file_write(wsi, hs);
      break;

    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      if (hs)
        http_session_clear(hs);
      break;

    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, hs, in, len);
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  UkServer *s = server_of(wsi);
  if (!s)
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  s->in_lws++;
  int r = http_callback_inner(s, wsi, reason, user, in, len);
  s->in_lws--;
  return r;
}

/* ---- websocket ---- */

static void
queue_clear(UkClient *c)
{
  OutMsg *m;
  while ((m = g_queue_pop_head(&c->queue)))
    g_free(m);
  c->queued = 0;
}

static void
client_begin_close(UkClient *c, int code, const char *reason, gboolean drop_queue)
{
  if (c->closing)
    return;
  c->closing = TRUE;
  c->close_code = code;
  gsize n = reason ? strlen(reason) : 0;
  if (n > CLOSE_REASON_MAX) {
    n = CLOSE_REASON_MAX;
    while (n && ((guchar)reason[n] & 0xc0) == 0x80) /* not inside a UTF-8 sequence */
      n--;
  }
  if (n)
    memcpy(c->close_reason, reason, n);
  c->close_reason[n] = '\0';
  c->close_reason_len = n;
  if (drop_queue)
    queue_clear(c);
  /* a peer that does not read never lets the close frame out */
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, CLOSE_GRACE_S);
  lws_callback_on_writable(c->wsi);
  nudge_lws(c->server);
}

static gboolean
client_queue(UkClient *c, const void *data, gsize len, gboolean binary, gboolean droppable)
{
  g_return_val_if_fail(c != NULL, FALSE);
  if (!c->open || c->closing || c->server->destroying)
    return FALSE;
  /* Droppable messages (live video) may fill only half the queue: the rest
   * stays free for replies and events, so a viewer that falls behind loses
   * frames (to the next keyframe) instead of its connection. */
  gsize limit = droppable ? c->server->max_queue_bytes / 2 : c->server->max_queue_bytes;
  if (len > limit || c->queued + len > limit) {
    if (!droppable) {
      client_begin_close(c, CLOSE_TOO_SLOW, TOO_SLOW_REASON, TRUE);
      /* and stop reading what it keeps sending while the close waits */
      lws_rx_flow_control(c->wsi, 0);
    }
    return FALSE;
  }
  OutMsg *m = g_malloc(sizeof(OutMsg) + LWS_PRE + len);
  m->len = len;
  m->binary = binary;
  if (len)
    memcpy(m->buf + LWS_PRE, data, len);
  g_queue_push_tail(&c->queue, m);
  c->queued += len;
  lws_callback_on_writable(c->wsi);
  return TRUE;
}

gboolean
uk_client_send(UkClient *client, const char *text, gsize len)
{
  return client_queue(client, text, len, FALSE, FALSE);
}

gboolean
uk_client_send_binary(UkClient *client, const guint8 *data, gsize len, gboolean droppable)
{
  return client_queue(client, data, len, TRUE, droppable);
}

void
uk_client_close(UkClient *client, int code, const char *reason)
{
  g_return_if_fail(client != NULL);
  if (!client->open || client->server->destroying)
    return;
  client_begin_close(client, code, reason, FALSE);
}

gsize
uk_client_queued(UkClient *client)
{
  g_return_val_if_fail(client != NULL, 0);
  return client->queued;
}

/* The connection is gone (LWS_CALLBACK_CLOSED or the protocol's drop,
 * whichever lws calls first): tell the owner once, free what is ours. */
static void
client_finish(UkClient *c)
{
  UkServer *s = c->server;
  if (!s)
    return; /* never established */
  if (c->open) {
    c->open = FALSE;
    g_queue_unlink(&s->clients, &c->link);
    if (s->cb.client_close)
      s->cb.client_close(c, c->data, s->user_data);
    c->data = NULL;
  }
  queue_clear(c);
  g_clear_pointer(&c->rx_buf, g_free);
  c->rx_len = c->rx_cap = 0;
}

static void
client_established(UkServer *s, struct lws *wsi, UkClient *c)
{
  memset(c, 0, sizeof *c);
  c->server = s;
  c->wsi = wsi;
  c->link.data = c;
  g_queue_init(&c->queue);
  g_autofree gchar *cookie = cookie_get(wsi, UK_SERVER_COOKIE);
  g_autofree gchar *peer = peer_dup(wsi);
  c->open = TRUE;
  g_queue_push_tail_link(&s->clients, &c->link);
  if (s->cb.client_open)
    c->data = s->cb.client_open(c, cookie, peer, s->user_data);
}

static void
client_refused(UkServer *s, UkClient *c, const char *code, gsize size)
{
  if (s->cb.client_refused)
    s->cb.client_refused(c, c->data, code, size, s->user_data);
}

/* LWS_CALLBACK_RECEIVE: one piece of a message (lws splits frames at its
 * rx buffer and messages into frames). */
static void
client_receive(UkServer *s, struct lws *wsi, UkClient *c, const guint8 *in, gsize len)
{
  if (c->rx_state == RX_IDLE) {
    c->rx_state = lws_frame_is_binary(wsi) ? RX_BINARY : RX_TEXT;
    c->rx_len = c->rx_total = 0;
  }
  c->rx_total += len;
  if (c->rx_state == RX_TEXT) {
    if (c->rx_len + len > s->max_message) {
      c->rx_state = RX_TOO_LARGE;
      g_clear_pointer(&c->rx_buf, g_free);
      c->rx_len = c->rx_cap = 0;
    } else if (len) {
      if (c->rx_len + len + 1 > c->rx_cap) {
        gsize cap = MAX(c->rx_cap * 2, 4096);
        cap = MAX(cap, c->rx_len + len + 1);
        cap = MIN(cap, s->max_message + 1);
        c->rx_buf = g_realloc(c->rx_buf, cap);
        c->rx_cap = cap;
      }
      memcpy(c->rx_buf + c->rx_len, in, len);
      c->rx_len += len;
    }
  }
  if (!lws_is_final_fragment(wsi))
    return;

  RxState state = c->rx_state;
  c->rx_state = RX_IDLE;
  if (!c->open || c->closing) {
    c->rx_len = 0;
    return; /* we are closing it: nobody wants more */
  }
  switch (state) {
    case RX_TEXT:
      if (!c->rx_buf) {
        c->rx_buf = g_malloc(1);
        c->rx_cap = 1;
      }
      c->rx_buf[c->rx_len] = '\0';
      if (s->cb.client_message)
        s->cb.client_message(c, c->data, (const char *)c->rx_buf, c->rx_len, s->user_data);
      /* client_message may have closed it, but not freed it: lws has not called back yet */
      c->rx_len = 0;
      if (c->rx_cap > RX_BUFFER_KEEP) {
        g_clear_pointer(&c->rx_buf, g_free);
        c->rx_cap = 0;
      }
      break;
    case RX_TOO_LARGE:
      client_refused(s, c, "message_too_large", c->rx_total);
      break;
    case RX_BINARY:
      client_refused(s, c, "binary_not_allowed", c->rx_total);
      break;
    case RX_IDLE:
      break;
  }
}

/* LWS_CALLBACK_SERVER_WRITEABLE: queued messages while the socket takes
 * them without blocking (at most WRITE_BURST at a time, for fairness), then
 * the close frame once the queue is empty. */
#define WRITE_BURST 64
static int
client_writeable(struct lws *wsi, UkClient *c)
{
  if (!c->server)
    return 0;
  for (int burst = 0; burst < WRITE_BURST; burst++) {
    OutMsg *m = g_queue_pop_head(&c->queue);
    if (!m) {
      if (!c->closing)
        return 0;
      lws_close_reason(wsi, (enum lws_close_status)c->close_code, (unsigned char *)c->close_reason,
                       c->close_reason_len);
      return -1;
    }
    c->queued -= m->len;
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    gboolean ok = n >= 0 && (gsize)n >= m->len;
    g_free(m);
    if (!ok)
      return -1;
    if (lws_send_pipe_choked(wsi))
      break;
  }
  if (c->queue.length || c->closing)
    lws_callback_on_writable(wsi);
  return 0;
}

static int
ws_callback_inner(UkServer *s, struct lws *wsi, enum lws_callback_reasons reason, WsSession *ws,
                  void *in, size_t len)
{
  switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      /* checked with a status in HTTP_CONFIRM_UPGRADE already; again here,
       * since an upgrade that skips that (ws over h2) would come here only */
      if (!path_is(wsi, "/ws", NULL) || !request_origin_ok(s, wsi))
        return -1;
      return 0;

    case LWS_CALLBACK_ESTABLISHED:
      if (!ws || s->destroying)
        return -1;
      client_established(s, wsi, &ws->client);
      return 0;

    case LWS_CALLBACK_RECEIVE:
      if (ws && ws->client.server)
        client_receive(s, wsi, &ws->client, in, len);
      return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
      return ws ? client_writeable(wsi, &ws->client) : 0;

    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WS_SERVER_DROP_PROTOCOL:
      if (ws)
        client_finish(&ws->client);
      return 0;

    default:
      return 0;
  }
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  UkServer *s = server_of(wsi);
  if (!s)
    return 0;
  s->in_lws++;
  int r = ws_callback_inner(s, wsi, reason, user, in, len);
  s->in_lws--;
  return r;
}

/* ---- the server ---- */

/* What lws should bind for @host: lws 4.1 takes an IP literal or an
 * interface name (it does not resolve names), so a host name is resolved
 * here. Sets *ipv4 when that is an IPv4 address. */
static gchar *
bind_address(const char *host, gboolean *ipv4)
{
  struct in_addr a4;
  struct in6_addr a6;
  *ipv4 = FALSE;
  if (!host || !*host)
    return NULL;
  if (inet_pton(AF_INET, host, &a4) == 1) {
    *ipv4 = TRUE;
    return g_strdup(host);
  }
  if (inet_pton(AF_INET6, host, &a6) == 1)
    return g_strdup(host);

  struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
  struct addrinfo *res = NULL;
  if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
    return g_strdup(host); /* an interface name, maybe: lws will say */
  char buf[INET6_ADDRSTRLEN] = "";
  if (res->ai_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, buf, sizeof buf);
    *ipv4 = TRUE;
  } else if (res->ai_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, buf, sizeof buf);
  }
  freeaddrinfo(res);
  return g_strdup(*buf ? buf : host);
}

/* After a failed lws_create_vhost: whether @port is taken on @address. */
static gboolean
port_in_use(const char *address, gboolean ipv4, guint16 port)
{
  if (!port)
    return FALSE;
  struct sockaddr_storage ss = { 0 };
  socklen_t slen;
  int family = ipv4 ? AF_INET : AF_INET6;
  if (ipv4) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    if (!address || inet_pton(AF_INET, address, &sin->sin_addr) != 1)
      sin->sin_addr.s_addr = htonl(INADDR_ANY);
    slen = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    if (!address || inet_pton(AF_INET6, address, &sin6->sin6_addr) != 1)
      sin6->sin6_addr = in6addr_any;
    slen = sizeof *sin6;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  gboolean busy = bind(fd, (struct sockaddr *)&ss, slen) < 0 && errno == EADDRINUSE;
  close(fd);
  return busy;
}

static void
origins_add(GPtrArray *origins, const char *scheme, const char *host, guint16 port)
{
  gboolean v6 = strchr(host, ':') != NULL;
  g_autofree gchar *origin
      = g_strdup_printf("%s://%s%s%s:%u", scheme, v6 ? "[" : "", host, v6 ? "]" : "", port);
  g_ptr_array_add(origins, g_ascii_strdown(origin, -1));
  /* browsers leave a default port out */
  if ((port == 80 && g_str_equal(scheme, "http"))
      || (port == 443 && g_str_equal(scheme, "https"))) {
    *strrchr(origin, ':') = '\0';
    g_ptr_array_add(origins, g_ascii_strdown(origin, -1));
  }
}

static void
origins_init(UkServer *s, const char *const *extra)
{
  const char *scheme = s->tls ? "https" : "http";
  s->origins = g_ptr_array_new_with_free_func(g_free);
  if (s->host && *s->host)
    origins_add(s->origins, scheme, s->host, s->port);
  origins_add(s->origins, scheme, "localhost", s->port);
  origins_add(s->origins, scheme, "127.0.0.1", s->port);
  origins_add(s->origins, scheme, "::1", s->port);
  for (const char *const *o = extra; o && *o; o++) {
    g_autofree gchar *v = g_strstrip(g_strdup(*o));
    gsize n = strlen(v);
    while (n && v[n - 1] == '/') /* "https://x/" means "https://x" */
      v[--n] = '\0';
    if (n)
      g_ptr_array_add(s->origins, g_ascii_strdown(v, -1));
  }
}

UkServer *
uk_server_new(const UkServerOptions *options, const UkServerCallbacks *callbacks,
              gpointer user_data, GError **error)
{
  g_return_val_if_fail(options != NULL && options->loop != NULL, NULL);
  g_return_val_if_fail(callbacks != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  if (!options->tls_cert != !options->tls_key) {
    g_set_error(error, UK_SERVER_ERROR, UK_SERVER_ERROR_TLS,
                "TLS needs both a certificate and a key file");
    return NULL;
  }
  for (const char *const *f = (const char *const[]){ options->tls_cert, options->tls_key, NULL };
       *f; f++)
    if (access(*f, R_OK) != 0) {
      int e = errno;
      g_set_error(error, UK_SERVER_ERROR, UK_SERVER_ERROR_TLS, "TLS file %s: %s", *f,
                  g_strerror(e));
      return NULL;
    }

  g_autoptr(UkServer) s = g_new0(UkServer, 1);
  s->cb = *callbacks;
  s->user_data = user_data;
  s->max_message = options->max_message ? options->max_message : DEFAULT_MAX_MESSAGE;
  s->max_queue_bytes
      = options->max_queue_bytes ? options->max_queue_bytes : DEFAULT_MAX_QUEUE_BYTES;
  s->tls = options->tls_cert != NULL;
  s->host = g_strdup(options->host);
  s->www_dir = g_strdup(options->www_dir);
  s->tls_cert = g_strdup(options->tls_cert);
  s->tls_key = g_strdup(options->tls_key);
  g_queue_init(&s->clients);
  gboolean ipv4 = FALSE;
  s->bind_address = bind_address(options->host, &ipv4);

  lws_set_log_level(LLL_ERR | LLL_WARN, log_to_glib);

  /* The context: no listener of its own, lws on our loop. */
  void *foreign_loops[1] = { options->loop };
  struct lws_context_creation_info info = { 0 };
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_GLIB
                 | LWS_SERVER_OPTION_VALIDATE_UTF8;
  if (s->tls)
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.foreign_loops = foreign_loops;
  info.user = s;
  info.retry_and_idle_policy = &retry_policy;
  info.alpn = "http/1.1"; /* no h2: websockets and bodies stay h1 */
  info.server_string = "uitkijk";
  info.max_http_header_data = 8192; /* a browser's cookies for localhost add up */
  s->context = lws_create_context(&info);
  if (!s->context) {
    g_set_error(error, UK_SERVER_ERROR, UK_SERVER_ERROR_FAILED,
                "libwebsockets: cannot create a context on the GLib loop "
                "(is libwebsockets-evlib-glib installed?)");
    return NULL;
  }

  /* The URL space: our endpoints, then the files. */
  s->mount_healthz = (struct lws_http_mount){
    .mount_next = &s->mount_metrics,
    .mountpoint = "/healthz",
    .origin = protocols[0].name,
    .origin_protocol = LWSMPRO_CALLBACK,
    .mountpoint_len = 8,
  };
  s->mount_metrics = s->mount_healthz;
  s->mount_metrics.mount_next = &s->mount_login;
  s->mount_metrics.mountpoint = "/metrics";
  s->mount_login = s->mount_healthz;
  s->mount_login.mount_next = &s->mount_files;
  s->mount_files = s->mount_healthz;
  s->mount_files.mount_next = s->www_dir ? &s->mount_www : NULL;
  s->mount_files.mountpoint = "/files";
  s->mount_files.mountpoint_len = 6;
  s->mount_login.mountpoint = "/login";
  s->mount_login.mountpoint_len = 6;
  s->mount_www = (struct lws_http_mount){
    .mountpoint = "/",
    .origin = s->www_dir,
    .def = "index.html",
    .extra_mimetypes = extra_mimetypes,
    .origin_protocol = LWSMPRO_FILE,
    .mountpoint_len = 1,
  };

  struct lws_context_creation_info vinfo = { 0 };
  vinfo.vhost_name = "uitkijk";
  vinfo.port = options->port;
  vinfo.iface = s->bind_address;
  vinfo.protocols = protocols;
  vinfo.mounts = &s->mount_healthz;
  vinfo.headers = security_headers;
  vinfo.retry_and_idle_policy = &retry_policy;
  vinfo.alpn = "http/1.1";
  vinfo.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | LWS_SERVER_OPTION_VALIDATE_UTF8;
  if (ipv4) /* lws 4.1 binds an IPv4 literal on an IPv6 socket as "::" */
    vinfo.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  if (s->tls) {
    vinfo.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    vinfo.ssl_cert_filepath = s->tls_cert;
    vinfo.ssl_private_key_filepath = s->tls_key;
  }
  s->vhost = lws_create_vhost(s->context, &vinfo);
  if (!s->vhost || lws_get_vhost_listen_port(s->vhost) <= 0) {
    const char *where = s->host && *s->host ? s->host : "*";
    if (port_in_use(s->bind_address, ipv4, options->port))
      g_set_error(error, UK_SERVER_ERROR, UK_SERVER_ERROR_ADDRESS_IN_USE,
                  "cannot listen on %s port %u: address in use", where, options->port);
    else if (s->tls)
      g_set_error(error, UK_SERVER_ERROR, UK_SERVER_ERROR_TLS,
                  "cannot listen on %s port %u with TLS certificate %s and key %s "
                  "(bad certificate or key, or address)",
                  where, options->port, s->tls_cert, s->tls_key);
    else
      g_set_error(error, UK_SERVER_ERROR, UK_SERVER_ERROR_LISTEN, "cannot listen on %s port %u",
                  where, options->port);
    return NULL;
  }
  s->port = (guint16)lws_get_vhost_listen_port(s->vhost);
  origins_init(s, options->origins);
  return g_steal_pointer(&s);
}

guint16
uk_server_port(UkServer *server)
{
  g_return_val_if_fail(server != NULL, 0);
  return server->port;
}

guint
uk_server_client_count(UkServer *server)
{
  g_return_val_if_fail(server != NULL, 0);
  return server->clients.length;
}

void
uk_server_free(UkServer *server)
{
  if (!server)
    return;
  /* lws cannot destroy its context from inside its own callbacks */
  g_return_if_fail(server->in_lws == 0);
  server->destroying = TRUE;
  /* Closes every connection (client_close for each open client) and drops
   * lws's GSources from the loop; the loop itself is the caller's. */
  if (server->context)
    lws_context_destroy(server->context);
  server->context = NULL;
  /* lws called back LWS_CALLBACK_CLOSED for every connection it had (their
   * memory is gone now, so there is nothing left to do for any) */
  if (server->clients.length)
    g_critical("uk-server: %u clients not closed by lws_context_destroy", server->clients.length);
  if (server->origins)
    g_ptr_array_unref(server->origins);
  g_free(server->host);
  g_free(server->bind_address);
  g_free(server->www_dir);
  g_free(server->tls_cert);
  g_free(server->tls_key);
  g_free(server);
}
