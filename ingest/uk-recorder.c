/* uk-recorder: one camera's recording pipeline, reconnects and health. */
#include "uk-recorder.h"

#include "uk-clockmap.h"
#include "uk-segment.h"
#include "uk-time.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/rtsp/gstrtsptransport.h>

#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 30
#define CONNECT_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define STALL_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define DEFAULT_DURATION_90K 3600 /* 25 fps, used only when nothing better is known */
#define MAX_FRAME_GAP_90K (10 * 90000)

/* A frame waiting to be written: its duration is known only when the next
 * frame arrives, and during a run's warm-up its wall time is not known yet. */
typedef struct {
  GstBuffer *buffer;
  UkFrame frame;  /* dts_90k is the camera's (absolute) dts */
  gint64 pts_90k; /* camera clock */
  gint64 arrival_90k;
} HeldFrame;

static void
held_frame_free(HeldFrame *h)
{
  gst_buffer_unref(h->buffer);
  g_free(h);
}

typedef struct {
  UkRecorderEvent ev;
  gchar *path;
  gchar *reason;
  GBytes *index;
  GBytes *live_init;
  GBytes *live_fragment;
} QueuedEvent;

struct _UkRecorder {
  gint ref_count; /* atomic */

  /* Immutable after uk_recorder_new. */
  gchar *camera;
  gchar *url;
  gboolean tcp;
  gchar *storage;
  guint segment_seconds;
  GMainContext *context;
  UkRecorderEventFunc func;
  gpointer user_data;

  /* Control context only. */
  GstElement *pipeline;
  GSource *bus_source;
  GSource *retry_source;
  GSource *tick_source;
  struct Probe *probe;       /* a reachability check in flight while waiting to retry */
  struct Describe *describe; /* the capped DESCRIBE in flight before the pipeline starts */
  gint probe_last;           /* its last answer: 1 reachable, 0 not, -1 not known */
  UkCameraState state;
  gint64 state_since_us;
  guint backoff_s;
  guint reconnects;
  gboolean started;
  gchar *last_error;
  double fps, bitrate_bps;
  guint64 tick_frames, tick_bytes;
  gint64 tick_us;

  /* lock protects: events, drain_scheduled. */
  GMutex lock;
  GQueue events;
  gboolean drain_scheduled;

  /* stats_lock protects: stat_frames, stat_bytes, stat_last_wall_90k, stat_last_arrival_us. */
  GMutex stats_lock;
  guint64 stat_frames;
  guint64 stat_bytes;
  gint64 stat_last_wall_90k;
  gint64 stat_last_arrival_us;

  /* The writer state: used by the streaming thread while the pipeline runs,
   * and by the control thread only after it has been set to NULL. */
  UkClockMap clock;
  UkTrackInfo track;
  gboolean have_track;
  gboolean track_changed;
  gboolean in_run;
  UkSegment *segment;
  gint64 seg_dts0_90k;  /* camera dts of the segment's first frame */
  gint64 seg_start_90k; /* wall time of the segment's first frame */
  gboolean warming_up;  /* the run's first second: frames held until walls are known */
  GQueue held;          /* (element-type HeldFrame) frames not yet written */
  guint32 last_duration_90k;

  /* Live view: live_on is atomic (set by the control thread); the rest is
   * the writer state's, like the fields above. */
  gint live_on;
  gboolean live_was_on;    /* live_on as of the last frame */
  gboolean live_need_init; /* send an init segment before the next frame */
  gint64 live_dts0_90k;    /* camera dts at which the live stream's time is 0 */
  guint32 live_seq;
  guint64 no_pts; /* frames without a time in this pipeline (dropped) */
};

const char *
uk_camera_state_name(UkCameraState state)
{
  switch (state) {
    case UK_CAMERA_STOPPED:
      return "stopped";
    case UK_CAMERA_CONNECTING:
      return "connecting";
    case UK_CAMERA_RECORDING:
      return "recording";
    case UK_CAMERA_DOWN:
      return "down";
  }
  return "unknown";
}

void
uk_camera_health_clear(UkCameraHealth *health)
{
  g_clear_pointer(&health->last_error, g_free);
}

gboolean
uk_ingest_init(int *argc, char ***argv, GError **error)
{
  if (!gst_init_check(argc, argv, error))
    return FALSE;
  static const char *const needed[]
      = { "rtspsrc", "rtph264depay", "h264parse", "rtph265depay", "h265parse", "appsink" };
  for (guint i = 0; i < G_N_ELEMENTS(needed); i++) {
    g_autoptr(GstElementFactory) f = gst_element_factory_find(needed[i]);
    if (!f) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                  "GStreamer element '%s' is missing; install gstreamer1.0-plugins-good and "
                  "gstreamer1.0-plugins-bad",
                  needed[i]);
      return FALSE;
    }
  }
  return TRUE;
}

static UkRecorder *
recorder_ref(UkRecorder *r)
{
  g_atomic_int_inc(&r->ref_count);
  return r;
}

static void recorder_unref(UkRecorder *r);

/* ---- events: streaming thread -> control context ---- */

static void
queued_event_free(QueuedEvent *q)
{
  g_free(q->path);
  g_free(q->reason);
  g_clear_pointer(&q->index, g_bytes_unref);
  g_clear_pointer(&q->live_init, g_bytes_unref);
  g_clear_pointer(&q->live_fragment, g_bytes_unref);
  g_free(q);
}

