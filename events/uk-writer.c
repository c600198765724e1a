/* uk-writer: the group-committing database writer thread. */
#include "uk-writer.h"

#include "uk-audit.h"
#include "uk-incidents.h"

typedef struct {
  UkWriteFunc write; /* NULL: the stop sentinel */
  UkWriteDoneFunc done;
  gpointer data;
  GError *error;
} Job;

struct _UkWriter {
  GThread *thread;
  GThread *checkpointer; /* moves the WAL into the database file (checkpoint_thread) */
  GMutex lock;           /* protects: stopping */
  GCond stop_cond;
  gboolean stopping;
  gchar *db_path;
  GAsyncQueue *jobs; /* (element-type Job) from any thread to the writer */
  GMainContext *context;
  UkStore *store; /* the writer thread's own connection; used only there */
  gsize commits;  /* atomic */
  gsize writes;   /* atomic */
  gint caught_up; /* atomic: checkpoints that copied a whole WAL of RESTART_FRAMES or more */
  gint restarted; /* the writer thread's: caught_up when it last finished one */
};

typedef struct {
  GPtrArray *jobs; /* (element-type Job) */
} Batch;

static gboolean
deliver(gpointer data)
{
  Batch *b = data;
  for (guint i = 0; i < b->jobs->len; i++) {
    Job *j = b->jobs->pdata[i];
    if (j->done)
      j->done(j->data, j->error);
  }
  return G_SOURCE_REMOVE;
}

static void
batch_free(Batch *b)
{
  for (guint i = 0; i < b->jobs->len; i++) {
    Job *j = b->jobs->pdata[i];
    g_clear_error(&j->error);
    g_free(j);
  }
  g_ptr_array_unref(b->jobs);
  g_free(b);
}

static void
run_batch(UkWriter *w, GPtrArray *jobs)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = uk_store_begin(w->store, &error);
  for (guint i = 0; ok && i < jobs->len; i++) {
    Job *j = jobs->pdata[i];
    if (!uk_store_savepoint(w->store, &error)) {
      ok = FALSE;
      break;
    }
    if (j->write(w->store, j->data, &j->error))
      uk_store_savepoint_release(w->store);
    else
      uk_store_savepoint_rollback(w->store);
  }
  if (ok)
    ok = uk_store_commit(w->store, &error);
  else
    uk_store_rollback(w->store);
  for (guint i = 0; i < jobs->len; i++) {
    Job *j = jobs->pdata[i];
    if (!ok && !j->error)
      j->error = g_error_copy(error);
  }
  g_atomic_pointer_add(&w->commits, 1);
  g_atomic_pointer_add(&w->writes, jobs->len);
}

/* Checkpoints every CHECKPOINT_MS on a connection of its own, PASSIVE:
 * it never blocks a commit, and no commit (the writer's, the control
 * thread's) has to do a checkpoint's fsyncs in its stead.
 *
 * Under a steady stream of commits that alone would let the WAL grow
 * without end: sqlite starts the WAL over only when a write transaction
 * begins while every frame in it has been copied, and by the time a
 * checkpoint ends, newer commits are always there. So when a checkpoint
 * has copied all it saw of a WAL of RESTART_FRAMES or more, the writer
 * thread, between two batches (no commit can come between), copies the few
 * frames committed since (catch_up): its next transaction then starts the
 * WAL from the beginning. The WAL stays at what CHECKPOINT_MS of writes
 * need, and commits overwrite blocks of a file that no longer grows, which
 * is cheaper to fsync. The catch-up holds the writer for a few milliseconds
 * (two fsyncs), so a small WAL is left alone: at a control room's rate the
 * WAL starts over by itself in the pauses. (Measured, 2000 incidents/s: a
 * WAL of up to 64 MiB gave a p99 twice that of a 0.5 s one; checkpoints
 * every 0.25 s the same as every 0.5 s, every 0.125 s worse.) */
#define CHECKPOINT_MS 500
#define RESTART_FRAMES 1024 /* 4 MiB of 4 KiB pages */

static gpointer
checkpoint_thread(gpointer data)
{
  UkWriter *w = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(UkStore) store = uk_store_open(w->db_path, &error);
  if (!store) {
    g_warning("checkpointer: %s", error->message);
    return NULL;
  }
  g_mutex_lock(&w->lock);
  while (!w->stopping) {
    gint64 until = g_get_monotonic_time() + CHECKPOINT_MS * 1000;
    if (g_cond_wait_until(&w->stop_cond, &w->lock, until))
      continue;
    g_mutex_unlock(&w->lock);
    gint frames = 0;
    if (uk_store_checkpoint(store, &frames) == 0 && frames >= RESTART_FRAMES)
      g_atomic_int_inc(&w->caught_up);
    g_mutex_lock(&w->lock);
  }
  g_mutex_unlock(&w->lock);
  uk_store_checkpoint(store, NULL);
  return NULL;
}

/* On the writer thread, between batches: see CHECKPOINT_MS. */
static void
catch_up(UkWriter *w)
{
  gint done = g_atomic_int_get(&w->caught_up);
  if (done == w->restarted)
    return;
  w->restarted = done;
  uk_store_checkpoint(w->store, NULL);
}

