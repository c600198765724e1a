/* uk-daemon: the recording daemon's glue and crash recovery. */
#include "uk-daemon.h"

#include "uk-exports.h"
#include "uk-retention.h"
#include "uk-rules.h"

#include "uk-audit.h"
#include "uk-cameras.h"
#include "uk-cli.h"
#include "uk-console.h"
#include "uk-fmp4.h"
#include "uk-incidents.h"
#include "uk-locate.h"
#include "uk-recorder.h"
#include "uk-segment.h"
#include "uk-time.h"
#include "uk-windows.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define CRASH_REASON "uitkijk stopped unexpectedly (crash or power loss)"

struct _UkDaemon {
  UkConfig *config; /* (not owned) */
  UkStore *store;
  GPtrArray *recorders; /* (element-type UkRecorder) */
  GHashTable
      *runs; /* camera id -> current run id (gint64 in a pointer-sized box); writer thread only */
  UkCameraBoard *board; /* camera statuses for the console */
  UkConsole *console;
  GSource *health_source;
  GSource *retention_source;
  UkLocateCache *locate_cache; /* incident positions; the writer thread's (daemon_locate) */
  gchar *test_clock_file;      /* UITKIJK_TEST_CLOCK_FILE: tests move the rules' clock */
  gint64 clock_offset_90k;     /* as last read from it */
  gboolean disk_full;          /* only held footage left and below min_free: not recording */
  UkExports *exports;          /* police clip exports */
  UkWriter *writer;            /* the console's database writer (not owned) */
};

/* How often retention runs: the law says at least daily; every few seconds
 * keeps the disk-pressure reaction quick and costs one indexed query. */
#define RETENTION_TICK_S 5

/* The clock the rules run on (designations, retention, live-watch windows):
 * the wall clock, plus an offset in whole seconds that only tests set,
 * through the file named by $UITKIJK_TEST_CLOCK_FILE (read at every tick;
 * its use is logged and audited at start). Recording times always come
 * from the real clock. */
static gint64
rules_now(UkDaemon *d)
{
  if (d->test_clock_file) {
    g_autofree gchar *text = NULL;
    if (g_file_get_contents(d->test_clock_file, &text, NULL, NULL))
      d->clock_offset_90k = g_ascii_strtoll(g_strstrip(text), NULL, 10) * UK_TIME_HZ;
  }
  return uk_time_now_90k() + d->clock_offset_90k;
}

/* Path of @abs relative to the storage folder; NULL if it is not inside it. */
static const char *
relative_path(const UkConfig *config, const char *abs)
{
  gsize n = strlen(config->storage_path);
  if (strncmp(abs, config->storage_path, n) != 0 || abs[n] != '/')
    return NULL;
  return abs + n + 1;
}

static void
complete_row_from_frames(UkRecordingRow *row, const GArray *frames, gsize init_size, guint64 bytes)
{
  const UkFrame *first = &g_array_index(frames, UkFrame, 0);
  const UkFrame *last = &g_array_index(frames, UkFrame, frames->len - 1);
  row->start_90k = first->wall_90k;
  row->end_90k = last->wall_90k + MAX(last->duration_90k, 1);
  row->media_duration_90k = last->dts_90k + last->duration_90k - first->dts_90k;
  row->frames = frames->len;
  row->bytes = bytes;
  g_clear_pointer(&row->video_index, g_bytes_unref);
  row->video_index = uk_frame_index_encode((const UkFrame *)frames->data, frames->len, init_size);
}

/* Reads a segment file left by a crash; truncates a torn tail. (transfer full) */
static UkFmp4Contents *
salvage(const char *abs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(abs, &error);
  if (!c) {
    g_message("recovery: %s", error->message);
    return NULL;
  }
  if (c->frames->len == 0)
    return NULL;
  if (c->valid_size < c->file_size) {
    int fd = open(abs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, c->valid_size) != 0 || fdatasync(fd) != 0)
      g_warning("recovery: cannot truncate %s: %s", abs, g_strerror(errno));
    if (fd >= 0)
      close(fd);
    g_message("recovery: %s: cut a torn fragment (%" G_GUINT64_FORMAT " bytes)", abs,
              c->file_size - c->valid_size);
  }
  return g_steal_pointer(&c);
}

