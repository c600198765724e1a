/* uk-writer: the database writer thread, for writes acknowledged only once
 * durable (incidents).
 *
 * A commit with synchronous=FULL waits for the disk (an fsync, milliseconds).
 * The writer does that waiting on its own thread and its own connection, so
 * the control thread (websockets, live video) never blocks on it, and every
 * write submitted while a commit is in progress joins the next one: group
 * commit that grows with the load. Each write runs in its own savepoint, so a
 * failing write fails alone. Completions are delivered on the control
 * context, in submission order, after the commit that made them durable. */
#pragma once

#include "uk-store.h"

G_BEGIN_DECLS

/* Runs on the writer thread inside the batch's transaction. */
typedef gboolean (*UkWriteFunc)(UkStore *store, gpointer data, GError **error);
/* Runs on the control context once the write is durable (@error NULL) or
 * has failed. */
typedef void (*UkWriteDoneFunc)(gpointer data, const GError *error);

typedef struct _UkWriter UkWriter;

/* Opens its own connection to @db_path (already migrated), and a second one
 * on a thread that checkpoints the WAL every 0.5 s (PASSIVE); the writer's
 * connection does not checkpoint itself, and callers should turn off
 * uk_store_set_autocheckpoint on theirs too. @audit_head: see
 * uk_store_audit_set_head_path. Completions go to @context (NULL: the
 * thread-default context). (transfer full) */
UkWriter *uk_writer_new(const char *db_path, const char *audit_head, GMainContext *context,
                        GError **error);

/* Queues a write. @data belongs to the caller until @done has run; @write
 * must touch nothing that the control thread uses meanwhile. */
void uk_writer_submit(UkWriter *writer, UkWriteFunc write, UkWriteDoneFunc done, gpointer data);

/* Commits so far, and writes in them: their ratio is the group commit's size. */
guint64 uk_writer_commits(UkWriter *writer);
guint64 uk_writer_writes(UkWriter *writer);

/* Finishes every queued write (completions are delivered if the context runs
 * later; they are not lost), then stops the thread. */
void uk_writer_free(UkWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkWriter, uk_writer_free)

G_END_DECLS
