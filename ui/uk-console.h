/* uk-console: the console protocol (docs/PROTOCOL.md): sessions, the
 * authorisation matrix and every message's handler.
 *
 * Independent of libwebsockets: a connection is a UkConsoleConn with a send
 * function, so the same code runs behind uk-server and in the fuzzer
 * (tests/fuzz-protocol.c). Control thread only; the only work done elsewhere
 * is argon2id password verification, on a GTask worker thread. */
#pragma once

#include "uk-accounts.h"
#include "uk-cameras.h"
#include "uk-config.h"
#include "uk-store.h"
#include "uk-writer.h"

G_BEGIN_DECLS

#define UK_PROTOCOL_VERSION 1

typedef struct _UkConsole UkConsole;
typedef struct _UkConsoleConn UkConsoleConn;

/* Sends one text message to the connection's peer. */
typedef void (*UkConsoleSendFunc)(gpointer sink, const char *text, gsize len);

/* @store, @config and @cameras must outlive the console. (transfer full) */
UkConsole *uk_console_new(UkStore *store, const UkConfig *config, UkCameraBoard *cameras);
void uk_console_free(UkConsole *console);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkConsole, uk_console_free)

/* Resolves @camera's wall-clock instant @t_90k to the recorded frame on
 * screen then: fills @frame_90k, @rel_path (transfer full) and @pts_90k.
 * Runs on the database writer thread, with its connection @store (it reads
 * the recordings index and segment files: no disk work on the control
 * thread), one call at a time. */
typedef gboolean (*UkConsoleLocateFunc)(UkStore *store, const char *camera, gint64 t_90k,
                                        gint64 *frame_90k, gchar **rel_path, gint64 *pts_90k,
                                        gpointer user_data);
void uk_console_set_locator(UkConsole *console, UkConsoleLocateFunc func, gpointer user_data);

/* Live view. The console asks for a camera's live stream with @func (on
 * when its first viewer comes, off when its last goes); the daemon delivers
 * the stream's pieces with uk_console_live_frame. */
typedef void (*UkConsoleLiveFunc)(const char *camera, gboolean on, gpointer user_data);
void uk_console_set_live_source(UkConsole *console, UkConsoleLiveFunc func, gpointer user_data);
/* One frame of @camera's live stream: @fragment (prft+moof+mdat), preceded
 * by @init (ftyp+moov) when the stream (re)starts. */
void uk_console_live_frame(UkConsole *console, const char *camera, GBytes *init, GBytes *fragment,
                           gboolean key, gint64 wall_90k);

/* Sends one binary message; FALSE when dropped (the peer reads too slowly). */
typedef gboolean (*UkConsoleSendBinaryFunc)(gpointer sink, const guint8 *data, gsize len,
                                            gboolean droppable);
void uk_console_conn_set_binary(UkConsoleConn *conn, UkConsoleSendBinaryFunc send_binary);

/* Durable writes (incidents) go through @writer (transfer full). */
void uk_console_set_writer(UkConsole *console, UkWriter *writer);

/* Starts the HTTP/websocket server on @loop as the config says. */
gboolean uk_console_listen(UkConsole *console, GMainLoop *loop, GError **error);
/* The port listened on (0 before uk_console_listen). */
guint16 uk_console_port(UkConsole *console);

/* A new connection; @session_cookie may authenticate it at once. Sends the
 * hello message. (transfer full) */
UkConsoleConn *uk_console_conn_new(UkConsole *console, UkConsoleSendFunc send, gpointer sink,
                                   const char *peer, const char *session_cookie);
/* Handles one complete text message. */
void uk_console_conn_message(UkConsoleConn *conn, const char *text, gsize len);
/* A message the transport refused (too large, binary). */
void uk_console_conn_refused(UkConsoleConn *conn, const char *code, gsize size);
/* The connection is gone: no more sends; frees it once pending work ends. */
void uk_console_conn_closed(UkConsoleConn *conn);

/* Pushes an event to every logged-in connection whose user may see @area
 * (NULL: everyone logged in). @event_json is a JSON object text. */
void uk_console_broadcast(UkConsole *console, const char *area, const char *event_json);

/* A camera's state changed (as on the board): alerts (uk-console-watch.c). */
void uk_console_camera_state(UkConsole *console, const char *camera, const char *state,
                             const char *reason);
/* Once a second: the plans in force, unwatched cameras, claims of operators
 * gone too long. */
void uk_console_tick(UkConsole *console);
/* Clip exports: @func exports approved request @request_id (on its own
 * threads) and reports with uk_console_clip_progress and, once every camera
 * is done (uk-clips.h rows updated), uk_console_clip_done. */
typedef void (*UkConsoleExportFunc)(gint64 request_id, gpointer user_data);
void uk_console_set_exporter(UkConsole *console, UkConsoleExportFunc func, gpointer user_data);
/* The file with the export signing key's public half (GET /files/export-key.pub). */
void uk_console_set_export_key(UkConsole *console, const char *public_key_path);
void uk_console_clip_progress(UkConsole *console, gint64 request_id, const char *camera,
                              double fraction);
void uk_console_clip_done(UkConsole *console, gint64 request_id);

/* The retention task's findings (app/uk-retention.h): alerts. */
void uk_console_disk_state(UkConsole *console, gboolean pressure, gboolean full, guint64 free_bytes,
                           guint64 need_bytes);

/* Metrics text for /metrics (Prometheus exposition format). */
void uk_console_metrics(UkConsole *console, GString *out);

/* Counters for metrics and tests. */
guint uk_console_connections(UkConsole *console);

G_END_DECLS