static gboolean
recover_writing_rows(UkStore *store, const UkConfig *config, GError **error)
{
  g_autoptr(GPtrArray) rows = uk_store_recordings_writing(store, error);
  if (!rows)
    return FALSE;
  for (guint i = 0; i < rows->len; i++) {
    UkRecordingRow *row = rows->pdata[i];
    g_autofree gchar *abs = g_build_filename(config->storage_path, row->path, NULL);
    g_autoptr(UkFmp4Contents) c = salvage(abs);
    if (!c) {
      if (!uk_store_recording_delete(store, row->path, error))
        return FALSE;
      uk_unlink_durably(abs);
      continue;
    }
    complete_row_from_frames(row, c->frames, c->init_size, c->valid_size);
    if (!uk_store_recording_complete(store, row, error))
      return FALSE;
    g_message("recovery: indexed %s (%u frames)", row->path, c->frames->len);
  }
  return TRUE;
}

/* A segment file with no row: its row was never written (crash right after
 * the file was created). Index it from the file, or remove it. */
static gboolean
recover_orphan(UkStore *store, const char *camera, const char *abs, const char *rel, GError **error)
{
  if (uk_store_recording_exists(store, rel, NULL))
    return TRUE;
  g_autoptr(UkFmp4Contents) c = salvage(abs);
  if (!c) {
    g_message("recovery: removing empty segment %s", rel);
    uk_unlink_durably(abs);
    return TRUE;
  }
  UkRecordingRow row = { 0 };
  row.camera = (gchar *)camera;
  row.path = (gchar *)rel;
  row.codec = (gchar *)uk_codec_name(c->track.codec);
  row.width = c->track.width;
  row.height = c->track.height;
  complete_row_from_frames(&row, c->frames, c->init_size, c->valid_size);
  row.run_id = uk_store_run_at(store, camera, row.start_90k, NULL);
  if (!row.run_id)
    row.run_id = uk_store_run_begin(store, camera, row.start_90k, error);
  gboolean ok = row.run_id && uk_store_recording_insert(store, &row, error)
                && uk_store_recording_complete(store, &row, error);
  g_clear_pointer(&row.video_index, g_bytes_unref);
  if (ok)
    g_message("recovery: indexed orphan %s (%u frames)", rel, c->frames->len);
  return ok;
}

static gboolean
recover_orphans(UkStore *store, const UkConfig *config, GError **error)
{
  for (guint i = 0; i < config->cameras->len; i++) {
    const UkCameraConfig *cam = config->cameras->pdata[i];
    g_autofree gchar *cam_dir = g_build_filename(config->storage_path, cam->id, NULL);
    g_autoptr(GDir) days = g_dir_open(cam_dir, 0, NULL);
    if (!days)
      continue;
    const char *day;
    while ((day = g_dir_read_name(days))) {
      g_autofree gchar *day_dir = g_build_filename(cam_dir, day, NULL);
      g_autoptr(GDir) files = g_dir_open(day_dir, 0, NULL);
      if (!files)
        continue;
      const char *name;
      while ((name = g_dir_read_name(files))) {
        if (!g_str_has_suffix(name, ".mp4"))
          continue;
        g_autofree gchar *abs = g_build_filename(day_dir, name, NULL);
        if (!recover_orphan(store, cam->id, abs, relative_path(config, abs), error))
          return FALSE;
      }
    }
  }
  return TRUE;
}

gboolean
uk_recover(UkStore *store, const UkConfig *config, GError **error)
{
  /* Deletions first: their rows are gone already. */
  g_autoptr(GPtrArray) garbage = uk_store_garbage_list(store, error);
  if (!garbage)
    return FALSE;
  for (guint i = 0; i < garbage->len; i++) {
    g_autofree gchar *abs = g_build_filename(config->storage_path, garbage->pdata[i], NULL);
    uk_unlink_durably(abs);
    if (!uk_store_garbage_remove(store, garbage->pdata[i], error))
      return FALSE;
  }
  if (!uk_store_begin(store, error))
    return FALSE;
  if (!recover_writing_rows(store, config, error) || !recover_orphans(store, config, error)
      || !uk_store_runs_close_open(store, CRASH_REASON, error)) {
    uk_store_rollback(store);
    return FALSE;
  }
  /* A camera whose last run ended without a clean stop has no open gap yet. */
  for (guint i = 0; i < config->cameras->len; i++) {
    const UkCameraConfig *cam = config->cameras->pdata[i];
    gint64 last = uk_store_camera_last_end(store, cam->id, NULL);
    if (last > 0 && !uk_store_gap_open(store, cam->id, last, CRASH_REASON, error)) {
      uk_store_rollback(store);
      return FALSE;
    }
  }
  return uk_store_commit(store, error);
}

