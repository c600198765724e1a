/* uk-clockmap: slewed mapping from camera media time to wall-clock time. */
#include "uk-clockmap.h"

#include <math.h>

void
uk_clockmap_init(UkClockMap *map)
{
  *map = (UkClockMap){ 0 };
  map->drift_rate = 1.0;
}

void
uk_clockmap_end_run(UkClockMap *map)
{
  map->running = FALSE;
}

static void
window_reset(UkClockMap *map, gint64 media_90k)
{
  map->window_start_90k = media_90k;
  map->window_min_resid_90k = G_MAXINT64;
}

static void
window_close(UkClockMap *map, gint64 media_90k, gint64 wall_90k)
{
  /* The least-delayed frame of the window is the best estimate of the truth:
   * arrival = capture + minimal transport delay. */
  gint64 m = map->window_min_media_90k, a = map->window_min_arrival_90k;
  if (!map->have_anchor) {
    map->have_anchor = TRUE;
    map->anchor_media_90k = m;
    map->anchor_arrival_90k = a;
  } else if (m - map->anchor_media_90k >= 2 * UK_CLOCKMAP_WINDOW_90K) {
    /* Trend of the least-delayed arrivals since the run's first window. */
    double slope = (double)(a - map->anchor_arrival_90k) / (double)(m - map->anchor_media_90k);
    double limit = UK_CLOCKMAP_MAX_SLEW_PPM * 1e-6;
    map->drift_rate = CLAMP(slope, 1.0 - limit, 1.0 + limit);
  }
  /* Aim at the trend line through (m, a) one window ahead. */
  double target = (double)a + (double)(media_90k + UK_CLOCKMAP_WINDOW_90K - m) * map->drift_rate;
  double rate = (target - (double)wall_90k) / (double)UK_CLOCKMAP_WINDOW_90K;
  double limit = UK_CLOCKMAP_MAX_SLEW_PPM * 1e-6;
  /* A large offset (a start-up backlog, a server clock step) is slewed
   * faster, but still without a jump: up to UK_CLOCKMAP_FAST_SLEW. */
  double offset = fabs(target - (double)wall_90k) - (double)UK_CLOCKMAP_WINDOW_90K * limit;
  if (offset > UK_CLOCKMAP_FAST_THRESHOLD_90K)
    limit = MIN(UK_CLOCKMAP_FAST_SLEW, limit + offset / (2.0 * UK_CLOCKMAP_WINDOW_90K));
  map->rate = CLAMP(rate, map->drift_rate - limit, map->drift_rate + limit);
  window_reset(map, media_90k);
}

void
uk_clockmap_start(UkClockMap *map, gint64 media_90k, gint64 wall_90k)
{
  map->running = TRUE;
  map->started = FALSE;
  map->last_media_90k = media_90k;
  map->last_wall_90k = wall_90k;
  map->rate = map->drift_rate;
  map->have_anchor = FALSE;
  map->max_abs_resid_90k = 0;
  window_reset(map, media_90k);
}

gint64
uk_clockmap_map(UkClockMap *map, gint64 media_90k, gint64 arrival_90k)
{
  if (!map->running)
    uk_clockmap_start(map, media_90k, arrival_90k);
  if (!map->started) {
    /* The run's first frame: its wall time is the origin given at start. */
    map->started = TRUE;
  } else {
    gint64 delta = MAX(media_90k - map->last_media_90k, 0);
    gint64 wall = map->last_wall_90k + (gint64)llround((double)delta * map->rate);
    if (wall <= map->last_wall_90k)
      wall = map->last_wall_90k + 1;
    map->last_media_90k = media_90k;
    map->last_wall_90k = wall;
  }

  gint64 resid = arrival_90k - map->last_wall_90k;
  if (resid < map->window_min_resid_90k) {
    map->window_min_resid_90k = resid;
    map->window_min_media_90k = media_90k;
    map->window_min_arrival_90k = arrival_90k;
  }
  if (ABS(resid) > map->max_abs_resid_90k)
    map->max_abs_resid_90k = ABS(resid);
  if (media_90k - map->window_start_90k >= UK_CLOCKMAP_WINDOW_90K)
    window_close(map, media_90k, map->last_wall_90k);
  return map->last_wall_90k;
}