static gboolean
drain_events(gpointer data)
{
  UkRecorder *r = data;
  for (;;) {
    g_mutex_lock(&r->lock);
    QueuedEvent *q = g_queue_pop_head(&r->events);
    if (!q)
      r->drain_scheduled = FALSE;
    g_mutex_unlock(&r->lock);
    if (!q)
      break;
    q->ev.camera = r->camera;
    q->ev.path = q->path;
    q->ev.reason = q->reason;
    q->ev.index = q->index;
    q->ev.live_init = q->live_init;
    q->ev.live_fragment = q->live_fragment;
    if (q->ev.type == UK_RECORDER_RUN_START) {
      r->state = UK_CAMERA_RECORDING;
      r->state_since_us = g_get_monotonic_time();
      r->backoff_s = BACKOFF_MIN_S;
      r->probe_last = -1; /* learnt afresh at the next outage */
      g_clear_pointer(&r->last_error, g_free);
    } else if (q->ev.type == UK_RECORDER_ERROR) {
      g_free(r->last_error);
      r->last_error = g_strdup(q->reason);
    }
    if (r->func)
      r->func(&q->ev, r->user_data);
    queued_event_free(q);
  }
  return G_SOURCE_REMOVE;
}

/* Takes ownership of @q. Safe from any thread. */
static void
post_event(UkRecorder *r, QueuedEvent *q)
{
  g_mutex_lock(&r->lock);
  g_queue_push_tail(&r->events, q);
  gboolean schedule = !r->drain_scheduled;
  r->drain_scheduled = TRUE;
  g_mutex_unlock(&r->lock);
  if (schedule)
    g_main_context_invoke_full(r->context, G_PRIORITY_DEFAULT, drain_events, recorder_ref(r),
                               (GDestroyNotify)recorder_unref);
}

static QueuedEvent *
event_new(UkRecorderEventType type)
{
  QueuedEvent *q = g_new0(QueuedEvent, 1);
  q->ev.type = type;
  return q;
}

static void
post_error(UkRecorder *r, const GError *error)
{
  QueuedEvent *q = event_new(UK_RECORDER_ERROR);
  q->reason = g_strdup(error->message);
  post_event(r, q);
}

/* ---- the writer (streaming thread) ---- */

static gboolean
track_from_caps(GstCaps *caps, UkTrackInfo *out)
{
  GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *name = gst_structure_get_name(s);
  if (g_str_equal(name, "video/x-h264"))
    out->codec = UK_CODEC_H264;
  else if (g_str_equal(name, "video/x-h265"))
    out->codec = UK_CODEC_H265;
  else
    return FALSE;
  gint w = 0, h = 0;
  gst_structure_get_int(s, "width", &w);
  gst_structure_get_int(s, "height", &h);
  out->width = w;
  out->height = h;
  const GValue *v = gst_structure_get_value(s, "codec_data");
  GstBuffer *cd = v ? gst_value_get_buffer(v) : NULL;
  if (!cd)
    return FALSE;
  GstMapInfo map;
  if (!gst_buffer_map(cd, &map, GST_MAP_READ))
    return FALSE;
  out->codec_data = g_bytes_new(map.data, map.size);
  gst_buffer_unmap(cd, &map);
  return TRUE;
}

static void
update_track(UkRecorder *r, GstCaps *caps)
{
  UkTrackInfo t = { 0 };
  if (!track_from_caps(caps, &t)) {
    uk_track_info_clear(&t);
    return;
  }
  if (r->have_track && t.codec == r->track.codec && t.width == r->track.width
      && t.height == r->track.height && g_bytes_equal(t.codec_data, r->track.codec_data)) {
    uk_track_info_clear(&t);
    return;
  }
  uk_track_info_clear(&r->track);
  r->track = t;
  r->have_track = TRUE;
  r->track_changed = TRUE;
  r->live_need_init = TRUE;
}

static void
close_segment(UkRecorder *r, gint64 end_90k)
{
  if (!r->segment)
    return;
  g_autoptr(UkSegment) seg = g_steal_pointer(&r->segment);
  g_autoptr(GError) error = NULL;
  if (!uk_segment_finish(seg, &error))
    post_error(r, error);
  const GArray *frames = uk_segment_frames(seg);
  if (frames->len == 0) {
    /* Nothing was written: the file holds only an init segment. */
    QueuedEvent *q = event_new(UK_RECORDER_SEGMENT_CLOSE);
    q->path = g_strdup(uk_segment_path(seg));
    q->ev.start_90k = r->seg_start_90k;
    q->ev.end_90k = r->seg_start_90k;
    post_event(r, q);
    return;
  }
  const UkFrame *f = &g_array_index(frames, UkFrame, 0);
  const UkFrame *last = &g_array_index(frames, UkFrame, frames->len - 1);
  QueuedEvent *q = event_new(UK_RECORDER_SEGMENT_CLOSE);
  q->path = g_strdup(uk_segment_path(seg));
  q->ev.start_90k = f->wall_90k;
  q->ev.end_90k = MAX(end_90k, last->wall_90k + 1);
  q->ev.media_duration_90k = last->dts_90k + last->duration_90k - f->dts_90k;
  q->ev.frames = frames->len;
  q->ev.bytes = uk_segment_bytes(seg);
  q->ev.codec = r->track.codec;
  q->ev.width = r->track.width;
  q->ev.height = r->track.height;
  q->index = uk_frame_index_encode((const UkFrame *)frames->data, frames->len,
                                   uk_segment_init_size(seg));
  post_event(r, q);
}

