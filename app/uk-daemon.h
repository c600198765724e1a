/* uk-daemon: `uitkijk serve`: wires the recorders (ingest) to the database
 * (events) on the one control GMainContext, and recovers after a crash. */
#pragma once

#include "uk-config.h"
#include "uk-store.h"

G_BEGIN_DECLS

typedef struct _UkDaemon UkDaemon;

/* Opens the database and recovers what a crash left behind. (transfer full) */
UkDaemon *uk_daemon_new(UkConfig *config, GError **error);

/* Starts the console server on @loop and every camera's recorder on the
 * thread-default main context. */
gboolean uk_daemon_start(UkDaemon *daemon, GMainLoop *loop, GError **error);

/* Stops the recorders, closing segments cleanly. */
void uk_daemon_stop(UkDaemon *daemon);

void uk_daemon_free(UkDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkDaemon, uk_daemon_free)

/* Crash recovery, also usable on its own: finishes deletions left in the
 * garbage table, indexes segments left 'writing' or without a row (truncating
 * a torn last fragment), removes empty ones, closes runs left open and opens
 * a gap for each. */
gboolean uk_recover(UkStore *store, const UkConfig *config, GError **error);

/* Runs `uitkijk serve` until SIGINT or SIGTERM. Returns the exit code. */
int uk_daemon_run(UkConfig *config);

G_END_DECLS
