/* uk-recorder: records one camera, without transcoding, into segment files.
 *
 * One GStreamer pipeline per camera:
 *   rtspsrc buffer-mode=none ! rtph26Xdepay ! h26Xparse ! (avc|hvc1, au) ! queue ! appsink
 * The appsink callback runs on the camera's streaming thread: it maps frame
 * times to wall-clock (uk-clockmap), writes frames into segment files
 * (uk-segment) and queues UkRecorderEvents. The events are handed to the
 * control GMainContext, in order, where the owner's callback stores them; the
 * streaming thread never touches the database or the console. Reconnects use a
 * backoff of 1 s doubling to 30 s. See docs/DESIGN.md. */
#pragma once

#include "uk-fmp4.h"

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  UK_CAMERA_STOPPED,
  UK_CAMERA_CONNECTING,
  UK_CAMERA_RECORDING,
  UK_CAMERA_DOWN,
} UkCameraState;

const char *uk_camera_state_name(UkCameraState state); /* "stopped", "connecting", ... */

/* A snapshot of a camera's health, for the console and /metrics. */
typedef struct {
  UkCameraState state;
  double fps;             /* frames per second over the last second */
  double bitrate_bps;     /* bits per second over the last second */
  gint64 last_frame_90k;  /* wall time of the last frame written, 0 if none */
  guint reconnects;       /* connection attempts after the first */
  guint64 bytes_recorded; /* since start */
  guint64 frames_recorded;
  gchar *last_error; /* why the camera is down, or NULL */
  UkCodec codec;
} UkCameraHealth;

void uk_camera_health_clear(UkCameraHealth *health);

typedef enum {
  UK_RECORDER_RUN_START,     /* first keyframe of a connection: start_90k */
  UK_RECORDER_SEGMENT_OPEN,  /* path, start_90k, codec, width, height */
  UK_RECORDER_SEGMENT_CLOSE, /* path, start/end, media_duration, frames, bytes, index */
  UK_RECORDER_RUN_END, /* end_90k, reason; had_run FALSE when the connection never got video */
  UK_RECORDER_ERROR,   /* reason: a write failed */
  UK_RECORDER_LIVE,    /* a frame for live view (only while uk_recorder_set_live is on):
                          live_fragment, live_init (new init segment first, or NULL),
                          key, start_90k (the frame's wall time), codec */
} UkRecorderEventType;

typedef struct {
  UkRecorderEventType type;
  const char *camera; /* (transfer none) */
  const char *path;   /* absolute, SEGMENT_*; (transfer none) */
  gint64 start_90k;   /* RUN_START, SEGMENT_* */
  gint64 end_90k;     /* SEGMENT_CLOSE, RUN_END */
  gint64 media_duration_90k;
  guint frames;
  guint64 bytes;
  UkCodec codec;
  guint width, height;
  GBytes *index;         /* SEGMENT_CLOSE: uk_frame_index_encode; (transfer none) */
  GBytes *live_init;     /* LIVE: ftyp+moov when the stream (re)starts; (transfer none) */
  GBytes *live_fragment; /* LIVE: prft+moof+mdat of one frame; (transfer none) */
  gboolean key;          /* LIVE: the frame is a keyframe */
  gboolean had_run;      /* RUN_END */
  const char *reason;    /* RUN_END, ERROR; (transfer none) */
} UkRecorderEvent;

/* Called on the control context for every event, in order. */
typedef void (*UkRecorderEventFunc)(const UkRecorderEvent *event, gpointer user_data);

typedef struct {
  const char *camera_id;
  const char *url;
  gboolean tcp;
  const char *storage_path; /* segments go to <storage>/<camera>/<YYYY-MM-DD>/ */
  guint segment_seconds;
} UkRecorderOptions;

typedef struct _UkRecorder UkRecorder;

/* Creates a stopped recorder whose events and timers run on @context.
 * (transfer full) */
UkRecorder *uk_recorder_new(const UkRecorderOptions *options, GMainContext *context,
                            UkRecorderEventFunc func, gpointer user_data);

/* Starts connecting; reconnects until uk_recorder_stop. */
void uk_recorder_start(UkRecorder *recorder);

/* Stops the pipeline, closes the open segment cleanly (its events are
 * delivered before this returns; it must be called on the control context). */
void uk_recorder_stop(UkRecorder *recorder, const char *reason);
/* Between uk_recorder_start and uk_recorder_stop. */
gboolean uk_recorder_is_started(UkRecorder *recorder);

/* Live view: while on, every recorded frame is also posted as a
 * UK_RECORDER_LIVE event, as a fragment of one continuous fragmented-MP4
 * stream per run (an init segment comes first, and again after a reconnect
 * or a change of stream parameters). Costs nothing while off. */
void uk_recorder_set_live(UkRecorder *recorder, gboolean on);

/* Fills @out with the current health (free with uk_camera_health_clear). */
void uk_recorder_get_health(UkRecorder *recorder, UkCameraHealth *out);

const char *uk_recorder_camera(UkRecorder *recorder);

void uk_recorder_free(UkRecorder *recorder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkRecorder, uk_recorder_free)

/* gst_init once, from main(); FALSE with @error when GStreamer is unusable. */
gboolean uk_ingest_init(int *argc, char ***argv, GError **error);

G_END_DECLS
