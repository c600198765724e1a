/* uk-store: uitkijk's database (sqlite, WAL, synchronous=FULL).
 *
 * The only code that touches sqlite. Used from the control thread of the
 * daemon, or from a command-line process reading while the daemon runs.
 * The schema is events/schema.sql; it is reached by applying
 * events/migrations/NNNN-*.sql in order, forward only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UK_STORE_ERROR (uk_store_error_quark())
GQuark uk_store_error_quark(void);

typedef enum {
  UK_STORE_ERROR_SQLITE,  /* sqlite said no; message has its text */
  UK_STORE_ERROR_VERSION, /* the database is newer than this program */
  UK_STORE_ERROR_NOT_FOUND,
} UkStoreError;

typedef struct {
  gint64 id;
  gchar *camera;
  gint64 run_id;
  gchar *path; /* relative to [storage] path */
  gboolean complete;
  gint64 start_90k;
  gint64 end_90k; /* 0 while writing */
  gint64 media_duration_90k;
  gint64 frames;
  gint64 bytes;
  gchar *codec; /* "h264" / "h265" */
  gint width, height;
  GBytes *video_index; /* NULL while writing */
} UkRecordingRow;

void uk_recording_row_free(UkRecordingRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkRecordingRow, uk_recording_row_free)

typedef struct {
  gint64 id;
  gchar *camera;
  gint64 start_90k;
  gint64 end_90k; /* 0 while open */
  gchar *reason;
} UkGapRow;

void uk_gap_row_free(UkGapRow *row);

typedef struct _UkStore UkStore;

/* Opens (creating if needed) and migrates the database at @path. (transfer full) */
UkStore *uk_store_open(const char *path, GError **error);
/* Opens an existing database for reading only (command-line queries while the
 * daemon writes). Fails with G_FILE_ERROR_NOENT when there is none yet and
 * with UK_STORE_ERROR_VERSION when it needs a migration. (transfer full) */
UkStore *uk_store_open_readonly(const char *path, GError **error);
void uk_store_free(UkStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkStore, uk_store_free)

/* Number of migrations this program knows, and the database's version. */
gint uk_store_latest_version(void);
gint uk_store_version(UkStore *store);

/* Applies migrations 1..@version (for the schema test). */
gboolean uk_store_migrate_to(UkStore *store, gint version, GError **error);

/* Runs. */
gint64 uk_store_run_begin(UkStore *store, const char *camera, gint64 start_90k, GError **error);
gboolean uk_store_run_end(UkStore *store, gint64 run_id, gint64 end_90k, const char *reason,
                          GError **error);
/* The camera's latest run that started at or before @t_90k, or 0. */
gint64 uk_store_run_at(UkStore *store, const char *camera, gint64 t_90k, GError **error);
/* Ends every run still open (after a crash): end = its last recording's end. */
gboolean uk_store_runs_close_open(UkStore *store, const char *reason, GError **error);

/* Gaps: at most one open gap per camera. Opening when one is open does nothing. */
gboolean uk_store_gap_open(UkStore *store, const char *camera, gint64 start_90k, const char *reason,
                           GError **error);
gboolean uk_store_gap_close(UkStore *store, const char *camera, gint64 end_90k, GError **error);
/* The camera's last recorded instant (end of its latest recording), or 0. */
gint64 uk_store_camera_last_end(UkStore *store, const char *camera, GError **error);

/* Recordings. */
gint64 uk_store_recording_insert(UkStore *store, const UkRecordingRow *row, GError **error);
/* Sets end, duration, frames, bytes, index and state 'complete' for row->path. */
gboolean uk_store_recording_complete(UkStore *store, const UkRecordingRow *row, GError **error);
/* Removes the row for @path (a segment that held no frame). */
gboolean uk_store_recording_delete(UkStore *store, const char *path, GError **error);
gboolean uk_store_recording_exists(UkStore *store, const char *path, GError **error);

/* Recordings of @camera overlapping [@from_90k, @to_90k) (0 = unbounded), by
 * start; rows still being written count as reaching @now_90k.
 * (element-type UkRecordingRow) (transfer full) */
GPtrArray *uk_store_recordings(UkStore *store, const char *camera, gint64 from_90k, gint64 to_90k,
                               GError **error);
/* Every recording in state 'writing'. (transfer full) */
GPtrArray *uk_store_recordings_writing(UkStore *store, GError **error);
/* Gaps of @camera overlapping [@from_90k, @to_90k). (element-type UkGapRow) */
GPtrArray *uk_store_gaps(UkStore *store, const char *camera, gint64 from_90k, gint64 to_90k,
                         GError **error);

/* Garbage (files to unlink; see schema.sql). */
gboolean uk_store_garbage_add(UkStore *store, const char *path, const char *reason, GError **error);
gboolean uk_store_garbage_remove(UkStore *store, const char *path, GError **error);
GPtrArray *uk_store_garbage_list(UkStore *store, GError **error); /* (element-type utf8) */

/* Transactions (nestable by depth count). */
gboolean uk_store_begin(UkStore *store, GError **error);
gboolean uk_store_commit(UkStore *store, GError **error);
void uk_store_rollback(UkStore *store);

/* A savepoint inside a transaction: one unit of a group commit that can
 * fail alone. */
gboolean uk_store_savepoint(UkStore *store, GError **error);
void uk_store_savepoint_release(UkStore *store);
void uk_store_savepoint_rollback(UkStore *store);

/* Whether commits on this connection move the WAL into the database file
 * when it has grown (sqlite's default: on). The daemon turns it off on its
 * connections and checkpoints on a thread of its own (uk-writer.h), so that
 * no commit waits for a checkpoint's fsyncs. */
/* FULL (the default): each commit is durable when it returns. NORMAL (WAL):
 * a commit is durable with the next FULL commit or checkpoint; for work that
 * can be redone after a crash (the full-text index). */
void uk_store_set_synchronous(UkStore *store, gboolean full);
void uk_store_set_autocheckpoint(UkStore *store, gboolean on);
/* One PASSIVE checkpoint (never waits for readers or writers); the number of
 * WAL frames it could not move yet, or -1 on error. @wal_frames (optional):
 * the WAL's frames then, moved or not. */
gint uk_store_checkpoint(UkStore *store, gint *wal_frames);

/* sqlite's data_version: changes whenever another connection (a command-line
 * process) commits. Lets callers cache what only others change. */
gint64 uk_store_data_version(UkStore *store);

/* The raw connection, for the schema test only. (transfer none) */
gpointer uk_store_sqlite(UkStore *store);

G_END_DECLS
