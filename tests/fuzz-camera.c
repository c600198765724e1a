/* libFuzzer target: what we parse ourselves of what a camera sends and of what
 * we made of it (GStreamer's RTSP/SDP/RTP parsing is GStreamer's; the hostile
 * camera black-box test in it_rel_hostile.py covers that path).
 *
 * The first input byte picks the part, the rest is its input:
 *   0  fMP4 segment reader (ingest/uk-fmp4.c): the bytes as a segment file, read
 *      whole and read in two steps (uk_fmp4_read_file + uk_fmp4_read_more, as
 *      `locate` and live playback do while a file grows); both must agree, and
 *      every frame must lie inside the valid part of the file.
 *   1  capture-time SEI (ingest/uk-sei.c): uk_sei_find on raw access-unit bytes;
 *      and build -> find round trip with values from the input.
 *   2  frame index (uk_frame_index_decode, stored in the database).
 *   3  clock mapping (ingest/uk-clockmap.c) with camera timestamps that jump
 *      back and forth and arrival times that stall or leap: wall times must
 *      stay strictly increasing within a run.
 *   4  writer -> reader round trip: an init segment for a track with the
 *      camera's codec data (SPS/PPS/VPS from the caps: any bytes, any size) and
 *      fragments for fuzzed frames, read back exactly.
 * Build and run: tests/run-fuzz.sh. */
#include "uk-clockmap.h"
#include "uk-fmp4.h"
#include "uk-sei.h"
#include "uk-test-frames.h"
#include "uk-test-util.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static gchar *dir;

static void
remove_dir(void)
{
  if (dir)
    ukt_remove_tree(dir);
}

static gchar *
write_file(const char *name, const guint8 *data, gsize size)
{
  gchar *path = g_build_filename(dir, name, NULL);
  g_assert(g_file_set_contents(path, (const gchar *)data, size, NULL));
  return path;
}

static void
append_file(const char *path, const guint8 *data, gsize size)
{
  FILE *f = fopen(path, "ab");
  g_assert(f);
  g_assert(size == 0 || fwrite(data, 1, size, f) == size);
  fclose(f);
}

static void
check_contents(const UkFmp4Contents *c)
{
  g_assert_cmpuint(c->init_size, <=, c->valid_size);
  g_assert_cmpuint(c->valid_size, <=, c->file_size);
  for (guint i = 0; i < c->frames->len; i++) {
    const UkFrame *f = &g_array_index(c->frames, UkFrame, i);
    g_assert_cmpuint(f->offset, >=, c->init_size);
    g_assert_cmpuint(f->offset + f->size, <=, c->valid_size);
  }
}

static void
frames_equal(const GArray *a, const GArray *b)
{
  g_assert_cmpuint(a->len, ==, b->len);
  ukt_assert_frames_equal(a, b, a->len);
}