static void
open_segment(UkRecorder *r, gint64 dts_90k, gint64 wall_90k)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(wall_90k / UK_TIME_HZ);
  g_autofree gchar *day = g_date_time_format(dt, "%Y-%m-%d");
  g_autofree gchar *hms = g_date_time_format(dt, "%H%M%S");
  g_autofree gchar *name = g_strdup_printf("%s-%" G_GINT64_FORMAT ".mp4", hms, wall_90k);
  g_autofree gchar *path = g_build_filename(r->storage, r->camera, day, name, NULL);
  g_autoptr(GError) error = NULL;
  r->segment = uk_segment_create(path, &r->track, &error);
  if (!r->segment) {
    post_error(r, error);
    return;
  }
  r->track_changed = FALSE;
  r->seg_dts0_90k = dts_90k;
  r->seg_start_90k = wall_90k;
  QueuedEvent *q = event_new(UK_RECORDER_SEGMENT_OPEN);
  q->path = g_strdup(path);
  q->ev.start_90k = wall_90k;
  q->ev.codec = r->track.codec;
  q->ev.width = r->track.width;
  q->ev.height = r->track.height;
  post_event(r, q);
}

/* Posts @h as one fragment of the live stream (streaming thread). Live
 * decode times run on from the start of the run, across segments, so a
 * player's timeline never jumps back. */
static void
post_live(UkRecorder *r, HeldFrame *h, guint32 duration_90k)
{
  if (r->live_need_init && !h->frame.key)
    return; /* a viewer starts at a keyframe */
  QueuedEvent *q = event_new(UK_RECORDER_LIVE);
  if (r->live_need_init) {
    q->live_init = uk_fmp4_init_segment(&r->track);
    r->live_need_init = FALSE;
    r->live_dts0_90k = h->frame.dts_90k;
    r->live_seq = 0;
  }
  UkFrame f = h->frame;
  f.dts_90k -= r->live_dts0_90k;
  f.duration_90k = duration_90k;
  GstMapInfo map;
  if (!gst_buffer_map(h->buffer, &map, GST_MAP_READ)) {
    queued_event_free(q);
    return;
  }
  f.size = map.size;
  guint8 *bytes = g_malloc(UK_FMP4_FRAME_HEADER_SIZE + map.size);
  uk_fmp4_frame_header(bytes, ++r->live_seq, &f);
  memcpy(bytes + UK_FMP4_FRAME_HEADER_SIZE, map.data, map.size);
  gst_buffer_unmap(h->buffer, &map);
  q->live_fragment = g_bytes_new_take(bytes, UK_FMP4_FRAME_HEADER_SIZE + map.size);
  q->ev.key = f.key;
  q->ev.start_90k = f.wall_90k;
  q->ev.codec = r->track.codec;
  post_event(r, q);
}

/* Writes @h with @duration_90k into the open segment, first starting a new
 * segment when @h is a keyframe and the current one is full. */
static void
write_frame(UkRecorder *r, HeldFrame *h, guint32 duration_90k)
{
  UkFrame f = h->frame;
  if (f.key
      && (!r->segment || r->track_changed
          || f.dts_90k - r->seg_dts0_90k >= (gint64)r->segment_seconds * UK_TIME_HZ)) {
    close_segment(r, f.wall_90k);
    open_segment(r, f.dts_90k, f.wall_90k);
  }
  if (!r->segment)
    return; /* waits for the next keyframe */
  f.dts_90k -= r->seg_dts0_90k;
  f.duration_90k = duration_90k;
  GstMapInfo map;
  if (!gst_buffer_map(h->buffer, &map, GST_MAP_READ))
    return;
  f.size = map.size;
  g_autoptr(GError) error = NULL;
  gboolean ok = uk_segment_write(r->segment, &f, map.data, &error);
  gst_buffer_unmap(h->buffer, &map);
  if (!ok) {
    post_error(r, error);
    close_segment(r, f.wall_90k);
    return;
  }
  r->last_duration_90k = duration_90k;
  gboolean live = g_atomic_int_get(&r->live_on);
  if (live && !r->live_was_on)
    r->live_need_init = TRUE;
  r->live_was_on = live;
  if (live)
    post_live(r, h, duration_90k);
  g_mutex_lock(&r->stats_lock);
  r->stat_frames++;
  r->stat_bytes += f.size;
  r->stat_last_wall_90k = f.wall_90k;
  g_mutex_unlock(&r->stats_lock);
}

/* Ends the warm-up: the run's wall-clock origin is the least-delayed frame of
 * its first second (docs/TIME.md), and every held frame gets its wall time. */
static void
finish_warmup(UkRecorder *r)
{
  HeldFrame *first = g_queue_peek_head(&r->held);
  if (!first)
    return;
  gint64 origin = G_MAXINT64;
  for (GList *l = r->held.head; l; l = l->next) {
    HeldFrame *h = l->data;
    gint64 media = (gint64)((h->pts_90k - first->pts_90k) * r->clock.drift_rate);
    origin = MIN(origin, h->arrival_90k - media);
  }
  uk_clockmap_start(&r->clock, first->pts_90k, origin);
  for (GList *l = r->held.head; l; l = l->next) {
    HeldFrame *h = l->data;
    h->frame.wall_90k = uk_clockmap_map(&r->clock, h->pts_90k, h->arrival_90k);
  }
  r->warming_up = FALSE;
  QueuedEvent *q = event_new(UK_RECORDER_RUN_START);
  q->ev.start_90k = first->frame.wall_90k;
  post_event(r, q);
}

/* Writes every held frame but the last (whose duration is not known yet). */
static void
write_ready(UkRecorder *r)
{
  while (r->held.length >= 2) {
    HeldFrame *h = g_queue_pop_head(&r->held);
    HeldFrame *next = g_queue_peek_head(&r->held);
    write_frame(r, h, (guint32)(next->frame.dts_90k - h->frame.dts_90k));
    held_frame_free(h);
  }
}

