/* uk-testcam: simulated RTSP cameras served from one clip held in memory.
 *
 * uk_testcam_new() encodes the clip synchronously (videotestsrc with a burnt-in
 * timecode, x264enc or x265enc, 2 s GOP of IDR frames, no B-frames) and keeps
 * every access unit in memory. Each camera is a shared gst-rtsp-server factory
 * whose media pipeline is "appsrc ! rtph26xpay". A single pusher
 * thread feeds all the appsrcs: frame k of a media goes out when that media's
 * pipeline clock reaches base_time + k * 40 ms, with PTS = DTS = k * 40 ms, so
 * the RTP timestamps advance exactly 3600 per frame. Every media pipeline uses
 * one GstSystemClock that is calibrated to run drift_ppm fast, which makes the
 * frame rate, the RTP timeline and the RTCP sender reports of a camera drift
 * against the wall clock the way a real camera's crystal does. Before a frame
 * is pushed, the capture SEI (uk-sei.h) with the current wall-clock time is
 * inserted in front of the first VCL NAL unit.
 *
 * Lifetime: signal handlers on the factories and medias hold a reference on the
 * UkTestcam, because gst-rtsp-server may still run them from its own threads
 * while (or after) uk_testcam_free() shuts everything down. */
#define G_LOG_DOMAIN "uk-testcam"

#include "uk-testcam.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include "uk-sei.h"

#define FPS 25
#define FRAME_DURATION (GST_SECOND / FPS)
#define GOP_FRAMES 50
#define BITRATE_KBPS 3000
/* A camera whose pusher is this far behind skips frames instead of bursting. */
#define MAX_LATENESS (250 * GST_MSECOND)
/* How often the pusher looks at a media that a client has paused. */
#define PAUSED_POLL_INTERVAL (50 * GST_MSECOND)
/* Bound on what an appsrc may queue: reached while its pipeline is not
 * consuming (paused, or its sending falls behind: the client reads too
 * slowly). The pusher then skips the frame and logs it, as for lateness, so
 * that every frame number the camera did not send is on its log. The
 * appsrc itself holds twice that (leaky) only as a bound that is never
 * reached, since it would drop frames without a word. */
#define APPSRC_MAX_BUFFERS 25
/* The clip encode must not hang forever on a broken plugin. */
#define ENCODE_TIMEOUT_US (300 * G_USEC_PER_SEC)
#define MAX_ABS_DRIFT_PPM 100000.0
/* How long uk_testcam_free() waits for the server threads to let go. */
#define FREE_WAIT_US (2 * G_USEC_PER_SEC)

/* One access unit of the clip, in byte-stream format. Immutable once encoded. */
typedef struct {
  GBytes *data;
  gsize vcl_offset; /* where the start code of the first VCL NAL unit begins */
  gboolean keyframe;
} UkClipFrame;

typedef struct {
  UkTestcam *testcam; /* (unowned) the camera is part of it */
  guint index;        /* 1-based */
  GstRTSPMediaFactory *factory;
  gulong configure_id;

  /* The fields below are protected by UkTestcam.lock. */
  gpointer media;     /* (unowned) identity of the current media, for compares only */
  GstElement *appsrc; /* (owned) the current media's appsrc, or NULL */
  gboolean running;   /* the appsrc has asked for data: its pipeline plays */
  gboolean started;   /* frame numbering of the current media has begun */
  guint64 next_frame; /* frame number k of the next push */
} UkCamera;

/* A frame that the pusher decided to send, handed over outside the lock. */
typedef struct {
  GstElement *appsrc; /* (owned) */
  guint cam;
  guint64 frame;
} UkPushJob;

struct _UkTestcam {
  gatomicrefcount ref_count;

  UkTestcamOptions options; /* with defaults filled in */
  guint16 port;             /* the port actually bound */
  GMainContext *context;    /* (owned) */

  /* The clip: immutable after uk_testcam_new() has encoded it. */
  UkClipFrame *clip;
  guint clip_frames;
  GstCaps *caps; /* (owned) caps for the appsrcs */

  GstClock *clock; /* (owned) shared by all media pipelines */

  GstRTSPServer *server;  /* (owned) */
  GSource *server_source; /* (owned) listening socket watch on @context */
  GSource *pool_source;   /* (owned) session timeout watch on @context */
  GThread *pusher;        /* (owned) joined by uk_testcam_free() */
  UkPushJob *jobs;        /* scratch array of options.cameras, used by the pusher only */