/* ---- events from the recorders (control context) ----
 *
 * The index rows they make (runs, segments, gaps) are written on the
 * database writer thread (uk-writer.h), in event order, in its group
 * commits: no commit, and no fsync, on the control thread for them. The
 * segment file itself is on disk before its row is (the recorder syncs it
 * before it reports), and start-up recovery rebuilds rows from files. */

typedef struct {
  UkDaemon *d; /* d->runs is touched on the writer thread only */
  UkRecorderEventType type;
  gchar *camera;
  gchar *path; /* absolute */
  gchar *rel;  /* relative to the storage folder */
  gint64 start_90k, end_90k, media_duration_90k;
  gint64 frames, bytes;
  GBytes *index;
  const char *codec;
  gint width, height;
  gboolean had_run;
  gchar *reason;
} IndexJob;

static void
index_job_free(IndexJob *j)
{
  g_free(j->camera);
  g_free(j->path);
  g_free(j->rel);
  g_clear_pointer(&j->index, g_bytes_unref);
  g_free(j->reason);
  g_free(j);
}

static gint64
current_run(UkDaemon *d, const char *camera)
{
  gint64 *id = g_hash_table_lookup(d->runs, camera);
  return id ? *id : 0;
}

/* Writer thread. */
static gboolean
index_apply(UkStore *store, gpointer data, GError **error)
{
  IndexJob *j = data;
  UkDaemon *d = j->d;
  switch (j->type) {
    case UK_RECORDER_RUN_START: {
      gint64 *id = g_new(gint64, 1);
      if (!uk_store_gap_close(store, j->camera, j->start_90k, error)
          || (*id = uk_store_run_begin(store, j->camera, j->start_90k, error)) == 0) {
        g_free(id);
        return FALSE;
      }
      g_hash_table_insert(d->runs, g_strdup(j->camera), id);
      return TRUE;
    }
    case UK_RECORDER_SEGMENT_OPEN: {
      UkRecordingRow row = { .camera = j->camera,
                             .run_id = current_run(d, j->camera),
                             .path = j->rel,
                             .start_90k = j->start_90k,
                             .codec = (gchar *)j->codec,
                             .width = j->width,
                             .height = j->height };
      if (!row.run_id) {
        g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no run for %s", j->rel);
        return FALSE;
      }
      return uk_store_recording_insert(store, &row, error) != 0;
    }
    case UK_RECORDER_SEGMENT_CLOSE: {
      if (j->frames == 0) {
        if (!uk_store_recording_delete(store, j->rel, error))
          return FALSE;
        uk_unlink_durably(j->path);
        return TRUE;
      }
      UkRecordingRow row = { .path = j->rel,
                             .start_90k = j->start_90k,
                             .end_90k = j->end_90k,
                             .media_duration_90k = j->media_duration_90k,
                             .frames = j->frames,
                             .bytes = j->bytes,
                             .video_index = j->index };
      return uk_store_recording_complete(store, &row, error);
    }
    case UK_RECORDER_RUN_END: {
      gint64 run = current_run(d, j->camera);
      gint64 start = j->end_90k;
      if (!j->had_run) {
        gint64 last = uk_store_camera_last_end(store, j->camera, NULL);
        start = last > 0 ? last : j->end_90k;
      }
      g_hash_table_remove(d->runs, j->camera);
      return (!j->had_run || !run || uk_store_run_end(store, run, j->end_90k, j->reason, error))
             && uk_store_gap_open(store, j->camera, start, j->reason, error);
    }
    default:
      return TRUE;
  }
}

/* Control thread. */
static void
index_done(gpointer data, const GError *error)
{
  IndexJob *j = data;
  if (error)
    g_warning("%s: cannot store event: %s", j->camera, error->message);
  index_job_free(j);
}