/* Ends the current run: writes what is held, closes the segment, posts RUN_END. */
static void
end_run(UkRecorder *r, const char *reason)
{
  gint64 end = 0;
  if (r->in_run) {
    if (r->warming_up)
      finish_warmup(r);
    write_ready(r);
    HeldFrame *last = g_queue_pop_head(&r->held);
    if (last) {
      guint32 duration = r->last_duration_90k ? r->last_duration_90k : DEFAULT_DURATION_90K;
      end = last->frame.wall_90k + duration;
      write_frame(r, last, duration);
      held_frame_free(last);
    }
  }
  close_segment(r, end);
  QueuedEvent *q = event_new(UK_RECORDER_RUN_END);
  q->ev.had_run = r->in_run && end != 0;
  q->ev.end_90k = q->ev.had_run ? end : uk_time_now_90k();
  q->reason = g_strdup(reason);
  post_event(r, q);
  r->in_run = FALSE;
  r->warming_up = FALSE;
  g_queue_clear_full(&r->held, (GDestroyNotify)held_frame_free);
  uk_clockmap_end_run(&r->clock);
}

static GstFlowReturn
on_new_sample(GstAppSink *sink, gpointer data)
{
  UkRecorder *r = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample)
    return GST_FLOW_EOS;
  GstBuffer *buf = gst_sample_get_buffer(sample);
  GstCaps *caps = gst_sample_get_caps(sample);
  if (!buf || !caps)
    return GST_FLOW_OK;
  update_track(r, caps);
  if (!r->have_track)
    return GST_FLOW_OK;

  GstClockTime pts = GST_BUFFER_PTS(buf), dts = GST_BUFFER_DTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) {
    r->no_pts++;
    return GST_FLOW_OK; /* cannot be placed in time: dropped (counted for teardown's log) */
  }
  if (!GST_CLOCK_TIME_IS_VALID(dts))
    dts = pts;
  gboolean key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gint64 pts_90k = gst_util_uint64_scale(pts, UK_TIME_HZ, GST_SECOND);
  gint64 dts_90k = gst_util_uint64_scale(dts, UK_TIME_HZ, GST_SECOND);

  /* The callback runs on rtspsrc's streaming thread right after depayloading
   * and parsing: no queue in between, so now is the frame's arrival. */
  gint64 arrival_90k = uk_time_now_90k();

  HeldFrame *tail = g_queue_peek_tail(&r->held);
  if (r->in_run && tail) {
    gint64 step = dts_90k - tail->frame.dts_90k;
    if (step <= 0 || step > MAX_FRAME_GAP_90K)
      end_run(r, step <= 0 ? "camera timestamps went backwards" : "camera timestamps jumped");
  }
  if (!r->in_run) {
    if (!key)
      return GST_FLOW_OK; /* nothing before the first keyframe of a run */
    r->in_run = TRUE;
    r->warming_up = TRUE;
    r->live_need_init = TRUE;
  }

  HeldFrame *h = g_new0(HeldFrame, 1);
  h->buffer = gst_buffer_ref(buf);
  h->pts_90k = pts_90k;
  h->arrival_90k = arrival_90k;
  h->frame = (UkFrame){ .dts_90k = dts_90k, .cts_90k = (gint32)(pts_90k - dts_90k), .key = key };
  g_queue_push_tail(&r->held, h);

  if (r->warming_up) {
    HeldFrame *first = g_queue_peek_head(&r->held);
    if (pts_90k - first->pts_90k < UK_CLOCKMAP_WARMUP_90K)
      return GST_FLOW_OK;
    finish_warmup(r);
  } else {
    h->frame.wall_90k = uk_clockmap_map(&r->clock, pts_90k, arrival_90k);
  }
  write_ready(r);

  g_mutex_lock(&r->stats_lock);
  r->stat_last_arrival_us = g_get_monotonic_time();
  g_mutex_unlock(&r->stats_lock);
  return GST_FLOW_OK;
}

/* ---- the pipeline (control context) ---- */

static gboolean
on_select_stream(GstElement *src, guint num, GstCaps *caps, gpointer data)
{
  GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *media = gst_structure_get_string(s, "media");
  const char *enc = gst_structure_get_string(s, "encoding-name");
  return g_strcmp0(media, "video") == 0
         && (g_strcmp0(enc, "H264") == 0 || g_strcmp0(enc, "H265") == 0);
}

/* Streaming thread: rtspsrc found its video stream; link depay ! parse to the sink. */
static void
on_pad_added(GstElement *src, GstPad *pad, gpointer data)
{
  GstElement *pipeline = data;
  g_autoptr(GstCaps) caps = gst_pad_query_caps(pad, NULL);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *enc = gst_structure_get_string(s, "encoding-name");
  gboolean h265 = g_strcmp0(enc, "H265") == 0;
  if (!h265 && g_strcmp0(enc, "H264") != 0)
    return;
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(sink, "sink");
  if (gst_pad_is_linked(sink_pad))
    return; /* one video stream per camera */
  GstElement *depay = gst_element_factory_make(h265 ? "rtph265depay" : "rtph264depay", NULL);
  GstElement *parse = gst_element_factory_make(h265 ? "h265parse" : "h264parse", NULL);
  GstElement *filter = gst_element_factory_make("capsfilter", NULL);
  g_autoptr(GstCaps) want
      = gst_caps_from_string(h265 ? "video/x-h265,stream-format=hvc1,alignment=au"
                                  : "video/x-h264,stream-format=avc,alignment=au");
  g_object_set(filter, "caps", want, NULL);
  gst_bin_add_many(GST_BIN(pipeline), depay, parse, filter, NULL);
  gst_element_link_many(depay, parse, filter, sink, NULL);
  gst_element_sync_state_with_parent(filter);
  gst_element_sync_state_with_parent(parse);
  gst_element_sync_state_with_parent(depay);
  g_autoptr(GstPad) depay_sink = gst_element_get_static_pad(depay, "sink");
  gst_pad_link(pad, depay_sink);
}