  /* Protects @stopping, @wait_id and the media state of every UkCamera. */
  GMutex lock;
  /* Signalled (together with unscheduling @wait_id) to make the pusher re-plan. */
  GCond cond;
  gboolean stopping;
  GstClockID wait_id; /* (unowned) the clock entry the pusher waits on, or NULL */

  UkCamera *cameras; /* options.cameras entries */
};

static UkTestcam *
testcam_ref(UkTestcam *testcam)
{
  g_atomic_ref_count_inc(&testcam->ref_count);
  return testcam;
}

static void
clip_free(UkTestcam *testcam)
{
  for (guint i = 0; i < testcam->clip_frames; i++)
    g_bytes_unref(testcam->clip[i].data);
  g_clear_pointer(&testcam->clip, g_free);
  testcam->clip_frames = 0;
}

static void
testcam_unref(gpointer data)
{
  UkTestcam *testcam = data;

  if (!g_atomic_ref_count_dec(&testcam->ref_count))
    return;

  for (guint i = 0; i < testcam->options.cameras; i++) {
    UkCamera *cam = &testcam->cameras[i];
    gst_clear_object(&cam->appsrc);
    g_clear_object(&cam->factory);
  }
  g_free(testcam->cameras);
  g_free(testcam->jobs);
  clip_free(testcam);
  gst_clear_caps(&testcam->caps);
  gst_clear_object(&testcam->clock);
  g_clear_object(&testcam->server);
  g_clear_pointer(&testcam->context, g_main_context_unref);
  g_mutex_clear(&testcam->lock);
  g_cond_clear(&testcam->cond);
  g_free(testcam);
}

static void
testcam_closure_notify(gpointer data, GClosure *closure)
{
  testcam_unref(((UkCamera *)data)->testcam);
}

/* ---- clip encoding ------------------------------------------------------ */

static gboolean
nal_is_vcl(gboolean h265, guint8 header)
{
  if (h265)
    return ((header >> 1) & 0x3F) <= 31;
  guint type = header & 0x1F;
  return type >= 1 && type <= 5;
}

static gboolean
nal_is_idr(gboolean h265, guint8 header)
{
  if (h265) {
    guint type = (header >> 1) & 0x3F;
    return type == 19 || type == 20; /* IDR_W_RADL, IDR_N_LP */
  }
  return (header & 0x1F) == 5;
}

/* Records which parameter sets a NAL unit is, as bits of @seen. */
static void
note_parameter_set(gboolean h265, guint8 header, guint *seen)
{
  guint type = h265 ? (header >> 1) & 0x3F : header & 0x1F;
  if (h265) {
    if (type >= 32 && type <= 34) /* VPS, SPS, PPS */
      *seen |= 1u << (type - 32);
  } else if (type == 7 || type == 8) { /* SPS, PPS */
    *seen |= 1u << (type - 7);
  }
}

/* Finds the first VCL NAL unit of a byte-stream access unit and checks that a
 * keyframe is an IDR picture preceded by its parameter sets. */
static gboolean
analyse_access_unit(gboolean h265, guint index, const guint8 *data, gsize size, UkClipFrame *frame,
                    GError **error)
{
  guint params_seen = 0;
  const guint params_all = h265 ? 0x7 : 0x3;

  for (gsize i = 0; i + 3 < size; i++) {
    if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1)
      continue;
    guint8 header = data[i + 3];
    if (!nal_is_vcl(h265, header)) {
      note_parameter_set(h265, header, &params_seen);
      i += 2;
      continue;
    }
    frame->vcl_offset = (i > 0 && data[i - 1] == 0) ? i - 1 : i;
    frame->keyframe = nal_is_idr(h265, header);
    if (frame->keyframe && params_seen != params_all) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "Clip frame %u is a keyframe without in-band parameter sets", index);
      return FALSE;
    }
    return TRUE;
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Clip frame %u has no VCL NAL unit",
              index);
  return FALSE;
}

