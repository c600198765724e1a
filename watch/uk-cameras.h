/* uk-cameras: the live status of every camera, as the console shows it.
 *
 * The daemon copies each recorder's health here once a second (and at every
 * state change); the console reads it. GLib only, control thread only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gchar *id;
  gchar *area;
  gchar *name;
  gchar *location;
  gchar *state; /* "connecting", "recording", "down", "stopped" */
  gchar *codec; /* "h264", "h265" or NULL before the first frame */
  gchar *last_error;
  double fps;
  double bitrate_bps;
  gint64 last_frame_90k;
  guint reconnects;
  guint64 bytes_recorded;
  guint64 frames_recorded;
  gchar *blocked;          /* why it may not record nor be watched live now (no active
                            * designation, disk full of held footage), or NULL */
  gboolean live_watch_now; /* in a live-watch window of its designation */
} UkCameraStatus;

typedef struct _UkCameraBoard UkCameraBoard;

UkCameraBoard *uk_camera_board_new(void);
void uk_camera_board_free(UkCameraBoard *board);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkCameraBoard, uk_camera_board_free)

/* Adds a camera (in config order); its state starts as "stopped". */
void uk_camera_board_add(UkCameraBoard *board, const char *id, const char *area, const char *name,
                         const char *location);

/* The camera's status to update in place, or NULL. (transfer none) */
UkCameraStatus *uk_camera_board_get(UkCameraBoard *board, const char *id);

/* Replaces a string field, returning TRUE when it changed. */
gboolean uk_camera_status_set(gchar **field, const char *value);

/* All cameras in config order. (element-type UkCameraStatus) (transfer none) */
const GPtrArray *uk_camera_board_list(UkCameraBoard *board);

G_END_DECLS
