/* Unit tests: segment files (uk-segment, uk-fmp4) and the frame index. */
#include "uk-fmp4.h"
#include "uk-segment.h"
#include "uk-test-frames.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

static UkTrackInfo
fake_track(void)
{
  static const guint8 avcc[] = { 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0,    4,    0x67, 0x64,
                                 0, 0x1f, 1, 0,    4,    0x68, 0xee, 0x3c, 0x80 };
  UkTrackInfo t = { .codec = UK_CODEC_H264, .width = 1280, .height = 720 };
  t.codec_data = g_bytes_new_static(avcc, sizeof avcc);
  return t;
}

/* Writes @n frames with irregular sizes and walls; returns the frames as written. */
static GArray *
write_segment(const char *path, guint n)
{
  UkTrackInfo t = fake_track();
  g_autoptr(GError) error = NULL;
  g_autoptr(UkSegment) seg = uk_segment_create(path, &t, &error);
  g_assert_no_error(error);
  GArray *written = g_array_new(FALSE, FALSE, sizeof(UkFrame));
  gint64 wall = G_GINT64_CONSTANT(1764364443) * 90000;
  for (guint i = 0; i < n; i++) {
    guint32 size = 100 + (i * 37) % 900;
    g_autofree guint8 *data = g_malloc(size);
    memset(data, i & 0xff, size);
    UkFrame f = { .dts_90k = i * 3600,
                  .cts_90k = 0,
                  .duration_90k = 3600,
                  .wall_90k = wall,
                  .size = size,
                  .key = i % 50 == 0 };
    g_assert_true(uk_segment_write(seg, &f, data, &error));
    g_assert_no_error(error);
    g_array_append_val(written, f);
    wall += 3598 + (i % 3); /* a slewed wall clock */
  }
  g_assert_true(uk_segment_finish(seg, &error));
  uk_track_info_clear(&t);
  return written;
}