static gchar *
encode_pipeline_description(const UkTestcamOptions *o, guint frames)
{
  /* format=I420 matters: left free, x264enc picks 10-bit 4:4:4, which is slow
   * and which few decoders take. */
  g_autofree gchar *source = g_strdup_printf(
      "videotestsrc num-buffers=%u pattern=smpte horizontal-speed=4 "
      "! video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 "
      "! timecodestamper ! timeoverlay time-mode=time-code font-desc=\"Sans 48\" ! queue",
      frames, o->width, o->height, FPS);
  g_autofree gchar *encoder = NULL;
  if (o->h265)
    encoder = g_strdup_printf(
        "x265enc bitrate=%u key-int-max=%u speed-preset=ultrafast "
        "option-string=keyint=%u:min-keyint=%u:bframes=0:scenecut=0:open-gop=0:"
        "repeat-headers=1:info=0 "
        "! video/x-h265,profile=main ! h265parse config-interval=-1 "
        "! appsink name=sink sync=false caps=video/x-h265,stream-format=byte-stream,alignment=au",
        BITRATE_KBPS, GOP_FRAMES, GOP_FRAMES, GOP_FRAMES);
  else
    encoder = g_strdup_printf(
        "x264enc bitrate=%u key-int-max=%u speed-preset=superfast bframes=0 rc-lookahead=10 "
        "option-string=min-keyint=%u:scenecut=0 "
        "! video/x-h264,profile=high ! h264parse config-interval=-1 "
        "! appsink name=sink sync=false caps=video/x-h264,stream-format=byte-stream,alignment=au",
        BITRATE_KBPS, GOP_FRAMES, GOP_FRAMES);
  return g_strconcat(source, " ! ", encoder, NULL);
}

static gboolean
encode_clip(UkTestcam *testcam, GError **error)
{
  const UkTestcamOptions *o = &testcam->options;
  const char *encoder = o->h265 ? "x265enc" : "x264enc";
  guint frames = o->clip_seconds * FPS;

  g_autoptr(GstElementFactory) factory = gst_element_factory_find(encoder);
  if (factory == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                "GStreamer element %s is not installed (%s)", encoder,
                o->h265 ? "gst-plugins-bad" : "gst-plugins-ugly");
    return FALSE;
  }

  g_autofree gchar *description = encode_pipeline_description(o, frames);
  g_autoptr(GError) parse_error = NULL;
  GstElement *parsed = gst_parse_launch(description, &parse_error);
  g_autoptr(GstElement) pipeline = parsed ? gst_object_ref_sink(parsed) : NULL;
  if (parse_error != NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Cannot build the clip encoder: %s",
                parse_error->message);
    return FALSE;
  }

  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  gint64 start_us = g_get_monotonic_time();
  GError *run_error = NULL;

  testcam->clip = g_new0(UkClipFrame, frames);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    g_set_error(&run_error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot start the clip encoder");

  while (run_error == NULL) {
    g_autoptr(GstSample) sample
        = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 100 * GST_MSECOND);
    if (sample != NULL) {
      if (testcam->clip_frames == frames)
        continue; /* never happens with num-buffers; ignore extras */
      GstBuffer *buffer = gst_sample_get_buffer(sample);
      GstMapInfo map;
      if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        g_set_error(&run_error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot map a clip frame");
        break;
      }
      UkClipFrame *frame = &testcam->clip[testcam->clip_frames];
      gboolean ok = analyse_access_unit(o->h265, testcam->clip_frames, map.data, map.size, frame,
                                        &run_error);
      if (ok) {
        frame->data = g_bytes_new(map.data, map.size);
        testcam->clip_frames++;
      }
      gst_buffer_unmap(buffer, &map);
      continue;
    }
    if (gst_app_sink_is_eos(GST_APP_SINK(sink)))
      break;

    g_autoptr(GstMessage) message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (message != NULL) {
      g_autoptr(GError) gst_error = NULL;
      gst_message_parse_error(message, &gst_error, NULL);
      g_set_error(&run_error, G_IO_ERROR, G_IO_ERROR_FAILED, "Clip encoder failed: %s",
                  gst_error->message);
    } else if (g_get_monotonic_time() - start_us > ENCODE_TIMEOUT_US) {
      g_set_error(&run_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Clip encoder timed out");
    }
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);

  if (run_error == NULL && testcam->clip_frames != frames)
    g_set_error(&run_error, G_IO_ERROR, G_IO_ERROR_FAILED, "Clip encoder produced %u of %u frames",
                testcam->clip_frames, frames);
  if (run_error == NULL && !testcam->clip[0].keyframe)
    g_set_error(&run_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "Clip does not start with an IDR frame");
  if (run_error != NULL) {
    g_propagate_error(error, run_error);
    clip_free(testcam);
    return FALSE;
  }

  gsize bytes = 0;
  for (guint i = 0; i < testcam->clip_frames; i++)
    bytes += g_bytes_get_size(testcam->clip[i].data);
  g_debug("Encoded %ux%u %s clip: %u frames, %.0f kbit/s, in %.2f s", o->width, o->height, encoder,
          testcam->clip_frames, bytes * 8.0 / o->clip_seconds / 1000.0,
          (g_get_monotonic_time() - start_us) / 1e6);
  return TRUE;
}