static void
on_recorder_event(const UkRecorderEvent *ev, gpointer data)
{
  UkDaemon *d = data;
  switch (ev->type) {
    case UK_RECORDER_LIVE:
      uk_console_live_frame(d->console, ev->camera, ev->live_init, ev->live_fragment, ev->key,
                            ev->start_90k);
      return;
    case UK_RECORDER_ERROR:
      g_warning("%s: %s", ev->camera, ev->reason);
      return;
    case UK_RECORDER_RUN_START:
      g_message("%s: recording", ev->camera);
      break;
    case UK_RECORDER_RUN_END:
      g_message("%s: down: %s", ev->camera, ev->reason);
      break;
    default:
      break;
  }
  const char *rel = ev->path ? relative_path(d->config, ev->path) : NULL;
  if (ev->path && !rel) {
    g_warning("%s: %s is outside the storage folder", ev->camera, ev->path);
    return;
  }
  IndexJob *j = g_new0(IndexJob, 1);
  j->d = d;
  j->type = ev->type;
  j->camera = g_strdup(ev->camera);
  j->path = g_strdup(ev->path);
  j->rel = g_strdup(rel);
  j->start_90k = ev->start_90k;
  j->end_90k = ev->end_90k;
  j->media_duration_90k = ev->media_duration_90k;
  j->frames = ev->frames;
  j->bytes = ev->bytes;
  j->index = ev->index ? g_bytes_ref(ev->index) : NULL;
  j->codec = uk_codec_name(ev->codec);
  j->width = ev->width;
  j->height = ev->height;
  j->had_run = ev->had_run;
  j->reason = g_strdup(ev->reason);
  uk_writer_submit(d->writer, index_apply, index_done, j);
}

/* The console turns a camera's live stream on while anyone watches it. */
static void
daemon_set_live(const char *camera, gboolean on, gpointer data)
{
  UkDaemon *d = data;
  for (guint i = 0; i < d->recorders->len; i++)
    if (g_str_equal(uk_recorder_camera(d->recorders->pdata[i]), camera))
      uk_recorder_set_live(d->recorders->pdata[i], on);
}

/* The console's locator: incidents store the recorded frame they refer to. */
static gboolean
daemon_locate(UkStore *store, const char *camera, gint64 t_90k, gint64 *frame_90k, gchar **rel_path,
              gint64 *pts_90k, gpointer data)
{
  UkDaemon *d = data;
  UkLocated at;
  /* On the writer thread: locate_cache is used only here. */
  if (!uk_locate(store, d->config, d->locate_cache, camera, t_90k, &at, NULL, NULL))
    return FALSE;
  *frame_90k = at.frame_90k;
  *rel_path = g_steal_pointer(&at.rel_path);
  *pts_90k = at.pts_90k;
  uk_located_clear(&at);
  return TRUE;
}

/* Designations and risk areas declared in the config file enter the
 * database (audited); one changed over the console since keeps that
 * version (the console's change is the later decision). */
static gboolean
sync_designations(UkStore *store, const UkConfig *config, GError **error)
{
  for (guint i = 0; i < config->designations->len; i++) {
    const UkDesignationConfig *c = config->designations->pdata[i];
    g_autoptr(UkDesignation) had = uk_store_designation_get(store, c->id, NULL);
    if (had && g_strcmp0(had->source, "config") != 0)
      continue;
    g_autoptr(UkDesignation) d = g_new0(UkDesignation, 1);
    d->id = g_strdup(c->id);
    d->area = g_strdup(c->area);
    d->kind = g_strdup(c->kind == UK_DESIGNATION_EVENT ? "event" : "standing");
    d->decision = g_strdup(c->decision);
    d->decided_by = g_strdup(c->decided_by);
    d->valid_from_90k = c->valid_from_90k;
    d->valid_until_90k = c->valid_until_90k;
    d->live_watch = g_strdup(c->live_watch_text);
    d->dpia = g_strdup(c->dpia);
    d->signage = c->signage;
    d->source = g_strdup("config");
    d->changed_by = g_strdup("config");
    gboolean same
        = had && g_strcmp0(had->area, d->area) == 0 && g_strcmp0(had->kind, d->kind) == 0
          && g_strcmp0(had->decision, d->decision) == 0
          && g_strcmp0(had->decided_by, d->decided_by) == 0
          && had->valid_from_90k == d->valid_from_90k && had->valid_until_90k == d->valid_until_90k
          && g_strcmp0(had->live_watch, d->live_watch) == 0 && g_strcmp0(had->dpia, d->dpia) == 0
          && had->signage == d->signage && !had->withdrawn_90k;
    if (same)
      continue;
    if (!uk_store_designation_put(store, d, error))
      return FALSE;
    g_autofree gchar *detail
        = g_strdup_printf("{\"designation\":\"%s\",\"source\":\"config\"}", d->id);
    UkAuditEntry e = { .actor = "system",
                       .action = had ? "designation_changed" : "designation_declared",
                       .area = d->area,
                       .from_90k = d->valid_from_90k,
                       .to_90k = d->valid_until_90k,
                       .detail = detail };
    if (!uk_store_audit_append(store, &e, error))
      return FALSE;
  }
  for (guint i = 0; i < config->risk_areas->len; i++) {
    const UkRiskAreaConfig *c = config->risk_areas->pdata[i];
    UkRiskArea r = { .id = c->id,
                     .area = c->area,
                     .decision = c->decision,
                     .prosecutor = c->prosecutor,
                     .valid_from_90k = c->valid_from_90k,
                     .valid_until_90k = c->valid_until_90k };
    if (!uk_store_risk_area_put(store, &r, error))
      return FALSE;
  }
  return TRUE;
}

