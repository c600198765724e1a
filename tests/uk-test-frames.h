/* uk-test-frames: comparing frame lists, for the fMP4 unit test and the
 * camera fuzz target (header only: each is a program of its own). */
#pragma once

#include "uk-fmp4.h"

/* The first @n frames of @a and @b are the same in every field. */
static inline void
ukt_assert_frames_equal(const GArray *a, const GArray *b, guint n)
{
  for (guint i = 0; i < n; i++) {
    const UkFrame *x = &g_array_index(a, UkFrame, i), *y = &g_array_index(b, UkFrame, i);
    g_assert_cmpint(x->dts_90k, ==, y->dts_90k);
    g_assert_cmpint(x->cts_90k, ==, y->cts_90k);
    g_assert_cmpuint(x->duration_90k, ==, y->duration_90k);
    g_assert_cmpint(x->wall_90k, ==, y->wall_90k);
    g_assert_cmpuint(x->offset, ==, y->offset);
    g_assert_cmpuint(x->size, ==, y->size);
    g_assert_cmpint(x->key, ==, y->key);
  }
}