/* ---- frame pushing ------------------------------------------------------ */

/* Wakes the pusher so that it looks at the cameras again. Call with the lock. */
static void
wake_pusher_locked(UkTestcam *testcam)
{
  g_cond_signal(&testcam->cond);
  if (testcam->wait_id != NULL)
    gst_clock_id_unschedule(testcam->wait_id);
}

/* Builds clip frame (@frame mod clip length) with the capture SEI in front of
 * its first VCL NAL unit. (transfer full) */
static GstBuffer *
build_frame(UkTestcam *testcam, guint cam, guint64 frame)
{
  static const guint8 start_code[] = { 0, 0, 0, 1 };
  const UkClipFrame *clip = &testcam->clip[frame % testcam->clip_frames];
  UkSeiCapture capture = {
    .capture_us = g_get_real_time(),
    .frame = frame,
    .cam = cam,
  };
  g_autoptr(GBytes) sei = uk_sei_build(testcam->options.h265, &capture);
  gsize sei_size, au_size;
  const guint8 *sei_data = g_bytes_get_data(sei, &sei_size);
  const guint8 *au = g_bytes_get_data(clip->data, &au_size);

  /* One allocation and copy: the payloader maps the buffer anyway, which
   * would merge a buffer of several memories into a copy. */
  GstBuffer *buffer = gst_buffer_new_allocate(NULL, au_size + sizeof(start_code) + sei_size, NULL);
  gsize offset = 0;
  offset += gst_buffer_fill(buffer, offset, au, clip->vcl_offset);
  offset += gst_buffer_fill(buffer, offset, start_code, sizeof(start_code));
  offset += gst_buffer_fill(buffer, offset, sei_data, sei_size);
  gst_buffer_fill(buffer, offset, au + clip->vcl_offset, au_size - clip->vcl_offset);

  GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) = frame * FRAME_DURATION;
  GST_BUFFER_DURATION(buffer) = FRAME_DURATION;
  if (!clip->keyframe)
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  return buffer;
}

/* Reads whether @element is playing or on its way there, and its base time,
 * consistently. A live source is asked for data while its state change to
 * PLAYING is still in progress. */
static gboolean
element_playing(GstElement *element, GstClockTime *base_time)
{
  GST_OBJECT_LOCK(element);
  gboolean playing
      = GST_STATE(element) == GST_STATE_PLAYING || GST_STATE_PENDING(element) == GST_STATE_PLAYING;
  *base_time = GST_ELEMENT_CAST(element)->base_time;
  GST_OBJECT_UNLOCK(element);
  return playing;
}

/* Every frame number a camera does not send is logged here, in one format
 * (bench/soak.py reads it): @why is "late" (the pusher was starved) or
 * "queue full" (the media's sending fell behind). */
static void
log_skip(guint cam, const char *why, guint64 first, guint64 last)
{
  g_debug("cam%u: %s, skipping frames %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, cam, why, first,
          last);
}

/* Decides, for every camera, whether a frame is due at clock time @now. Due
 * frames are added to testcam->jobs. Returns the number of jobs and sets
 * @wakeup to the clock time at which the pusher must look again
 * (GST_CLOCK_TIME_NONE: only when woken). Call with the lock. */
static guint
plan_locked(UkTestcam *testcam, GstClockTime now, GstClockTime *wakeup)
{
  guint n_jobs = 0;
  GstClockTime next = GST_CLOCK_TIME_NONE;

  for (guint i = 0; i < testcam->options.cameras; i++) {
    UkCamera *cam = &testcam->cameras[i];
    GstClockTime base_time;

    if (cam->appsrc == NULL || !cam->running)
      continue;
    if (!element_playing(cam->appsrc, &base_time)) {
      /* Paused (or shutting down): look again now and then. A paused live
       * pipeline keeps its running time, so the frame numbering goes on. */
      next = MIN(next, now + PAUSED_POLL_INTERVAL);
      continue;
    }
    if (!cam->started) {
      /* Frame 0 belongs to running time 0 of this (re)started media. */
      cam->started = TRUE;
      cam->next_frame = 0;
    }

    GstClockTime due = base_time + cam->next_frame * FRAME_DURATION;
    if (now >= due + MAX_LATENESS) {
      /* Starved of CPU: skip what is missed instead of sending a burst, as a
       * camera under load does; decoders recover at the next IDR frame. */
      guint64 current = (now - base_time) / FRAME_DURATION;
      log_skip(cam->index, "late", cam->next_frame, current - 1);
      cam->next_frame = current;
      due = base_time + current * FRAME_DURATION;
    }
    if (now >= due) {
      testcam->jobs[n_jobs++] = (UkPushJob){
        .appsrc = gst_object_ref(cam->appsrc),
        .cam = cam->index,
        .frame = cam->next_frame,
      };
      cam->next_frame++;
      due += FRAME_DURATION;
    }
    next = MIN(next, due);
  }

  *wakeup = next;
  return n_jobs;
}