/* Whether each camera may record and be watched now: its area's designation
 * (Gemeentewet 151c), and the disk. Starts and stops recorders; the board
 * tells the console (which refuses and ends live views). Runs every second,
 * so a withdrawal takes effect within 2 s. */
static void
enforce_rules(UkDaemon *d, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) designations = uk_store_designations_list(d->store, &error);
  if (!designations) {
    g_warning("designations: %s", error->message);
    return;
  }
  for (guint i = 0; i < d->recorders->len; i++) {
    UkRecorder *r = d->recorders->pdata[i];
    UkCameraStatus *s = uk_camera_board_get(d->board, uk_recorder_camera(r));
    const char *why = NULL;
    const UkDesignation *des = uk_designations_active(designations, s->area, now, &why);
    g_autofree gchar *blocked = NULL;
    if (!des)
      blocked = g_strdup_printf("not recording: %s", why);
    else if (d->disk_full)
      blocked
          = g_strdup("not recording: the disk is full and holds only footage under evidence holds");
    s->live_watch_now = FALSE;
    if (des && des->live_watch) {
      g_autoptr(GArray) windows = NULL;
      if (uk_watch_windows_parse(des->live_watch, &windows, NULL))
        s->live_watch_now = uk_watch_windows_contain(windows, now, NULL);
    }
    uk_camera_status_set(&s->blocked, blocked);
    if (!blocked && !uk_recorder_is_started(r)) {
      g_message("%s: recording allowed (designation %s)", s->id, des->id);
      uk_recorder_start(r);
    } else if (blocked && uk_recorder_is_started(r)) {
      g_message("%s: %s", s->id, blocked);
      uk_recorder_stop(r, blocked);
    }
  }
}

UkDaemon *
uk_daemon_new(UkConfig *config, GError **error)
{
  g_autoptr(UkDaemon) d = g_new0(UkDaemon, 1);
  d->config = config;
  d->runs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  d->recorders = g_ptr_array_new_with_free_func((GDestroyNotify)uk_recorder_free);
  if (g_mkdir_with_parents(config->storage_path, 0750) != 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                "cannot create storage folder %s: %s", config->storage_path, g_strerror(e));
    return NULL;
  }
  d->store = uk_store_open(config->database_path, error);
  if (!d->store || !uk_recover(d->store, config, error))
    return NULL;
  g_autofree gchar *head = uk_audit_head_path(config->database_path);
  uk_store_audit_set_head_path(d->store, head);
  if (!sync_designations(d->store, config, error))
    return NULL;
  d->test_clock_file = g_strdup(g_getenv("UITKIJK_TEST_CLOCK_FILE"));
  if (d->test_clock_file)
    g_warning("TEST CLOCK: the rules' clock follows %s (tests only, never in service)",
              d->test_clock_file);
  d->board = uk_camera_board_new();
  for (guint i = 0; i < config->cameras->len; i++) {
    const UkCameraConfig *cam = config->cameras->pdata[i];
    uk_camera_board_add(d->board, cam->id, cam->area, cam->name, cam->location);
  }
  d->console = uk_console_new(d->store, config, d->board);
  UkWriter *writer = uk_writer_new(config->database_path, head, NULL, error);
  if (!writer)
    return NULL;
  d->writer = writer;
  uk_console_set_writer(d->console, writer);
  uk_store_set_autocheckpoint(d->store, FALSE); /* the writer's checkpointer does it */
  d->locate_cache = uk_locate_cache_new();
  uk_console_set_locator(d->console, daemon_locate, d);
  uk_console_set_live_source(d->console, daemon_set_live, d);
  d->exports = uk_exports_new(d->store, config, d->console, error);
  if (!d->exports)
    return NULL;
  return g_steal_pointer(&d);
}