static void teardown(UkRecorder *r, const char *reason);
static void start_pipeline(UkRecorder *r);
static void describe_start(UkRecorder *r);

static gboolean
on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
  UkRecorder *r = data;
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
      g_autoptr(GError) err = NULL;
      g_autofree gchar *dbg = NULL;
      gst_message_parse_error(msg, &err, &dbg);
      g_autofree gchar *reason = g_strdup_printf("camera error: %s", err->message);
      g_debug("%s: %s (%s)", r->camera, reason, dbg ? dbg : "");
      teardown(r, reason);
      return G_SOURCE_REMOVE;
    }
    case GST_MESSAGE_EOS:
      teardown(r, "camera closed the stream");
      return G_SOURCE_REMOVE;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_retry(gpointer data)
{
  UkRecorder *r = data;
  g_clear_pointer(&r->retry_source, g_source_unref);
  r->reconnects++;
  describe_start(r);
  return G_SOURCE_REMOVE;
}

/* ---- reachability while waiting to reconnect ----
 *
 * The backoff (1 s doubling to 30 s) spares a camera that answers but fails,
 * but alone it would notice a camera that was off and is back only up to 30 s
 * late. So while waiting, a TCP connect to the camera's RTSP port is tried
 * once a second; when the port answers after it did not, the camera is back
 * and the retry happens at once. A port that keeps answering (the camera is
 * up but its stream fails) leaves the backoff as it is. */

typedef struct Probe {
  UkRecorder *r; /* NULL once the recorder no longer wants the answer */
  GCancellable *cancel;
} Probe;

static void
probe_abandon(UkRecorder *r)
{
  if (!r->probe)
    return;
  r->probe->r = NULL;
  g_cancellable_cancel(r->probe->cancel);
  r->probe = NULL;
}

static void
on_probe_done(GObject *source, GAsyncResult *result, gpointer data)
{
  Probe *p = data;
  g_autoptr(GSocketConnection) conn
      = g_socket_client_connect_to_uri_finish(G_SOCKET_CLIENT(source), result, NULL);
  UkRecorder *r = p->r;
  g_object_unref(p->cancel);
  g_free(p);
  if (!r)
    return;
  r->probe = NULL;
  gint up = conn != NULL;
  gboolean back = up && r->probe_last == 0;
  r->probe_last = up;
  if (back && r->retry_source) {
    g_source_destroy(r->retry_source);
    on_retry(r);
  }
}

static void
probe_start(UkRecorder *r)
{
  if (r->probe)
    return;
  Probe *p = g_new0(Probe, 1);
  p->r = r;
  p->cancel = g_cancellable_new();
  r->probe = p;
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 1);
  g_main_context_push_thread_default(r->context);
  g_socket_client_connect_to_uri_async(client, r->url, 554, p->cancel, on_probe_done, p);
  g_main_context_pop_thread_default(r->context);
}

static void
set_state(UkRecorder *r, UkCameraState state)
{
  r->state = state;
  r->state_since_us = g_get_monotonic_time();
}

/* ---- a capped DESCRIBE before each start ----
 *
 * rtspsrc buffers a DESCRIBE answer's whole body, whatever its Content-Length,
 * and has no way to set a limit on its connection: a hostile camera could make
 * the daemon hold a gigabyte (docs/RELIABILITY.md). So before each start the
 * recorder sends a DESCRIBE of its own, reads at most DESCRIBE_HEAD_MAX bytes
 * of status line and headers (never the body) and refuses a 2xx answer that
 * announces a body over DESCRIBE_BODY_KIB KiB; a refusal is a failed start like
 * any other (a reason, a gap, the backoff). Anything else starts rtspsrc,
 * which reports it as today: no connection, a camera that closes, a non-2xx
 * answer (a 401 too: no credentials are sent here). rtsps:// is not checked.
 *
 * What is left: rtspsrc does its own DESCRIBE afterwards, so a camera that
 * answers this one small and rtspsrc's huge is not stopped by this (time of
 * check, time of use); the 10 s no-video watchdog still ends that attempt. */

#define DESCRIBE_HEAD_KIB 16 /* status line and headers */
#define DESCRIBE_HEAD_MAX (DESCRIBE_HEAD_KIB * 1024)
/* A real SDP is 1-4 KiB; 64 KiB leaves room for odd cameras. */
#define DESCRIBE_BODY_KIB 64
#define DESCRIBE_CONNECT_TIMEOUT_S 5
#define DESCRIBE_TIMEOUT_S 10 /* the whole check, so that trickled bytes cannot hold it */

typedef struct Describe {
  UkRecorder *r;                     /* NULL once the recorder no longer wants the answer */
  GCancellable *cancel;              /* ends the connect, write or read in flight */
  GSource *timeout;                  /* cancels the check after DESCRIBE_TIMEOUT_S */
  gboolean timed_out;                /* the cancel came from the timeout */
  GSocketConnection *conn;           /* to the camera, once connected */
  gchar *request;                    /* the DESCRIBE, kept while it is written */
  gchar head[DESCRIBE_HEAD_MAX + 1]; /* the answer so far (NUL-terminated to parse it) */
  gsize len;                         /* bytes in head */
} Describe;