static gpointer
pusher_thread(gpointer data)
{
  UkTestcam *testcam = data;
  /* One clock entry, re-armed for every wait. */
  GstClockID entry = gst_clock_new_single_shot_id(testcam->clock, 0);

  g_mutex_lock(&testcam->lock);
  while (!testcam->stopping) {
    GstClockTime wakeup;
    guint n_jobs = plan_locked(testcam, gst_clock_get_time(testcam->clock), &wakeup);

    if (n_jobs > 0) {
      g_mutex_unlock(&testcam->lock);
      for (guint i = 0; i < n_jobs; i++) {
        UkPushJob *job = &testcam->jobs[i];
        if (gst_app_src_get_current_level_buffers(GST_APP_SRC(job->appsrc)) >= APPSRC_MAX_BUFFERS) {
          log_skip(job->cam, "queue full", job->frame, job->frame);
        } else {
          GstBuffer *buffer = build_frame(testcam, job->cam, job->frame);
          /* FLUSHING when the media is being shut down: the frame is just lost. */
          gst_app_src_push_buffer(GST_APP_SRC(job->appsrc), buffer);
        }
        gst_clear_object(&job->appsrc);
      }
      g_mutex_lock(&testcam->lock);
      continue;
    }

    if (!GST_CLOCK_TIME_IS_VALID(wakeup)) {
      g_cond_wait(&testcam->cond, &testcam->lock);
      continue;
    }

    /* Wait on the (possibly drifting) media clock itself, so that frames leave
     * at exactly base_time + k * 40 ms of the pipeline clock. */
    gst_clock_single_shot_id_reinit(testcam->clock, entry, wakeup);
    testcam->wait_id = entry;
    g_mutex_unlock(&testcam->lock);
    gst_clock_id_wait(entry, NULL);
    g_mutex_lock(&testcam->lock);
    testcam->wait_id = NULL;
  }
  g_mutex_unlock(&testcam->lock);

  gst_clock_id_unref(entry);
  return NULL;
}

/* ---- RTSP server -------------------------------------------------------- */

/* The streaming thread of a live appsrc first asks for data (and then after
 * every frame) once its pipeline plays: the moment to start pushing. */
static void
on_need_data(GstAppSrc *appsrc, guint length, gpointer user_data)
{
  UkCamera *cam = user_data;
  UkTestcam *testcam = cam->testcam;

  g_mutex_lock(&testcam->lock);
  if (!cam->running && cam->appsrc == GST_ELEMENT_CAST(appsrc)) {
    cam->running = TRUE;
    wake_pusher_locked(testcam);
  }
  g_mutex_unlock(&testcam->lock);
}

static void
testcam_unref_for_camera(gpointer data)
{
  testcam_unref(((UkCamera *)data)->testcam);
}

static void
on_media_unprepared(GstRTSPMedia *media, UkCamera *cam)
{
  UkTestcam *testcam = cam->testcam;
  g_autoptr(GstElement) appsrc = NULL;

  g_mutex_lock(&testcam->lock);
  if (cam->media == media) {
    cam->media = NULL;
    appsrc = g_steal_pointer(&cam->appsrc);
    cam->running = FALSE;
    cam->started = FALSE;
  }
  g_mutex_unlock(&testcam->lock);
}

