/* uk-testcam: simulated RTSP cameras (gst-rtsp-server) for the demo, tests and benches.
 *
 * One clip (1280x720 or 1920x1080, 25 fps, ~3 Mbit/s, 2 s GOP, no B-frames,
 * a burnt-in frame counter) is encoded once at start and held in memory; every
 * camera serves it in a loop at rtsp://127.0.0.1:PORT/camN (N = 1..cameras),
 * each frame carrying a capture-time SEI (uk-sei.h). With @drift_ppm != 0 a
 * camera's media clock (RTP timestamps, RTCP) runs that many ppm fast (negative:
 * slow) against the true wall clock, as a real camera's crystal does. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  guint cameras;       /* >= 1 */
  guint16 port;        /* RTSP port on 127.0.0.1 */
  double drift_ppm;    /* 0 = exact */
  gboolean h265;       /* H.265 instead of H.264 */
  guint width, height; /* 1280x720 (default) or 1920x1080 */
  guint clip_seconds;  /* length of the looped clip, multiple of 2; default 10 */
} UkTestcamOptions;

typedef struct _UkTestcam UkTestcam;

/* Encodes the clip and starts serving on @context (NULL: the thread-default
 * main context). Fails with a GError when the port is taken or an encoder is
 * missing. (transfer full) */
UkTestcam *uk_testcam_new(const UkTestcamOptions *options, GMainContext *context, GError **error);

/* rtsp://127.0.0.1:PORT/camN for camera @index (1-based). (transfer full) */
gchar *uk_testcam_url(UkTestcam *testcam, guint index);

void uk_testcam_free(UkTestcam *testcam);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkTestcam, uk_testcam_free)

G_END_DECLS