static void
describe_abandon(UkRecorder *r)
{
  if (!r->describe)
    return;
  r->describe->r = NULL;
  g_cancellable_cancel(r->describe->cancel);
  r->describe = NULL;
}

static gboolean
on_describe_timeout(gpointer data)
{
  Describe *d = data;
  d->timed_out = TRUE;
  g_cancellable_cancel(d->cancel);
  return G_SOURCE_REMOVE;
}

/* Called from the callback of the operation in flight: frees @d, then starts
 * the pipeline or, with @refusal, fails the start. */
static void
describe_done(Describe *d, const char *refusal)
{
  UkRecorder *r = d->r;
  if (!refusal && d->timed_out)
    refusal = "no DESCRIBE answer within " G_STRINGIFY(DESCRIBE_TIMEOUT_S) " s";
  g_source_destroy(d->timeout);
  g_source_unref(d->timeout);
  g_clear_object(&d->conn);
  g_object_unref(d->cancel);
  g_free(d->request);
  g_free(d);
  if (!r)
    return;
  r->describe = NULL;
  if (refusal)
    teardown(r, refusal);
  else
    start_pipeline(r);
}

/* The end of the headers (past their empty line) in @head, 0 if not there;
 * lines end with CRLF or LF, and a '\n' before @from has been looked at. */
static gsize
headers_end(const gchar *head, gsize len, gsize from)
{
  for (gsize i = from; i + 1 < len; i++) {
    if (head[i] != '\n')
      continue;
    if (head[i + 1] == '\n')
      return i + 2;
    if (head[i + 1] == '\r' && i + 2 < len && head[i + 2] == '\n')
      return i + 3;
  }
  return 0;
}

static void describe_read(Describe *d);

static void
on_describe_read(GObject *source, GAsyncResult *result, gpointer data)
{
  Describe *d = data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
  if (n <= 0 || !d->r) {
    if (error && d->r)
      g_debug("%s: DESCRIBE check: %s", d->r->camera, error->message);
    describe_done(d, NULL);
    return;
  }
  gsize from = d->len > 2 ? d->len - 2 : 0;
  d->len += n;
  gsize end = headers_end(d->head, d->len, from);
  if (memcmp(d->head, "RTSP/", MIN(d->len, 5)) != 0 || (end && memchr(d->head, '\0', end))) {
    describe_done(d, "camera refused: DESCRIBE answer is not RTSP");
    return;
  }
  if (!end) {
    if (d->len < DESCRIBE_HEAD_MAX)
      describe_read(d);
    else
      describe_done(
          d, "camera refused: DESCRIBE answer headers over " G_STRINGIFY(DESCRIBE_HEAD_KIB) " KiB");
    return;
  }
  d->head[end] = '\0';
  g_auto(GStrv) lines = g_strsplit(d->head, "\n", -1);
  const gchar *code = strchr(lines[0], ' ');
  guint64 status = code ? g_ascii_strtoull(code + 1, NULL, 10) : 0;
  g_autofree gchar *refusal = NULL;
  for (guint i = 1; status >= 200 && status < 300 && lines[i] && !refusal; i++) {
    if (g_ascii_strncasecmp(lines[i], "Content-Length:", 15) != 0)
      continue;
    guint64 length = 0;
    if (!g_ascii_string_to_unsigned(g_strstrip(lines[i] + 15), 10, 0, G_MAXUINT64, &length, NULL))
      refusal = g_strdup("camera refused: DESCRIBE answer with a bad Content-Length");
    else if (length > DESCRIBE_BODY_KIB * 1024)
      refusal = g_strdup_printf("camera refused: DESCRIBE answer of %" G_GUINT64_FORMAT
                                " bytes is over the %d KiB limit",
                                length, DESCRIBE_BODY_KIB);
  }
  describe_done(d, refusal);
}

static void
describe_read(Describe *d)
{
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(d->conn));
  g_main_context_push_thread_default(d->r->context);
  g_input_stream_read_async(in, d->head + d->len, DESCRIBE_HEAD_MAX - d->len, G_PRIORITY_DEFAULT,
                            d->cancel, on_describe_read, d);
  g_main_context_pop_thread_default(d->r->context);
}

static void
on_describe_written(GObject *source, GAsyncResult *result, gpointer data)
{
  Describe *d = data;
  g_autoptr(GError) error = NULL;
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error) || !d->r) {
    describe_done(d, NULL);
    return;
  }
  describe_read(d);
}

static void
on_describe_connected(GObject *source, GAsyncResult *result, gpointer data)
{
  Describe *d = data;
  g_autoptr(GError) error = NULL;
  d->conn = g_socket_client_connect_to_uri_finish(G_SOCKET_CLIENT(source), result, &error);
  if (!d->conn || !d->r) {
    describe_done(d, NULL); /* not reachable: rtspsrc reports it as today */
    return;
  }
  /* Only DESCRIBE_TIMEOUT_S bounds the reads from now on. */
  g_socket_set_timeout(g_socket_connection_get_socket(d->conn), 0);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(d->conn));
  g_main_context_push_thread_default(d->r->context);
  g_output_stream_write_all_async(out, d->request, strlen(d->request), G_PRIORITY_DEFAULT,
                                  d->cancel, on_describe_written, d);
  g_main_context_pop_thread_default(d->r->context);
}