static void
on_media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media, UkCamera *cam)
{
  UkTestcam *testcam = cam->testcam;
  g_autoptr(GstElement) element = gst_rtsp_media_get_element(media);
  g_autoptr(GstElement) appsrc = gst_bin_get_by_name_recurse_up(GST_BIN(element), "src");

  if (appsrc == NULL) {
    g_warning("cam%u: media without appsrc", cam->index);
    return;
  }
  gst_app_src_set_caps(GST_APP_SRC(appsrc), testcam->caps);
  gst_app_src_set_max_buffers(GST_APP_SRC(appsrc), 2 * APPSRC_MAX_BUFFERS);
  /* Only the frame count bounds it: the default 200 kB (about 13 frames)
   * made a starved appsrc drop frames before the pusher's check saw a full
   * queue. */
  gst_app_src_set_max_bytes(GST_APP_SRC(appsrc), 0);
  gst_app_src_set_max_time(GST_APP_SRC(appsrc), 0);
  gst_app_src_set_leaky_type(GST_APP_SRC(appsrc), GST_APP_LEAKY_TYPE_DOWNSTREAM);

  GstAppSrcCallbacks callbacks = { .need_data = on_need_data };
  gst_app_src_set_callbacks(GST_APP_SRC(appsrc), &callbacks, cam, testcam_unref_for_camera);
  testcam_ref(testcam); /* for the callbacks just set */

  g_signal_connect_data(media, "unprepared", G_CALLBACK(on_media_unprepared), cam,
                        testcam_closure_notify, 0);
  testcam_ref(testcam); /* for the handler just connected */

  g_autoptr(GstElement) old_appsrc = NULL;
  g_mutex_lock(&testcam->lock);
  if (!testcam->stopping) {
    cam->media = media;
    old_appsrc = g_steal_pointer(&cam->appsrc);
    cam->appsrc = g_steal_pointer(&appsrc);
    cam->running = FALSE;
    cam->started = FALSE;
  }
  g_mutex_unlock(&testcam->lock);
}

static gboolean
on_session_pool_timeout(GstRTSPSessionPool *pool, gpointer user_data)
{
  gst_rtsp_session_pool_cleanup(pool);
  return G_SOURCE_CONTINUE;
}

/* RTP over RTSP/TCP is written in small pieces (one RTP packet, an RTCP
 * report); with Nagle's algorithm on, a piece can wait up to a delayed-ACK
 * timeout (40 ms) as soon as the client sends anything itself (RTCP receiver
 * reports). A camera sends at once, so turn Nagle off. */
