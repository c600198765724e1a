/* uk-sei: the capture-time SEI that the simulated cameras put in every frame.
 *
 * Every access unit that `uitkijk testcam` sends carries one SEI NAL unit
 * (H.264 type 6, H.265 prefix SEI type 39) with payload type 5 (user data
 * unregistered): the 16-byte UK_SEI_UUID, then ASCII text
 *   "uitkijk capture_us=<int64> frame=<uint64> cam=<n>"
 * capture_us is the true wall-clock time (g_get_real_time) at which the frame
 * was captured. The payload holds no zero bytes, so no emulation prevention is
 * ever needed and a test can find it by searching the raw recorded bytes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "uitkijk-capture!" in ASCII: 16 bytes, no zero byte. */
#define UK_SEI_UUID "uitkijk-capture!"

typedef struct {
  gint64 capture_us;
  guint64 frame;
  guint cam;
} UkSeiCapture;

/* Builds the SEI NAL unit (without start code or length prefix) for H.264
 * (@h265 FALSE) or H.265. (transfer full) */
GBytes *uk_sei_build(gboolean h265, const UkSeiCapture *cap);

/* Looks for the capture SEI in @data (any framing: the ASCII payload is searched
 * for directly). Returns TRUE and fills @out when found. */
gboolean uk_sei_find(const guint8 *data, gsize size, UkSeiCapture *out);

G_END_DECLS