static void
test_roundtrip(void)
{
  g_autofree gchar *dir = g_dir_make_tmp("uk-fmp4-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename(dir, "cam", "day", "seg.mp4", NULL);
  g_autoptr(GArray) written = write_segment(path, 120);
  g_autoptr(GError) error = NULL;
  g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(c->frames->len, ==, 120);
  g_assert_cmpuint(c->valid_size, ==, c->file_size);
  g_assert_cmpint(c->track.codec, ==, UK_CODEC_H264);
  g_assert_cmpuint(c->track.width, ==, 1280);
  g_assert_cmpuint(c->track.height, ==, 720);
  g_assert_nonnull(c->track.codec_data);
  ukt_assert_frames_equal(written, c->frames, 120);

  /* The frame index in the database decodes to the same frames. */
  g_autoptr(GBytes) idx
      = uk_frame_index_encode((UkFrame *)written->data, written->len, c->init_size);
  g_assert_cmpuint(g_bytes_get_size(idx), <, 120 * 8);
  g_autoptr(GArray) decoded
      = uk_frame_index_decode(idx, g_array_index(written, UkFrame, 0).wall_90k, &error);
  g_assert_no_error(error);
  ukt_assert_frames_equal(written, decoded, 120);

  /* A corrupt index is an error, not a crash. */
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes(idx, 0, g_bytes_get_size(idx) / 2);
  g_assert_null(uk_frame_index_decode(cut, 0, &error));
  g_assert_nonnull(error);
  g_unlink(path);
}

/* A file cut anywhere (as by a crash) reads back as its complete frames. */
static void
test_truncated(void)
{
  g_autofree gchar *dir = g_dir_make_tmp("uk-fmp4-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename(dir, "seg.mp4", NULL);
  g_autoptr(GArray) written = write_segment(path, 30);
  g_autofree gchar *contents = NULL;
  gsize len;
  g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
  g_autofree gchar *cut = g_build_filename(dir, "cut.mp4", NULL);
  for (gsize at = 0; at <= len; at += (at < 2000 ? 1 : 97)) {
    g_assert_true(g_file_set_contents(cut, contents, at, NULL));
    g_autoptr(GError) error = NULL;
    g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(cut, &error);
    if (!c) {
      g_assert_nonnull(error);
      continue; /* cut inside the init segment */
    }
    /* Every frame reported is whole, and valid_size ends right after one. */
    guint n = c->frames->len;
    ukt_assert_frames_equal(written, c->frames, n);
    if (n > 0) {
      const UkFrame *last = &g_array_index(c->frames, UkFrame, n - 1);
      g_assert_cmpuint(c->valid_size, ==, last->offset + last->size);
    } else {
      g_assert_cmpuint(c->valid_size, ==, c->init_size);
    }
    g_assert_cmpuint(c->valid_size, <=, at);
    if (n < 30) {
      const UkFrame *next = &g_array_index(written, UkFrame, n);
      g_assert_cmpuint(next->offset + next->size, >, at);
    }
  }
  g_unlink(cut);
  g_unlink(path);
}

/* A growing file (a segment being written) is read on from where it was. */
static void
test_read_more(void)
{
  g_autofree gchar *dir = g_dir_make_tmp("uk-fmp4-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename(dir, "seg.mp4", NULL);
  g_autoptr(GArray) written = write_segment(path, 40);
  g_autofree gchar *contents = NULL;
  gsize len;
  g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
  g_autofree gchar *grow = g_build_filename(dir, "grow.mp4", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_set_contents(grow, contents, len / 3, NULL));
  g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(grow, &error);
  g_assert_no_error(error);
  guint first = c->frames->len;
  g_assert_cmpuint(first, <, 40);
  for (gsize at = len / 3 + 1000; at < len; at += 3001) { /* cut mid-fragment, then on */
    g_assert_true(g_file_set_contents(grow, contents, at, NULL));
    g_assert_true(uk_fmp4_read_more(grow, c, &error));
    ukt_assert_frames_equal(written, c->frames, c->frames->len);
  }
  g_assert_true(g_file_set_contents(grow, contents, len, NULL));
  g_assert_true(uk_fmp4_read_more(grow, c, &error));
  g_assert_cmpuint(c->frames->len, ==, 40);
  ukt_assert_frames_equal(written, c->frames, 40);
  g_assert_cmpuint(c->valid_size, ==, len);
}

/* Writes @path anew. Not g_file_set_contents, which syncs: slow for the
 * thousands of small files here (so is truncating a file on ext4). */
static void
put_file(const char *path, const guint8 *data, gsize size)
{
  g_unlink(path);
  FILE *f = fopen(path, "wb");
  g_assert_nonnull(f);
  g_assert_true(size == 0 || fwrite(data, 1, size, f) == size);
  g_assert_cmpint(fclose(f), ==, 0);
}

/* Reads @data (@size bytes) whole and as it grows (first @split bytes, then the
 * rest, as locate and live playback do), and checks that both agree. */
static void
assert_grows_alike(const char *dir, const guint8 *data, gsize size, const UkFmp4Contents *whole,
                   gsize split)
{
  g_autofree gchar *grow = g_build_filename(dir, "grow.mp4", NULL);
  put_file(grow, data, split);
  g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(grow, NULL);
  if (!c) {
    /* the init segment was not whole yet (or is not there at all) */
    g_assert_true(!whole || split < whole->init_size);
    return;
  }
  g_assert_nonnull(whole);
  put_file(grow, data, size);
  g_assert_true(uk_fmp4_read_more(grow, c, NULL));
  g_assert_cmpuint(c->init_size, ==, whole->init_size);
  g_assert_cmpuint(c->valid_size, ==, whole->valid_size);
  g_assert_cmpuint(c->frames->len, ==, whole->frames->len);
  ukt_assert_frames_equal(whole->frames, c->frames, whole->frames->len);
}

/* The fMP4 reader inputs in tests/data/fuzz-camera (libFuzzer inputs of
 * tests/fuzz-camera.c: byte 0 picks the part, 0 is the reader; byte 1 the split
 * point; the rest is the segment file). Each is read whole and as it grows,
 * split at every byte and grown a byte at a time: always the same frames, wall
 * times and valid size. */
static void
test_grow_alike(void)
{
  const char *srcdir = g_getenv("G_TEST_SRCDIR");
  g_autofree gchar *here = g_path_get_dirname(__FILE__);
  g_autofree gchar *inputs = g_build_filename(srcdir ? srcdir : here, "data", "fuzz-camera", NULL);
  g_autoptr(GDir) d = g_dir_open(inputs, 0, NULL);
  g_assert_nonnull(d);
  g_autofree gchar *dir = g_dir_make_tmp("uk-fmp4-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename(dir, "whole.mp4", NULL);
  g_autofree gchar *grow = g_build_filename(dir, "grow.mp4", NULL);
  guint n_inputs = 0;
  const char *name;
  while ((name = g_dir_read_name(d))) {
    g_autofree gchar *input = g_build_filename(inputs, name, NULL);
    g_autofree gchar *bytes = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(input, &bytes, &len, NULL));
    if (len < 2 || (guint8)bytes[0] % 5 != 0)
      continue; /* not a reader input */
    g_test_message("%s", name);
    n_inputs++;
    const guint8 *data = (const guint8 *)bytes + 2;
    gsize size = len - 2;
    put_file(path, data, size);
    g_autoptr(UkFmp4Contents) whole = uk_fmp4_read_file(path, NULL);
    for (gsize split = 0; split <= size; split++)
      assert_grows_alike(dir, data, size, whole, split);
    if (!whole)
      continue;

    /* A byte at a time, from the whole init segment on: at every size, what
     * was read so far is what reading that much whole gives. */
    put_file(grow, data, whole->init_size);
    g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(grow, NULL);
    g_assert_nonnull(c);
    for (gsize at = whole->init_size + 1; at <= size; at++) {
      put_file(grow, data, at);
      g_assert_true(uk_fmp4_read_more(grow, c, NULL));
      g_autoptr(UkFmp4Contents) cut = uk_fmp4_read_file(grow, NULL);
      g_assert_nonnull(cut);
      g_assert_cmpuint(c->valid_size, ==, cut->valid_size);
      g_assert_cmpuint(c->frames->len, ==, cut->frames->len);
      ukt_assert_frames_equal(cut->frames, c->frames, c->frames->len);
    }
    g_assert_cmpuint(c->valid_size, ==, whole->valid_size);
    g_assert_cmpuint(c->frames->len, ==, whole->frames->len);
  }
  g_assert_cmpuint(n_inputs, >, 0);
  g_unlink(grow);
  g_unlink(path);
  g_rmdir(dir);
}

static void
test_garbage(void)
{
  g_autofree gchar *dir = g_dir_make_tmp("uk-fmp4-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename(dir, "junk.mp4", NULL);
  g_assert_true(g_file_set_contents(path, "\0\0\0\x10moovjunkjunk\xff\xff\xff\xff", 20, NULL));
  g_autoptr(GError) error = NULL;
  g_assert_null(uk_fmp4_read_file(path, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error(&error);
  g_assert_null(uk_fmp4_read_file("/nonexistent/x.mp4", &error));
  g_assert_nonnull(error);
  g_unlink(path);
}

static void
test_find(void)
{
  g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(UkFrame));
  for (int i = 0; i < 5; i++) {
    UkFrame f = { .wall_90k = 1000 + i * 3600 };
    g_array_append_val(frames, f);
  }
  g_assert_cmpint(uk_frames_find(frames, 999), ==, -1);
  g_assert_cmpint(uk_frames_find(frames, 1000), ==, 0);
  g_assert_cmpint(uk_frames_find(frames, 4599), ==, 0);
  g_assert_cmpint(uk_frames_find(frames, 4600), ==, 1);
  g_assert_cmpint(uk_frames_find(frames, 999999), ==, 4);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/fmp4/roundtrip", test_roundtrip);
  g_test_add_func("/fmp4/truncated", test_truncated);
  g_test_add_func("/fmp4/read-more", test_read_more);
  g_test_add_func("/fmp4/garbage", test_garbage);
  g_test_add_func("/fmp4/grow-alike", test_grow_alike);
  g_test_add_func("/fmp4/find", test_find);
  return g_test_run();
}