/* Copies each recorder's health to the board; pushes state changes. */
static gboolean
on_health_tick(gpointer data)
{
  UkDaemon *d = data;
  enforce_rules(d, rules_now(d));
  for (guint i = 0; i < d->recorders->len; i++) {
    UkRecorder *r = d->recorders->pdata[i];
    UkCameraStatus *s = uk_camera_board_get(d->board, uk_recorder_camera(r));
    UkCameraHealth h;
    uk_recorder_get_health(r, &h);
    gboolean changed = uk_camera_status_set(&s->state, uk_camera_state_name(h.state));
    uk_camera_status_set(&s->last_error, h.last_error);
    if (h.frames_recorded)
      uk_camera_status_set(&s->codec, uk_codec_name(h.codec));
    s->fps = h.fps;
    s->bitrate_bps = h.bitrate_bps;
    s->last_frame_90k = h.last_frame_90k;
    s->reconnects = h.reconnects;
    s->bytes_recorded = h.bytes_recorded;
    s->frames_recorded = h.frames_recorded;
    uk_camera_health_clear(&h);
    if (changed) {
      g_autoptr(GString) ev
          = g_string_new("{\"type\":\"event\",\"event\":\"camera.state\",\"camera\":");
      uk_json_append_string(ev, s->id);
      g_string_append(ev, ",\"area\":");
      uk_json_append_string(ev, s->area);
      g_string_append(ev, ",\"state\":");
      uk_json_append_string(ev, s->state);
      g_string_append(ev, ",\"reason\":");
      if (s->last_error)
        uk_json_append_string(ev, s->last_error);
      else
        g_string_append(ev, "null");
      g_string_append_c(ev, '}');
      uk_console_broadcast(d->console, s->area, ev->str);
      uk_console_camera_state(d->console, s->id, s->state, s->last_error);
    }
  }
  uk_console_tick(d->console);
  return G_SOURCE_CONTINUE;
}

/* Retention, checked every RETENTION_TICK_S: footage (Gemeentewet 151c lid
 * 9, at most 28 days, evidence holds excepted) and disk space (app/uk-retention.c),
 * and incident records (Wpg art. 8). */
static gboolean
on_retention_tick(gpointer data)
{
  UkDaemon *d = data;
  gint64 now = rules_now(d);
  UkRetentionReport rep;
  g_autoptr(GError) ferror = NULL;
  if (!uk_retention_run(d->store, d->config, now, &rep, &ferror)) {
    g_warning("footage retention: %s", ferror->message);
  } else {
    if (rep.expired)
      g_message("retention: destroyed %u segment(s), %" G_GUINT64_FORMAT " bytes, past %u days",
                rep.expired, rep.expired_bytes, d->config->footage_days);
    if (rep.pressure)
      g_message("disk space: destroyed the oldest %u unheld segment(s), %" G_GUINT64_FORMAT
                " bytes",
                rep.pressure, rep.pressure_bytes);
    gboolean was_full = d->disk_full;
    d->disk_full = rep.full_held;
    uk_console_disk_state(d->console, rep.pressure > 0, rep.full_held, rep.free_bytes,
                          rep.need_bytes);
    if (was_full != d->disk_full)
      enforce_rules(d, now);
  }
  gint64 cutoff = now - (gint64)d->config->incident_delete_days * 86400 * UK_TIME_HZ;
  g_autoptr(GError) error = NULL;
  gint64 n = uk_store_incidents_expire(d->store, cutoff, &error);
  if (n < 0)
    g_warning("incident retention: %s", error->message);
  else if (n > 0)
    g_message("incident retention: deleted %" G_GINT64_FORMAT " incident(s)", n);
  return G_SOURCE_CONTINUE;
}