/* The full-text index is kept out of the acknowledged transactions: an
 * incident's commit only inserts its row, and the writer indexes new
 * incidents afterwards in larger chunks, which costs far less than one FTS
 * segment per commit. Searches see unindexed incidents meanwhile (uk_match),
 * so no result is missing. Indexing runs when the queue is idle and at least
 * INDEX_MIN incidents wait, after INDEX_IDLE_US without writes, or whenever
 * INDEX_FORCE wait (sustained load); INDEX_CHUNK at a time. Its commits are
 * synchronous=NORMAL (no fsync): after a crash it is simply redone. */
#define INDEX_MIN 64
#define INDEX_CHUNK 128
#define INDEX_FORCE 4096
#define INDEX_IDLE_US (50 * 1000)

/* Indexes up to INDEX_CHUNK incidents; returns how many (-1: failed, and
 * retried after the next incident). */
static gint64
index_some(UkWriter *w)
{
  g_autoptr(GError) error = NULL;
  gint64 n = -1;
  uk_store_set_synchronous(w->store, FALSE);
  if (uk_store_begin(w->store, &error)) {
    n = uk_store_incidents_index(w->store, INDEX_CHUNK, &error);
    if (n < 0 || !uk_store_commit(w->store, &error)) {
      uk_store_rollback(w->store);
      n = -1;
    }
  }
  uk_store_set_synchronous(w->store, TRUE);
  if (error)
    g_warning("full-text index: %s", error->message);
  return n;
}

/* Indexes every incident not in the index yet (left by a crash, or at stop). */
static void
index_all(UkWriter *w)
{
  while (index_some(w) == INDEX_CHUNK)
    ;
}

/* The next job: waits as long as needed, or indexes while it is idle. */
static Job *
next_job(UkWriter *w)
{
  for (;;) {
    gint64 pending = uk_store_incidents_unindexed(w->store);
    if (pending >= INDEX_FORCE)
      index_some(w);
    else if (pending == 0)
      return g_async_queue_pop(w->jobs);
    Job *j = g_async_queue_try_pop(w->jobs);
    if (j)
      return j;
    if (pending >= INDEX_MIN) {
      index_some(w);
      continue;
    }
    j = g_async_queue_timeout_pop(w->jobs, INDEX_IDLE_US);
    if (j)
      return j;
    index_some(w);
  }
}

static gpointer
writer_thread(gpointer data)
{
  UkWriter *w = data;
  gboolean stop = FALSE;
  index_all(w);
  while (!stop) {
    Batch *b = g_new0(Batch, 1);
    b->jobs = g_ptr_array_new();
    /* Wait for one write, then take every write queued meanwhile. */
    Job *j = next_job(w);
    do {
      if (!j->write) {
        stop = TRUE;
        g_free(j);
      } else {
        g_ptr_array_add(b->jobs, j);
      }
    } while (!stop && (j = g_async_queue_try_pop(w->jobs)));
    if (b->jobs->len) {
      run_batch(w, b->jobs);
      g_main_context_invoke_full(w->context, G_PRIORITY_DEFAULT, deliver, b,
                                 (GDestroyNotify)batch_free);
      catch_up(w);
    } else {
      batch_free(b);
    }
  }
  index_all(w);
  return NULL;
}

UkWriter *
uk_writer_new(const char *db_path, const char *audit_head, GMainContext *context, GError **error)
{
  UkStore *store = uk_store_open(db_path, error);
  if (!store)
    return NULL;
  if (audit_head)
    uk_store_audit_set_head_path(store, audit_head);
  UkWriter *w = g_new0(UkWriter, 1);
  w->store = store;
  uk_store_set_autocheckpoint(store, FALSE);
  w->db_path = g_strdup(db_path);
  g_mutex_init(&w->lock);
  g_cond_init(&w->stop_cond);
  w->checkpointer = g_thread_new("uk-checkpoint", checkpoint_thread, w);
  w->jobs = g_async_queue_new();
  w->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
  w->thread = g_thread_new("uk-writer", writer_thread, w);
  return w;
}

void
uk_writer_submit(UkWriter *w, UkWriteFunc write, UkWriteDoneFunc done, gpointer data)
{
  g_return_if_fail(write != NULL);
  Job *j = g_new0(Job, 1);
  j->write = write;
  j->done = done;
  j->data = data;
  g_async_queue_push(w->jobs, j);
}

guint64
uk_writer_commits(UkWriter *w)
{
  return g_atomic_pointer_get(&w->commits);
}

guint64
uk_writer_writes(UkWriter *w)
{
  return g_atomic_pointer_get(&w->writes);
}

void
uk_writer_free(UkWriter *w)
{
  if (!w)
    return;
  g_async_queue_push(w->jobs, g_new0(Job, 1)); /* the stop sentinel */
  g_thread_join(w->thread);
  g_mutex_lock(&w->lock);
  w->stopping = TRUE;
  g_cond_signal(&w->stop_cond);
  g_mutex_unlock(&w->lock);
  g_thread_join(w->checkpointer);
  g_mutex_clear(&w->lock);
  g_cond_clear(&w->stop_cond);
  g_free(w->db_path);
  g_async_queue_unref(w->jobs);
  uk_store_free(w->store);
  g_main_context_unref(w->context);
  g_free(w);
}