static void
on_client_connected(GstRTSPServer *server, GstRTSPClient *client, gpointer user_data)
{
  GstRTSPConnection *connection = gst_rtsp_client_get_connection(client);
  GSocket *socket = connection ? gst_rtsp_connection_get_read_socket(connection) : NULL;
  g_autoptr(GError) error = NULL;

  if (socket != NULL && !g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    g_debug("Cannot set TCP_NODELAY on an RTSP connection: %s", error->message);
}

static GstRTSPFilterResult
remove_client(GstRTSPServer *server, GstRTSPClient *client, gpointer user_data)
{
  return GST_RTSP_FILTER_REMOVE;
}

static GstRTSPFilterResult
remove_session(GstRTSPSessionPool *pool, GstRTSPSession *session, gpointer user_data)
{
  return GST_RTSP_FILTER_REMOVE;
}

/* Sets up the mounts and binds the listening socket, so that a port in use
 * fails before the clip is encoded. Nothing is served until start_serving(). */
static gboolean
create_server(UkTestcam *testcam, GError **error)
{
  const UkTestcamOptions *o = &testcam->options;
  /* No h26xparse: the clip is parsed already, and a parser per camera costs
   * ~0.2 % of a core. config-interval=0: every IDR of the clip carries its
   * parameter sets in-band; -1 would send them twice. */
  g_autofree gchar *launch
      = g_strdup_printf("( appsrc name=src is-live=true format=time do-timestamp=false "
                        "! %s name=pay0 pt=96 config-interval=0 )",
                        o->h265 ? "rtph265pay" : "rtph264pay");
  g_autofree gchar *service = g_strdup_printf("%u", o->port);

  testcam->server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(testcam->server, "127.0.0.1");
  gst_rtsp_server_set_service(testcam->server, service);
  g_signal_connect(testcam->server, "client-connected", G_CALLBACK(on_client_connected), NULL);

  g_autoptr(GstRTSPMountPoints) mounts = gst_rtsp_server_get_mount_points(testcam->server);
  for (guint i = 0; i < o->cameras; i++) {
    UkCamera *cam = &testcam->cameras[i];
    g_autofree gchar *path = g_strdup_printf("/cam%u", cam->index);

    cam->factory = gst_rtsp_media_factory_new();
    gst_rtsp_media_factory_set_launch(cam->factory, launch);
    gst_rtsp_media_factory_set_shared(cam->factory, TRUE);
    gst_rtsp_media_factory_set_clock(cam->factory, testcam->clock);
    cam->configure_id
        = g_signal_connect_data(cam->factory, "media-configure", G_CALLBACK(on_media_configure),
                                cam, testcam_closure_notify, 0);
    testcam_ref(testcam); /* for the handler just connected */
    gst_rtsp_mount_points_add_factory(mounts, path, g_object_ref(cam->factory));
  }

  /* gst_rtsp_server_attach() would only log a failed bind; this reports it. */
  testcam->server_source = gst_rtsp_server_create_source(testcam->server, NULL, error);
  if (testcam->server_source == NULL) {
    g_prefix_error(error, "Cannot listen on 127.0.0.1:%u: ", o->port);
    return FALSE;
  }
  testcam->port = (guint16)gst_rtsp_server_get_bound_port(testcam->server);
  return TRUE;
}

/* Accepts clients on the main context; connections made since create_server()
 * wait in the listen backlog until then. */
static void
start_serving(UkTestcam *testcam)
{
  g_source_attach(testcam->server_source, testcam->context);

  /* Sessions of UDP clients that vanish without TEARDOWN time out. */
  g_autoptr(GstRTSPSessionPool) pool = gst_rtsp_server_get_session_pool(testcam->server);
  testcam->pool_source = gst_rtsp_session_pool_create_watch(pool);
  g_source_set_callback(testcam->pool_source, G_SOURCE_FUNC(on_session_pool_timeout), NULL, NULL);
  g_source_attach(testcam->pool_source, testcam->context);
}

/* Stops serving: no new connections, no RTSP clients, no sessions, no media
 * handlers touching the cameras any more. */
static void
stop_server(UkTestcam *testcam)
{
  if (testcam->server_source != NULL) {
    g_source_destroy(testcam->server_source);
    g_clear_pointer(&testcam->server_source, g_source_unref);
  }
  if (testcam->pool_source != NULL) {
    g_source_destroy(testcam->pool_source);
    g_clear_pointer(&testcam->pool_source, g_source_unref);
  }
  if (testcam->server == NULL)
    return;

  g_autoptr(GstRTSPMountPoints) mounts = gst_rtsp_server_get_mount_points(testcam->server);
  for (guint i = 0; i < testcam->options.cameras; i++) {
    UkCamera *cam = &testcam->cameras[i];
    if (cam->factory == NULL)
      continue;
    g_autofree gchar *path = g_strdup_printf("/cam%u", cam->index);
    gst_rtsp_mount_points_remove_factory(mounts, path);
    g_clear_signal_handler(&cam->configure_id, cam->factory);
    /* The factory caches its shared media; let it go with the last client. */
    g_clear_object(&cam->factory);
  }
  g_list_free_full(gst_rtsp_server_client_filter(testcam->server, remove_client, NULL),
                   g_object_unref);
  g_autoptr(GstRTSPSessionPool) pool = gst_rtsp_server_get_session_pool(testcam->server);
  g_list_free_full(gst_rtsp_session_pool_filter(pool, remove_session, NULL), g_object_unref);
}

/* ---- public API --------------------------------------------------------- */

/* Fills in the defaults of @in and checks the result. */
static gboolean
check_options(const UkTestcamOptions *in, UkTestcamOptions *out, GError **error)
{
  *out = *in;
  if (out->width == 0 || out->height == 0) {
    out->width = 1280;
    out->height = 720;
  }
  if (out->clip_seconds == 0)
    out->clip_seconds = 10;

  if (out->cameras < 1) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "At least one camera is needed");
    return FALSE;
  }
  if (out->clip_seconds % (GOP_FRAMES / FPS) != 0 || out->clip_seconds > 600) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "Clip length %u s is not an even number of seconds up to 600", out->clip_seconds);
    return FALSE;
  }
  if (out->width % 2 != 0 || out->height % 2 != 0 || out->width > 4096 || out->height > 2304) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Unsupported clip size %ux%u",
                out->width, out->height);
    return FALSE;
  }
  if (!(out->drift_ppm > -MAX_ABS_DRIFT_PPM && out->drift_ppm < MAX_ABS_DRIFT_PPM)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "Clock drift %g ppm is out of range", out->drift_ppm);
    return FALSE;
  }
  return TRUE;
}