/* Starts the camera: the check first, then (when it passes) the pipeline. */
static void
describe_start(UkRecorder *r)
{
  probe_abandon(r);
  g_autoptr(GUri) uri = g_uri_parse(r->url, G_URI_FLAGS_ENCODED, NULL);
  if (!uri || g_ascii_strcasecmp(g_uri_get_scheme(uri), "rtsp") != 0) {
    start_pipeline(r);
    return;
  }
  Describe *d = g_new0(Describe, 1);
  d->r = r;
  d->cancel = g_cancellable_new();
  /* The URL without user:password: authenticating is left to rtspsrc. */
  g_autofree gchar *target
      = g_uri_join(G_URI_FLAGS_ENCODED, "rtsp", NULL, g_uri_get_host(uri), g_uri_get_port(uri),
                   g_uri_get_path(uri), g_uri_get_query(uri), NULL);
  d->request = g_strdup_printf("DESCRIBE %s RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n"
                               "User-Agent: uitkijk\r\n\r\n",
                               target);
  d->timeout = g_timeout_source_new_seconds(DESCRIBE_TIMEOUT_S);
  g_source_set_callback(d->timeout, on_describe_timeout, d, NULL);
  g_source_attach(d->timeout, r->context);
  r->describe = d;
  set_state(r, UK_CAMERA_CONNECTING);
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, DESCRIBE_CONNECT_TIMEOUT_S);
  g_main_context_push_thread_default(r->context);
  g_socket_client_connect_to_uri_async(client, r->url, 554, d->cancel, on_describe_connected, d);
  g_main_context_pop_thread_default(r->context);
}

/* What a pipeline's RTP jitter buffer saw (read while it still runs: rtspsrc
 * removes it when stopped). */
typedef struct {
  guint64 pushed, lost, late, duplicates;
} RtpCounts;

static RtpCounts
rtp_counts(GstElement *pipeline)
{
  RtpCounts n = { 0 };
  g_autoptr(GstIterator) it = gst_bin_iterate_recurse(GST_BIN(pipeline));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object(&item);
    GstElementFactory *f = gst_element_get_factory(e);
    if (f && g_str_equal(GST_OBJECT_NAME(f), "rtpjitterbuffer")) {
      GstStructure *stats = NULL;
      g_object_get(e, "stats", &stats, NULL);
      guint64 v;
      if (stats && gst_structure_get_uint64(stats, "num-pushed", &v))
        n.pushed += v;
      if (stats && gst_structure_get_uint64(stats, "num-lost", &v))
        n.lost += v;
      if (stats && gst_structure_get_uint64(stats, "num-late", &v))
        n.late += v;
      if (stats && gst_structure_get_uint64(stats, "num-duplicates", &v))
        n.duplicates += v;
      g_clear_pointer(&stats, gst_structure_free);
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  return n;
}

static void
teardown(UkRecorder *r, const char *reason)
{
  if (r->bus_source) {
    g_source_destroy(r->bus_source);
    g_clear_pointer(&r->bus_source, g_source_unref);
  }
  if (r->pipeline) {
    RtpCounts n = rtp_counts(r->pipeline);
    gst_element_set_state(r->pipeline, GST_STATE_NULL);
    /* What the run received and lost, so that frames missing from a run can
     * be told apart: lost before uitkijk, or dropped by it. */
    g_message("%s: run's RTP packets: %" G_GUINT64_FORMAT " received, %" G_GUINT64_FORMAT
              " lost before uitkijk, %" G_GUINT64_FORMAT " too late (dropped), %" G_GUINT64_FORMAT
              " duplicates; %" G_GUINT64_FORMAT " frames without a time (dropped)",
              r->camera, n.pushed, n.lost, n.late, n.duplicates, r->no_pts);
    r->no_pts = 0; /* streaming has stopped: it is ours */
    gst_clear_object(&r->pipeline);
  }
  /* Streaming has stopped: the writer state is ours now. */
  end_run(r, reason);
  drain_events(r);
  g_free(r->last_error);
  r->last_error = g_strdup(reason);
  if (!r->started) {
    set_state(r, UK_CAMERA_STOPPED);
    return;
  }
  set_state(r, UK_CAMERA_DOWN);
  if (!r->retry_source) {
    r->retry_source = g_timeout_source_new_seconds(r->backoff_s);
    g_source_set_callback(r->retry_source, on_retry, r, NULL);
    g_source_attach(r->retry_source, r->context);
    r->backoff_s = MIN(r->backoff_s * 2, BACKOFF_MAX_S);
  }
}

static void
start_pipeline(UkRecorder *r)
{
  probe_abandon(r);
  g_autofree gchar *name = g_strdup_printf("camera-%s", r->camera);
  GstElement *pipeline = gst_pipeline_new(name);
  GstElement *src = gst_element_factory_make("rtspsrc", "src");
  GstElement *sink = gst_element_factory_make("appsink", "sink");
  g_object_set(src, "location", r->url, "protocols",
               r->tcp ? GST_RTSP_LOWER_TRANS_TCP : GST_RTSP_LOWER_TRANS_UDP, "buffer-mode",
               0 /* none: see docs/TIME.md */, "latency", 200, "tcp-timeout",
               (guint64)10 * G_USEC_PER_SEC, "timeout", (guint64)5 * G_USEC_PER_SEC, "user-agent",
               "uitkijk", "do-retransmission", FALSE, NULL);
  g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 1, NULL);
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, r, NULL);
  gst_bin_add_many(GST_BIN(pipeline), src, sink, NULL);
  g_signal_connect(src, "select-stream", G_CALLBACK(on_select_stream), r);
  g_signal_connect(src, "pad-added", G_CALLBACK(on_pad_added), pipeline);

  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  r->bus_source = gst_bus_create_watch(bus);
  g_source_set_callback(r->bus_source, (GSourceFunc)(void (*)(void))on_bus, r, NULL);
  g_source_attach(r->bus_source, r->context);

  r->pipeline = pipeline;
  set_state(r, UK_CAMERA_CONNECTING);
  g_mutex_lock(&r->stats_lock);
  r->stat_last_arrival_us = 0;
  g_mutex_unlock(&r->stats_lock);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    teardown(r, "cannot start the camera's pipeline");
}