static void
fuzz_reader(const guint8 *data, gsize size)
{
  if (size < 2)
    return;
  gsize split = (gsize)data[0] * (size - 1) / 255;
  data++, size--;
  g_autofree gchar *path = write_file("segment.mp4", data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(UkFmp4Contents) whole = uk_fmp4_read_file(path, &error);
  if (!whole) {
    g_assert(error);
    return;
  }
  check_contents(whole);
  if (whole->frames->len > 0)
    (void)uk_frames_find(whole->frames, g_array_index(whole->frames, UkFrame, 0).wall_90k);

  /* The same file as it grows: first @split bytes, then the rest. Every
   * file reads alike (a top-level box of size 0 ends the reading either way). */
  g_autofree gchar *grow = write_file("growing.mp4", data, split);
  g_autoptr(UkFmp4Contents) part = uk_fmp4_read_file(grow, NULL);
  if (!part)
    return; /* the init segment was not whole yet */
  check_contents(part);
  append_file(grow, data + split, size - split);
  g_assert(uk_fmp4_read_more(grow, part, NULL));
  check_contents(part);
  g_assert_cmpuint(part->init_size, ==, whole->init_size);
  g_assert_cmpuint(part->valid_size, ==, whole->valid_size);
  frames_equal(part->frames, whole->frames);
}

static void
fuzz_sei(const guint8 *data, gsize size)
{
  UkSeiCapture cap;
  if (uk_sei_find(data, size, &cap)) {
    /* What was found can be built again and found again. */
    g_autoptr(GBytes) built = uk_sei_build(FALSE, &cap);
    UkSeiCapture again;
    gsize n;
    const guint8 *p = g_bytes_get_data(built, &n);
    g_assert(uk_sei_find(p, n, &again));
    g_assert(again.capture_us == cap.capture_us && again.frame == cap.frame
             && again.cam == cap.cam);
  }
  if (size >= 20) {
    UkSeiCapture in = { 0 };
    memcpy(&in.capture_us, data, 8);
    memcpy(&in.frame, data + 8, 8);
    memcpy(&in.cam, data + 16, 4);
    g_autoptr(GBytes) built = uk_sei_build(data[0] & 1, &in);
    gsize n;
    const guint8 *p = g_bytes_get_data(built, &n);
    /* Inside an access unit, between arbitrary bytes. */
    g_autoptr(GByteArray) au = g_byte_array_new();
    g_byte_array_append(au, data + 20, (size - 20) / 2);
    g_byte_array_append(au, (const guint8 *)"\0\0\0\1", 4);
    g_byte_array_append(au, p, n);
    UkSeiCapture out;
    g_assert(uk_sei_find(au->data, au->len, &out));
    /* Garbage before it may hold an earlier valid SEI; only check the built one alone. */
    g_assert(uk_sei_find(p, n, &out));
    g_assert(out.capture_us == in.capture_us && out.frame == in.frame && out.cam == in.cam);
  }
}

static void
fuzz_index(const guint8 *data, gsize size)
{
  if (size < 8)
    return;
  gint64 start;
  memcpy(&start, data, 8);
  start >>= 8; /* a wall time within +-2^55 ticks */
  g_autoptr(GBytes) index = g_bytes_new(data + 8, size - 8);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) frames = uk_frame_index_decode(index, start, &error);
  g_assert((frames == NULL) == (error != NULL));
}

static gint32
get_i32(const guint8 *p)
{
  gint32 v;
  memcpy(&v, p, 4);
  return v;
}

static void
fuzz_clock(const guint8 *data, gsize size)
{
  UkClockMap map;
  uk_clockmap_init(&map);
  /* Plausible origins (a camera's 33-bit RTP clock unwrapped; today's wall time). */
  gint64 media = 1000 * 90000, arrival = (gint64)1795000000 * 90000;
  gint64 last_wall = G_MININT64;
  gboolean in_run = FALSE;
  for (gsize i = 0; i + 9 <= size; i += 9) {
    guint8 op = data[i];
    gint32 dm = get_i32(data + i + 1), da = get_i32(data + i + 5);
    switch (op & 3) {
      case 0: /* a frame a little later */
        media += dm & 0xffff;
        arrival += da & 0xffff;
        break;
      case 1: /* timestamps jump (back or forth), arrival stalls or leaps */
        media += dm;
        arrival += da;
        break;
      case 2: /* a new run (the recorder ends a run on a jump back) */
        uk_clockmap_end_run(&map);
        in_run = FALSE;
        media += dm;
        arrival += da & 0xffffff;
        if (op & 4) {
          uk_clockmap_start(&map, media, arrival);
          last_wall = G_MININT64;
          in_run = TRUE;
          /* the run's first frame maps to the origin given */
          gint64 w = uk_clockmap_map(&map, media, arrival);
          g_assert_cmpint(w, ==, arrival);
          last_wall = w;
        }
        continue;
      default: /* several frames at a steady rate */
        for (int k = 0; k < (op >> 2); k++) {
          media += 3600;
          arrival += 3600 + (da & 0xff);
          gint64 w = uk_clockmap_map(&map, media, arrival);
          if (in_run)
            g_assert_cmpint(w, >, last_wall);
          in_run = TRUE;
          last_wall = w;
        }
        continue;
    }
    gint64 w = uk_clockmap_map(&map, media, arrival);
    if (in_run)
      g_assert_cmpint(w, >, last_wall);
    in_run = TRUE;
    last_wall = w;
    g_assert(map.rate > 0.8 && map.rate < 1.2);
  }
}

