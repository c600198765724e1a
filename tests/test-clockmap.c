/* Unit tests: mapping a drifting camera clock to wall-clock time (docs/TIME.md). */
#include "uk-clockmap.h"

#include <math.h>

#define FRAME_90K 3600
#define FRAME_NS (40 * G_GINT64_CONSTANT(1000000))
#define T0_90K (G_GINT64_CONSTANT(1764364443) * 90000)

/* Simulates a camera at 25 fps whose clock runs @ppm fast for @frames frames,
 * with network delay 2 ms plus random jitter up to @jitter_ms, and occasional
 * bursts. Returns the worst |wall - capture time| after the first
 * @settle_frames frames, in ms; fails if the slew bound is exceeded. */
static double
simulate(UkClockMap *map, double ppm, guint frames, double jitter_ms, guint settle_frames,
         gint64 *truth_start, GRand *rand)
{
  double worst = 0;
  gint64 prev_wall = 0, prev_media = 0;
  for (guint i = 0; i < frames; i++) {
    /* True capture instant of frame i: the camera thinks 40 ms pass per frame,
     * but its crystal is fast, so really 40 ms / (1 + ppm). */
    double capture_90k = *truth_start + i * FRAME_90K / (1.0 + ppm * 1e-6);
    double delay_ms = 2.0 + g_rand_double(rand) * jitter_ms;
    if (g_rand_int_range(rand, 0, 500) == 0)
      delay_ms += 300; /* a burst */
    gint64 arrival = (gint64)llround(capture_90k + delay_ms * 90);
    gint64 media = (gint64)i * FRAME_90K + 12345;
    gint64 wall = uk_clockmap_map(map, media, arrival);
    if (i > 0) {
      g_assert_cmpint(wall, >, prev_wall);
      double rate = (double)(wall - prev_wall) / (double)(media - prev_media);
      g_assert_cmpfloat(fabs(rate - 1.0), <=, UK_CLOCKMAP_MAX_SLEW_PPM * 1e-6 + 1e-4);
    }
    prev_wall = wall;
    prev_media = media;
    /* The truth as the mapping can know it: capture + the least delay. */
    double err_ms = fabs((wall - (capture_90k + 2.0 * 90)) / 90.0);
    if (i >= settle_frames)
      worst = MAX(worst, err_ms);
  }
  *truth_start += (gint64)llround(frames * FRAME_90K / (1.0 + ppm * 1e-6));
  return worst;
}

static void
check_drift(double ppm)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(42);
  UkClockMap map;
  uk_clockmap_init(&map);
  gint64 t = T0_90K;
  /* Two hours of a camera drifting @ppm: within one frame interval (40 ms)
   * throughout, and within 5 ms once settled. */
  double worst_all = simulate(&map, ppm, 2 * 3600 * 25, 5.0, 0, &t, rand);
  g_assert_cmpfloat(worst_all, <, 40.0);
  uk_clockmap_end_run(&map);
  /* A reconnect: the drift learnt is kept, so the new run is right at once. */
  t += 10 * 90000;
  double worst_rerun = simulate(&map, ppm, 10 * 60 * 25, 5.0, 0, &t, rand);
  g_test_message("drift %+.0f ppm: worst %.2f ms, after reconnect %.2f ms", ppm, worst_all,
                 worst_rerun);
  g_assert_cmpfloat(worst_rerun, <, 10.0);
}

static void
test_no_drift(void)
{
  check_drift(0);
}

static void
test_fast_500(void)
{
  check_drift(500);
}

static void
test_slow_300(void)
{
  check_drift(-300);
}

static void
test_settles(void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(7);
  UkClockMap map;
  uk_clockmap_init(&map);
  gint64 t = T0_90K;
  double worst = simulate(&map, 500, 30 * 60 * 25, 5.0, 60 * 25, &t, rand);
  g_assert_cmpfloat(worst, <, 5.0);
}

/* A start-up backlog: the run's first 10 s arrive in a late burst (4 s
 * behind), as when many cameras start at once on a busy server. The map must
 * catch up without a jump, at most 10 % fast, and be right within a minute. */
static void
test_backlog(void)
{
  UkClockMap map;
  uk_clockmap_init(&map);
  gint64 prev_wall = 0;
  double worst_late = 0;
  for (guint i = 0; i < 5 * 60 * 25; i++) {
    double capture_90k = T0_90K + i * FRAME_90K;
    double backlog_90k = i < 250 ? 4.0 * 90000 - i * FRAME_90K * 0.4 : 0; /* drains */
    if (backlog_90k < 0)
      backlog_90k = 0;
    gint64 arrival = (gint64)llround(capture_90k + 2 * 90 + backlog_90k);
    gint64 media = (gint64)i * FRAME_90K;
    gint64 wall = uk_clockmap_map(&map, media, arrival);
    if (i > 0) {
      double rate = (double)(wall - prev_wall) / FRAME_90K;
      g_assert_cmpfloat(rate, >=, 1.0 - UK_CLOCKMAP_FAST_SLEW - 0.01);
      g_assert_cmpfloat(rate, <=, 1.0 + UK_CLOCKMAP_FAST_SLEW + 0.01);
    }
    prev_wall = wall;
    if (i >= 60 * 25)
      worst_late = MAX(worst_late, fabs((wall - capture_90k) / 90.0));
  }
  g_test_message("backlog: worst error after the first minute %.1f ms", worst_late);
  g_assert_cmpfloat(worst_late, <, 40.0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/clockmap/no-drift", test_no_drift);
  g_test_add_func("/clockmap/fast-500ppm", test_fast_500);
  g_test_add_func("/clockmap/slow-300ppm", test_slow_300);
  g_test_add_func("/clockmap/settles", test_settles);
  g_test_add_func("/clockmap/backlog", test_backlog);
  return g_test_run();
}