static gboolean
on_tick(gpointer data)
{
  UkRecorder *r = data;
  gint64 now = g_get_monotonic_time();
  g_mutex_lock(&r->stats_lock);
  guint64 frames = r->stat_frames, bytes = r->stat_bytes;
  gint64 last_arrival = r->stat_last_arrival_us;
  g_mutex_unlock(&r->stats_lock);
  if (r->tick_us) {
    double secs = (now - r->tick_us) / 1e6;
    if (secs > 0) {
      r->fps = (frames - r->tick_frames) / secs;
      r->bitrate_bps = (bytes - r->tick_bytes) * 8.0 / secs;
    }
  }
  r->tick_frames = frames;
  r->tick_bytes = bytes;
  r->tick_us = now;
  if (r->state != UK_CAMERA_RECORDING)
    r->fps = r->bitrate_bps = 0;

  if (r->state == UK_CAMERA_CONNECTING && !r->describe
      && now - r->state_since_us > CONNECT_TIMEOUT_US)
    teardown(r, "no video within 10 s of connecting");
  else if (r->state == UK_CAMERA_RECORDING && last_arrival && now - last_arrival > STALL_TIMEOUT_US)
    teardown(r, "no video for 5 s");
  if (r->retry_source)
    probe_start(r);
  return G_SOURCE_CONTINUE;
}

/* ---- public ---- */

UkRecorder *
uk_recorder_new(const UkRecorderOptions *options, GMainContext *context, UkRecorderEventFunc func,
                gpointer user_data)
{
  UkRecorder *r = g_new0(UkRecorder, 1);
  r->ref_count = 1;
  r->camera = g_strdup(options->camera_id);
  r->url = g_strdup(options->url);
  r->tcp = options->tcp;
  r->storage = g_strdup(options->storage_path);
  r->segment_seconds = MAX(options->segment_seconds, 1);
  r->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
  r->func = func;
  r->user_data = user_data;
  r->backoff_s = BACKOFF_MIN_S;
  r->probe_last = -1;
  g_mutex_init(&r->lock);
  g_mutex_init(&r->stats_lock);
  g_queue_init(&r->events);
  g_queue_init(&r->held);
  uk_clockmap_init(&r->clock);
  return r;
}

void
uk_recorder_start(UkRecorder *r)
{
  if (r->started)
    return;
  r->started = TRUE;
  r->tick_source = g_timeout_source_new_seconds(1);
  g_source_set_callback(r->tick_source, on_tick, r, NULL);
  g_source_attach(r->tick_source, r->context);
  describe_start(r);
}

gboolean
uk_recorder_is_started(UkRecorder *r)
{
  return r->started;
}

void
uk_recorder_stop(UkRecorder *r, const char *reason)
{
  if (!r->started)
    return;
  r->started = FALSE;
  probe_abandon(r);
  describe_abandon(r);
  if (r->retry_source) {
    g_source_destroy(r->retry_source);
    g_clear_pointer(&r->retry_source, g_source_unref);
  }
  if (r->tick_source) {
    g_source_destroy(r->tick_source);
    g_clear_pointer(&r->tick_source, g_source_unref);
  }
  if (r->pipeline)
    teardown(r, reason);
  set_state(r, UK_CAMERA_STOPPED);
}

void
uk_recorder_get_health(UkRecorder *r, UkCameraHealth *out)
{
  *out = (UkCameraHealth){ 0 };
  out->state = r->state;
  out->fps = r->fps;
  out->bitrate_bps = r->bitrate_bps;
  out->reconnects = r->reconnects;
  out->last_error = g_strdup(r->last_error);
  out->codec = r->track.codec;
  g_mutex_lock(&r->stats_lock);
  out->last_frame_90k = r->stat_last_wall_90k;
  out->bytes_recorded = r->stat_bytes;
  out->frames_recorded = r->stat_frames;
  g_mutex_unlock(&r->stats_lock);
}

void
uk_recorder_set_live(UkRecorder *r, gboolean on)
{
  /* The streaming thread notices at its next frame and starts with an init
   * segment and a keyframe. */
  g_atomic_int_set(&r->live_on, on ? 1 : 0);
}

const char *
uk_recorder_camera(UkRecorder *r)
{
  return r->camera;
}

static void
recorder_unref(UkRecorder *r)
{
  if (!g_atomic_int_dec_and_test(&r->ref_count))
    return;
  g_queue_clear_full(&r->events, (GDestroyNotify)queued_event_free);
  g_mutex_clear(&r->lock);
  g_mutex_clear(&r->stats_lock);
  g_queue_clear_full(&r->held, (GDestroyNotify)held_frame_free);
  g_clear_pointer(&r->segment, uk_segment_free);
  uk_track_info_clear(&r->track);
  g_main_context_unref(r->context);
  g_free(r->last_error);
  g_free(r->camera);
  g_free(r->url);
  g_free(r->storage);
  g_free(r);
}

void
uk_recorder_free(UkRecorder *r)
{
  if (!r)
    return;
  uk_recorder_stop(r, "uitkijk stopped");
  r->func = NULL; /* events still queued are dropped */
  recorder_unref(r);
}