static void
fuzz_roundtrip(const guint8 *data, gsize size)
{
  if (size < 6)
    return;
  UkTrackInfo info = { .codec = data[0] & 1 ? UK_CODEC_H265 : UK_CODEC_H264,
                       .width = (guint)data[1] << 8 | data[2],
                       .height = (guint)data[3] << 8 | data[4] };
  gsize cd_size = MIN((gsize)data[5] * 8, size - 6);
  info.codec_data = g_bytes_new(data + 6, cd_size);
  data += 6 + cd_size;
  size -= 6 + cd_size;

  g_autoptr(GBytes) init = uk_fmp4_init_segment(&info);
  g_autoptr(GByteArray) file = g_byte_array_new();
  gsize init_size;
  const guint8 *init_data = g_bytes_get_data(init, &init_size);
  g_byte_array_append(file, init_data, init_size);

  g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(UkFrame));
  gint64 dts = 0, wall = (gint64)1795000000 * 90000;
  for (guint32 seq = 1; size >= 8; seq++) {
    UkFrame f = { .dts_90k = dts,
                  .cts_90k = (gint16)(data[0] << 8 | data[1]),
                  .duration_90k = (guint32)data[2] << 8 | data[3],
                  .wall_90k = wall,
                  .size = MIN((gsize)data[4], size - 8),
                  .key = data[5] & 1 };
    f.offset = file->len + UK_FMP4_FRAME_HEADER_SIZE;
    guint8 header[UK_FMP4_FRAME_HEADER_SIZE];
    uk_fmp4_frame_header(header, seq, &f);
    g_byte_array_append(file, header, sizeof header);
    g_byte_array_append(file, data + 8, f.size);
    g_array_append_val(frames, f);
    dts += f.duration_90k;
    wall += f.duration_90k + (data[6] & 0x7f);
    data += 8 + f.size;
    size -= 8 + f.size;
  }

  g_autofree gchar *path = write_file("roundtrip.mp4", file->data, file->len);
  g_autoptr(GError) error = NULL;
  g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(c->init_size, ==, init_size);
  g_assert_cmpuint(c->valid_size, ==, file->len);
  g_assert_cmpint(c->track.codec, ==, info.codec);
  g_assert_cmpuint(c->track.width, ==, info.width);
  g_assert_cmpuint(c->track.height, ==, info.height);
  g_assert(c->track.codec_data && g_bytes_equal(c->track.codec_data, info.codec_data));
  frames_equal(c->frames, frames);

  /* The frame index of the same frames decodes to them too (offsets follow the headers). */
  if (frames->len > 0) {
    g_autoptr(GBytes) index
        = uk_frame_index_encode((const UkFrame *)frames->data, frames->len, init_size);
    g_autoptr(GArray) decoded
        = uk_frame_index_decode(index, g_array_index(frames, UkFrame, 0).wall_90k, &error);
    g_assert_no_error(error);
    frames_equal(decoded, frames);
  }
  uk_track_info_clear(&info);
}

/* With UK_FUZZ_SEEDS=DIR set, writes one seed per part into DIR (run-fuzz.sh
 * does): a real segment with a few frames, an access unit with the SEI, a
 * frame index, a clock run, and a round trip input. */
static void
write_seed(const char *folder, const char *name, guint8 part, const guint8 *data, gsize size)
{
  g_autoptr(GByteArray) b = g_byte_array_new();
  g_byte_array_append(b, &part, 1);
  g_byte_array_append(b, data, size);
  g_autofree gchar *path = g_build_filename(folder, name, NULL);
  g_assert(g_file_set_contents(path, (const gchar *)b->data, b->len, NULL));
}