/* The SHA-256 of the config file, for the audit log. (transfer full) */
static gchar *
config_digest(const UkConfig *config)
{
  g_autofree gchar *text = NULL;
  gsize len = 0;
  if (!config->path || !g_file_get_contents(config->path, &text, &len, NULL))
    return g_strdup("");
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
}

gboolean
uk_daemon_start(UkDaemon *d, GMainLoop *loop, GError **error)
{
  if (!uk_console_listen(d->console, loop, error))
    return FALSE;
  g_autofree gchar *digest = config_digest(d->config);
  g_autofree gchar *detail = g_strdup_printf("{\"config\":\"%s\",\"config_sha256\":\"%s\"}",
                                             d->config->path ? d->config->path : "", digest);
  UkAuditEntry e = { .actor = "system", .action = "service_started", .detail = detail };
  if (!uk_store_audit_append(d->store, &e, error))
    return FALSE;
  for (guint i = 0; i < d->config->cameras->len; i++) {
    const UkCameraConfig *cam = d->config->cameras->pdata[i];
    UkRecorderOptions opts = {
      .camera_id = cam->id,
      .url = cam->url,
      .tcp = cam->transport == UK_TRANSPORT_TCP,
      .storage_path = d->config->storage_path,
      .segment_seconds = d->config->segment_seconds,
    };
    UkRecorder *r = uk_recorder_new(&opts, NULL, on_recorder_event, d);
    g_ptr_array_add(d->recorders, r);
  }
  if (d->test_clock_file) {
    UkAuditEntry t = { .actor = "system",
                       .action = "test_clock",
                       .detail = "{\"note\":\"rules clock movable by tests\"}" };
    uk_store_audit_append(d->store, &t, NULL);
  }
  enforce_rules(d, rules_now(d)); /* starts the cameras that may record */
  d->retention_source = g_timeout_source_new_seconds(RETENTION_TICK_S);
  g_source_set_callback(d->retention_source, on_retention_tick, d, NULL);
  g_source_attach(d->retention_source, NULL);
  on_retention_tick(d);
  d->health_source = g_timeout_source_new_seconds(1);
  g_source_set_callback(d->health_source, on_health_tick, d, NULL);
  g_source_attach(d->health_source, NULL);
  return TRUE;
}

void
uk_daemon_stop(UkDaemon *d)
{
  if (d->health_source) {
    g_source_destroy(d->health_source);
    g_clear_pointer(&d->health_source, g_source_unref);
  }
  if (d->retention_source) {
    g_source_destroy(d->retention_source);
    g_clear_pointer(&d->retention_source, g_source_unref);
  }
  for (guint i = 0; i < d->recorders->len; i++)
    uk_recorder_stop(d->recorders->pdata[i], "uitkijk stopped");
}

void
uk_daemon_free(UkDaemon *d)
{
  if (!d)
    return;
  uk_daemon_stop(d);
  g_clear_pointer(&d->exports, uk_exports_free);
  g_clear_pointer(&d->console, uk_console_free);
  g_ptr_array_unref(d->recorders);
  g_clear_pointer(&d->board, uk_camera_board_free);
  g_clear_pointer(&d->locate_cache, uk_locate_cache_free);
  g_hash_table_destroy(d->runs);
  g_free(d->test_clock_file);
  uk_store_free(d->store);
  g_free(d);
}

static gboolean
on_quit_signal(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_CONTINUE;
}

int
uk_daemon_run(UkConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UkDaemon) d = uk_daemon_new(config, &error);
  if (!d) {
    g_printerr("uitkijk: %s\n", error->message);
    return 1;
  }
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, loop);
  guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, loop);
  if (!uk_daemon_start(d, loop, &error)) {
    g_printerr("uitkijk: %s\n", error->message);
    return 1;
  }
  g_message("console on http%s://%s:%u/", config->tls_cert ? "s" : "", config->listen_host,
            uk_console_port(d->console));
  g_message("recording %u camera(s) into %s", config->cameras->len, config->storage_path);
  g_main_loop_run(loop);
  g_message("stopping");
  uk_daemon_stop(d);
  g_source_remove(sigint);
  g_source_remove(sigterm);
  return 0;
}
