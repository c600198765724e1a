/* uk-clockmap: maps a camera's media clock (RTP timestamps) to wall-clock time.
 *
 * Cameras' clocks drift (tens to hundreds of ppm) and many never sync NTP, so
 * the camera's own idea of time is not trusted. Instead each frame's wall time
 * follows the server's arrival clock, slewed (never stepped) within a run:
 *   wall(frame) = wall(previous) + media_delta * rate
 * where rate is re-chosen every UK_CLOCKMAP_WINDOW_90K of media so that wall
 * times track the earliest arrivals (the least-delayed frames) of the last
 * window, within +-UK_CLOCKMAP_MAX_SLEW_PPM. The drift learnt during a run is
 * kept for the camera's next run. docs/TIME.md explains and justifies this.
 *
 * Not thread-safe: each camera's map is used by that camera's streaming thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UK_CLOCKMAP_WINDOW_90K (5 * 90000)
#define UK_CLOCKMAP_MAX_SLEW_PPM 2000.0
/* Offsets beyond 100 ms are slewed at up to 10 % (docs/TIME.md). */
#define UK_CLOCKMAP_FAST_THRESHOLD_90K (90000 / 10)
#define UK_CLOCKMAP_FAST_SLEW 0.10
/* A run's first second: its frames are held until the least-delayed of them
 * fixes the run's origin (uk_clockmap_start). */
#define UK_CLOCKMAP_WARMUP_90K 90000

typedef struct {
  /* learnt across runs */
  double drift_rate; /* wall seconds per media second, from the trend of arrivals */

  /* the current run */
  gboolean running;
  gboolean started;                     /* the run's first frame has been mapped */
  gint64 last_media_90k, last_wall_90k; /* the last mapped frame */
  double rate;                          /* rate in force for this window */
  gint64 window_start_90k;              /* media time the window began */
  gint64 window_min_resid_90k;          /* min(arrival - wall) in the window */
  gint64 window_min_media_90k, window_min_arrival_90k;
  gboolean have_anchor; /* first window's least-delayed frame, for the trend */
  gint64 anchor_media_90k, anchor_arrival_90k;
  gint64 max_abs_resid_90k; /* statistics: worst |arrival - wall| in this run */
} UkClockMap;

void uk_clockmap_init(UkClockMap *map);

/* Starts a run whose frame at @media_90k was presented at @wall_90k. */
void uk_clockmap_start(UkClockMap *map, gint64 media_90k, gint64 wall_90k);

/* Ends the current run; the learnt drift is kept. */
void uk_clockmap_end_run(UkClockMap *map);

/* Maps the frame presented at @media_90k (camera clock, any origin, must not go
 * backwards within a run) that arrived at @arrival_90k (server wall clock).
 * Without uk_clockmap_start, the first frame of a run maps to its arrival. Returns the frame's wall
 * time; strictly increasing within a run. */
gint64 uk_clockmap_map(UkClockMap *map, gint64 media_90k, gint64 arrival_90k);

G_END_DECLS