static void
write_seeds(const char *folder)
{
  static const guint8 avcc[]
      = { 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee };
  UkTrackInfo info = { .codec = UK_CODEC_H264,
                       .width = 1280,
                       .height = 720,
                       .codec_data = g_bytes_new_static(avcc, sizeof avcc) };
  g_autoptr(GBytes) init = uk_fmp4_init_segment(&info);
  g_autoptr(GByteArray) seg = g_byte_array_new();
  guint8 split = 128;
  g_byte_array_append(seg, &split, 1);
  g_byte_array_append(seg, g_bytes_get_data(init, NULL), g_bytes_get_size(init));
  g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(UkFrame));
  for (guint i = 0; i < 4; i++) {
    UkSeiCapture cap = { .capture_us = 1795000000000000 + i * 40000, .frame = i, .cam = 1 };
    g_autoptr(GBytes) sei = uk_sei_build(FALSE, &cap);
    UkFrame f = { .dts_90k = i * 3600,
                  .cts_90k = 0,
                  .duration_90k = 3600,
                  .wall_90k = (gint64)1795000000 * 90000 + i * 3600,
                  .size = 4 + g_bytes_get_size(sei),
                  .key = i == 0 };
    f.offset = seg->len - 1 + UK_FMP4_FRAME_HEADER_SIZE;
    guint8 header[UK_FMP4_FRAME_HEADER_SIZE];
    uk_fmp4_frame_header(header, i + 1, &f);
    g_byte_array_append(seg, header, sizeof header);
    guint8 len[4] = { 0, 0, 0, g_bytes_get_size(sei) };
    g_byte_array_append(seg, len, 4);
    g_byte_array_append(seg, g_bytes_get_data(sei, NULL), g_bytes_get_size(sei));
    g_array_append_val(frames, f);
    if (i == 0)
      write_seed(folder, "sei", 1, g_bytes_get_data(sei, NULL), g_bytes_get_size(sei));
  }
  write_seed(folder, "segment", 0, seg->data, seg->len);
  g_autoptr(GBytes) index
      = uk_frame_index_encode((const UkFrame *)frames->data, frames->len, g_bytes_get_size(init));
  g_autoptr(GByteArray) ix = g_byte_array_new();
  gint64 start = (gint64)1795000000 * 90000 << 8;
  g_byte_array_append(ix, (const guint8 *)&start, 8);
  g_byte_array_append(ix, g_bytes_get_data(index, NULL), g_bytes_get_size(index));
  write_seed(folder, "index", 2, ix->data, ix->len);
  static const guint8 clock[] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0, 0, 0x80, 0, 0, 0, 0,
                                  0x7f, 0, 0, 0, 0, 5, 0, 0, 0, 6, 0,    0, 0, 0,    0, 0, 0, 0 };
  write_seed(folder, "clock", 3, clock, sizeof clock);
  g_autoptr(GByteArray) rt = g_byte_array_new();
  static const guint8 head[] = { 0, 5, 0, 2, 0xd0, 3 };
  g_byte_array_append(rt, head, sizeof head);
  g_byte_array_append(rt, avcc, 24 > sizeof avcc ? sizeof avcc : 24);
  static const guint8 pad[] = { 0, 0, 0, 0, 0, 0, 0 };
  g_byte_array_append(rt, pad, 24 - sizeof avcc);
  static const guint8 frame[] = { 0, 0, 0x0e, 0x10, 4, 1, 0, 0, 0xde, 0xad, 0xbe, 0xef };
  for (int i = 0; i < 3; i++)
    g_byte_array_append(rt, frame, sizeof frame);
  write_seed(folder, "roundtrip", 4, rt->data, rt->len);
  g_bytes_unref(info.codec_data);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  const char *seeds = g_getenv("UK_FUZZ_SEEDS");
  if (seeds)
    write_seeds(seeds);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!dir) {
    const char *base = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir();
    g_autofree gchar *tmpl = g_build_filename(base, "uk-fuzz-camera-XXXXXX", NULL);
    dir = g_mkdtemp(g_steal_pointer(&tmpl));
    g_assert(dir);
    atexit(remove_dir);
  }
  if (size < 1 || size > 1 << 20)
    return 0;
  switch (data[0] % 5) {
    case 0:
      fuzz_reader(data + 1, size - 1);
      break;
    case 1:
      fuzz_sei(data + 1, size - 1);
      break;
    case 2:
      fuzz_index(data + 1, size - 1);
      break;
    case 3:
      fuzz_clock(data + 1, size - 1);
      break;
    default:
      fuzz_roundtrip(data + 1, size - 1);
      break;
  }
  return 0;
}