/* The clock of every media pipeline: the monotonic system clock, calibrated to
 * run (1e6 + drift_ppm) / 1e6 times as fast as real time. (transfer full) */
static GstClock *
make_media_clock(double drift_ppm)
{
  GstClock *clock = g_object_new(GST_TYPE_SYSTEM_CLOCK, "clock-type", GST_CLOCK_TYPE_MONOTONIC,
                                 "name", "uk-testcam-clock", NULL);
  gst_object_ref_sink(clock);

  if (drift_ppm != 0) {
    /* Rate in units of 1e-9, rounded: 500 ppm gives 1000500000 / 1000000000. */
    const gint64 denom = 1000000000;
    gint64 num = denom + (gint64)(drift_ppm * 1000.0 + (drift_ppm > 0 ? 0.5 : -0.5));
    GstClockTime now = gst_clock_get_internal_time(clock);
    gst_clock_set_calibration(clock, now, now, (GstClockTime)num, (GstClockTime)denom);
  }
  return clock;
}

UkTestcam *
uk_testcam_new(const UkTestcamOptions *options, GMainContext *context, GError **error)
{
  g_return_val_if_fail(options != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  if (!gst_init_check(NULL, NULL, error))
    return NULL;

  g_autoptr(UkTestcam) testcam = g_new0(UkTestcam, 1);
  g_atomic_ref_count_init(&testcam->ref_count);
  g_mutex_init(&testcam->lock);
  g_cond_init(&testcam->cond);
  testcam->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();

  UkTestcamOptions checked;
  if (!check_options(options, &checked, error))
    return NULL;
  testcam->options = checked;
  const UkTestcamOptions *o = &testcam->options;

  testcam->cameras = g_new0(UkCamera, o->cameras);
  testcam->jobs = g_new0(UkPushJob, o->cameras);
  for (guint i = 0; i < o->cameras; i++) {
    testcam->cameras[i].testcam = testcam;
    testcam->cameras[i].index = i + 1;
  }

  testcam->clock = make_media_clock(o->drift_ppm);
  testcam->caps = gst_caps_new_simple(
      o->h265 ? "video/x-h265" : "video/x-h264", "stream-format", G_TYPE_STRING, "byte-stream",
      "alignment", G_TYPE_STRING, "au", "width", G_TYPE_INT, (gint)o->width, "height", G_TYPE_INT,
      (gint)o->height, "framerate", GST_TYPE_FRACTION, FPS, 1, NULL);

  if (!create_server(testcam, error) || !encode_clip(testcam, error))
    return NULL;

  testcam->pusher = g_thread_try_new("uk-testcam-push", pusher_thread, testcam, error);
  if (testcam->pusher == NULL)
    return NULL;
  start_serving(testcam);

  return g_steal_pointer(&testcam);
}

gchar *
uk_testcam_url(UkTestcam *testcam, guint index)
{
  g_return_val_if_fail(testcam != NULL, NULL);
  g_return_val_if_fail(index >= 1 && index <= testcam->options.cameras, NULL);

  return g_strdup_printf("rtsp://127.0.0.1:%u/cam%u", testcam->port, index);
}

void
uk_testcam_free(UkTestcam *testcam)
{
  if (testcam == NULL)
    return;

  if (testcam->pusher != NULL) {
    g_mutex_lock(&testcam->lock);
    testcam->stopping = TRUE;
    wake_pusher_locked(testcam);
    g_mutex_unlock(&testcam->lock);
    g_thread_join(g_steal_pointer(&testcam->pusher));
  }

  stop_server(testcam);

  /* Handlers still running in server threads see @stopping and back off;
   * their references keep the struct alive until they are gone. */
  g_mutex_lock(&testcam->lock);
  testcam->stopping = TRUE;
  for (guint i = 0; i < testcam->options.cameras; i++) {
    testcam->cameras[i].media = NULL;
    gst_clear_object(&testcam->cameras[i].appsrc);
  }
  g_mutex_unlock(&testcam->lock);

  /* gst-rtsp-server tears the medias of the closed clients down in its own
   * threads, and their handlers hold references. Wait a little for them, so
   * that everything is gone when this returns; should one hang, the last of
   * them frees the struct instead. */
  gint64 deadline = g_get_monotonic_time() + FREE_WAIT_US;
  while (!g_atomic_ref_count_compare(&testcam->ref_count, 1) && g_get_monotonic_time() < deadline)
    g_usleep(5 * 1000);
  testcam_unref(testcam);
}
