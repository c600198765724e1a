/* uk-fmp4: writing and reading uitkijk's fragmented MP4 segment files.
 *
 * The writer emits exactly one layout (uk-fmp4.h); the reader accepts what the
 * writer emits, however short a crash left it, and never reads outside the
 * file. Box layouts follow ISO/IEC 14496-12 (ISO BMFF). */
#include "uk-fmp4.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTP_UNIX_OFFSET G_GUINT64_CONSTANT(2208988800)
#define TRACK_ID 1
#define MOOF_SIZE 104
#define PRFT_SIZE 32

/* Sample flags (14496-12 8.8.3.1): sample_depends_on and sample_is_non_sync_sample. */
#define SAMPLE_FLAGS_KEY 0x02000000u
#define SAMPLE_FLAGS_DELTA 0x01010000u
#define SAMPLE_IS_NON_SYNC 0x00010000u

const char *
uk_codec_name(UkCodec codec)
{
  return codec == UK_CODEC_H265 ? "h265" : "h264";
}

void
uk_track_info_clear(UkTrackInfo *info)
{
  g_clear_pointer(&info->codec_data, g_bytes_unref);
}

/* ---- writing ---- */

static void
put_u8(GByteArray *b, guint8 v)
{
  g_byte_array_append(b, &v, 1);
}

static void
put_u16(GByteArray *b, guint16 v)
{
  guint8 x[2] = { v >> 8, v };
  g_byte_array_append(b, x, 2);
}

static void
put_u32(GByteArray *b, guint32 v)
{
  guint8 x[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append(b, x, 4);
}

static void
put_zeros(GByteArray *b, guint n)
{
  for (guint i = 0; i < n; i++)
    put_u8(b, 0);
}

static void
put_fourcc(GByteArray *b, const char *fourcc)
{
  g_byte_array_append(b, (const guint8 *)fourcc, 4);
}

/* Opens a box: writes a placeholder size and the type; returns where it starts. */
static guint
box_open(GByteArray *b, const char *type)
{
  guint start = b->len;
  put_u32(b, 0);
  put_fourcc(b, type);
  return start;
}

static guint
full_box_open(GByteArray *b, const char *type, guint8 version, guint32 flags)
{
  guint start = box_open(b, type);
  put_u32(b, ((guint32)version << 24) | (flags & 0xffffff));
  return start;
}

static void
box_close(GByteArray *b, guint start)
{
  guint32 size = b->len - start;
  b->data[start] = size >> 24;
  b->data[start + 1] = size >> 16;
  b->data[start + 2] = size >> 8;
  b->data[start + 3] = size;
}

static void
put_matrix(GByteArray *b)
{
  static const guint32 unity[9] = { 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000 };
  for (guint i = 0; i < 9; i++)
    put_u32(b, unity[i]);
}

static void
put_empty_table(GByteArray *b, const char *type)
{
  guint box = full_box_open(b, type, 0, 0);
  put_u32(b, 0);
  box_close(b, box);
}

GBytes *
uk_fmp4_init_segment(const UkTrackInfo *info)
{
  g_autoptr(GByteArray) b = g_byte_array_sized_new(1024);
  gsize cd_size = 0;
  const guint8 *cd = info->codec_data ? g_bytes_get_data(info->codec_data, &cd_size) : NULL;

  guint ftyp = box_open(b, "ftyp");
  put_fourcc(b, "iso6");
  put_u32(b, 0);
  put_fourcc(b, "iso6");
  put_fourcc(b, "iso5");
  put_fourcc(b, "isom");
  put_fourcc(b, "mp41");
  box_close(b, ftyp);

  guint moov = box_open(b, "moov");
  guint mvhd = full_box_open(b, "mvhd", 0, 0);
  put_u32(b, 0); /* creation_time */
  put_u32(b, 0); /* modification_time */
  put_u32(b, UK_FMP4_TIMESCALE);
  put_u32(b, 0);          /* duration: unknown, fragments follow */
  put_u32(b, 0x00010000); /* rate 1.0 */
  put_u16(b, 0x0100);     /* volume 1.0 */
  put_zeros(b, 10);
  put_matrix(b);
  put_zeros(b, 24); /* pre_defined */
  put_u32(b, TRACK_ID + 1);
  box_close(b, mvhd);

  guint trak = box_open(b, "trak");
  guint tkhd = full_box_open(b, "tkhd", 0, 3); /* enabled, in movie */
  put_u32(b, 0);
  put_u32(b, 0);
  put_u32(b, TRACK_ID);
  put_u32(b, 0);
  put_u32(b, 0); /* duration */
  put_zeros(b, 8);
  put_u16(b, 0); /* layer */
  put_u16(b, 0); /* alternate_group */
  put_u16(b, 0); /* volume */
  put_u16(b, 0);
  put_matrix(b);
  put_u32(b, info->width << 16);
  put_u32(b, info->height << 16);
  box_close(b, tkhd);

  guint mdia = box_open(b, "mdia");
  guint mdhd = full_box_open(b, "mdhd", 0, 0);
  put_u32(b, 0);
  put_u32(b, 0);
  put_u32(b, UK_FMP4_TIMESCALE);
  put_u32(b, 0);
  put_u16(b, 0x55c4); /* "und" */
  put_u16(b, 0);
  box_close(b, mdhd);
  guint hdlr = full_box_open(b, "hdlr", 0, 0);
  put_u32(b, 0);
  put_fourcc(b, "vide");
  put_zeros(b, 12);
  g_byte_array_append(b, (const guint8 *)"uitkijk\0", 8);
  box_close(b, hdlr);

  guint minf = box_open(b, "minf");
  guint vmhd = full_box_open(b, "vmhd", 0, 1);
  put_zeros(b, 8);
  box_close(b, vmhd);
  guint dinf = box_open(b, "dinf");
  guint dref = full_box_open(b, "dref", 0, 0);
  put_u32(b, 1);
  guint url = full_box_open(b, "url ", 0, 1); /* media data in this file */
  box_close(b, url);
  box_close(b, dref);
  box_close(b, dinf);

  guint stbl = box_open(b, "stbl");
  guint stsd = full_box_open(b, "stsd", 0, 0);
  put_u32(b, 1);
  guint entry = box_open(b, info->codec == UK_CODEC_H265 ? "hvc1" : "avc1");
  put_zeros(b, 6);
  put_u16(b, 1); /* data_reference_index */
  put_zeros(b, 16);
  put_u16(b, info->width);
  put_u16(b, info->height);
  put_u32(b, 0x00480000); /* 72 dpi */
  put_u32(b, 0x00480000);
  put_u32(b, 0);
  put_u16(b, 1);      /* frame_count */
  put_zeros(b, 32);   /* compressorname */
  put_u16(b, 0x0018); /* depth */
  put_u16(b, 0xffff); /* pre_defined = -1 */
  guint cfg = box_open(b, info->codec == UK_CODEC_H265 ? "hvcC" : "avcC");
  if (cd)
    g_byte_array_append(b, cd, cd_size);
  box_close(b, cfg);
  box_close(b, entry);
  box_close(b, stsd);
  put_empty_table(b, "stts");
  put_empty_table(b, "stsc");
  guint stsz = full_box_open(b, "stsz", 0, 0);
  put_u32(b, 0);
  put_u32(b, 0);
  box_close(b, stsz);
  put_empty_table(b, "stco");
  box_close(b, stbl);
  box_close(b, minf);
  box_close(b, mdia);
  box_close(b, trak);

  guint mvex = box_open(b, "mvex");
  guint trex = full_box_open(b, "trex", 0, 0);
  put_u32(b, TRACK_ID);
  put_u32(b, 1);
  put_u32(b, 0);
  put_u32(b, 0);
  put_u32(b, 0);
  box_close(b, trex);
  box_close(b, mvex);
  box_close(b, moov);

  return g_byte_array_free_to_bytes(g_steal_pointer(&b));
}

static guint64
ntp_from_90k(gint64 t_90k)
{
  if (t_90k < 0)
    return 0;
  guint64 secs = t_90k / UK_FMP4_TIMESCALE;
  guint64 rem = t_90k % UK_FMP4_TIMESCALE;
  guint64 frac = ((rem << 32) + UK_FMP4_TIMESCALE / 2) / UK_FMP4_TIMESCALE;
  return ((secs + NTP_UNIX_OFFSET) << 32) | (frac & 0xffffffffu);
}

static gint64
ntp_to_90k(guint64 ntp)
{
  gint64 secs = (gint64)(ntp >> 32) - (gint64)NTP_UNIX_OFFSET;
  guint64 frac = ntp & 0xffffffffu;
  return secs * UK_FMP4_TIMESCALE + (gint64)((frac * UK_FMP4_TIMESCALE + (1ull << 31)) >> 32);
}

static guint8 *
w32(guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
  return p + 4;
}

static guint8 *
w64(guint8 *p, guint64 v)
{
  return w32(w32(p, v >> 32), (guint32)v);
}

static guint8 *
wbox(guint8 *p, guint32 size, const char *type)
{
  p = w32(p, size);
  memcpy(p, type, 4);
  return p + 4;
}

void
uk_fmp4_frame_header(guint8 *out, guint32 seq, const UkFrame *frame)
{
  guint8 *p = out;

  p = wbox(p, PRFT_SIZE, "prft");
  p = w32(p, 0x01000000); /* version 1, flags 0 */
  p = w32(p, TRACK_ID);
  p = w64(p, ntp_from_90k(frame->wall_90k));
  p = w64(p, (guint64)(frame->dts_90k + frame->cts_90k));

  p = wbox(p, MOOF_SIZE, "moof");
  p = wbox(p, 16, "mfhd");
  p = w32(p, 0);
  p = w32(p, seq);
  p = wbox(p, 80, "traf");
  p = wbox(p, 16, "tfhd");
  p = w32(p, 0x020000); /* default-base-is-moof */
  p = w32(p, TRACK_ID);
  p = wbox(p, 20, "tfdt");
  p = w32(p, 0x01000000);
  p = w64(p, (guint64)frame->dts_90k);
  p = wbox(p, 36, "trun");
  p = w32(p, 0x01000f01); /* v1: offset, duration, size, flags, cts */
  p = w32(p, 1);
  p = w32(p, MOOF_SIZE + 8);
  p = w32(p, frame->duration_90k);
  p = w32(p, frame->size);
  p = w32(p, frame->key ? SAMPLE_FLAGS_KEY : SAMPLE_FLAGS_DELTA);
  p = w32(p, (guint32)frame->cts_90k);

  p = wbox(p, 8 + frame->size, "mdat");
  g_assert(p - out == UK_FMP4_FRAME_HEADER_SIZE);
}

/* ---- reading ---- */

static guint32
r32(const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static guint64
r64(const guint8 *p)
{
  return ((guint64)r32(p) << 32) | r32(p + 4);
}

/* A view of a byte range, bounds-checked. */
typedef struct {
  const guint8 *data;
  gsize size;
} Span;

/* Finds the first child box of @type inside @parent (starting at @skip bytes);
 * fills @out with its payload. */
static gboolean
find_child(Span parent, gsize skip, const char *type, Span *out)
{
  gsize pos = skip;
  while (pos + 8 <= parent.size) {
    guint64 size = r32(parent.data + pos);
    gsize hdr = 8;
    if (size == 1) {
      if (pos + 16 > parent.size)
        return FALSE;
      size = r64(parent.data + pos + 8);
      hdr = 16;
    } else if (size == 0) {
      size = parent.size - pos;
    }
    if (size < hdr || size > parent.size - pos)
      return FALSE;
    if (memcmp(parent.data + pos + 4, type, 4) == 0) {
      out->data = parent.data + pos + hdr;
      out->size = size - hdr;
      return TRUE;
    }
    pos += size;
  }
  return FALSE;
}

static gboolean
parse_moov(Span moov, UkTrackInfo *info)
{
  Span trak, mdia, minf, stbl, stsd;
  if (!find_child(moov, 0, "trak", &trak) || !find_child(trak, 0, "mdia", &mdia)
      || !find_child(mdia, 0, "minf", &minf) || !find_child(minf, 0, "stbl", &stbl)
      || !find_child(stbl, 0, "stsd", &stsd))
    return FALSE;
  /* stsd: version/flags, entry_count, then the first sample entry box. */
  if (stsd.size < 8 + 8 + 78)
    return FALSE;
  const guint8 *entry = stsd.data + 8;
  gsize entry_size = MIN((gsize)r32(entry), stsd.size - 8);
  if (entry_size < 8 + 78)
    return FALSE;
  const char *cfg_type;
  if (memcmp(entry + 4, "avc1", 4) == 0 || memcmp(entry + 4, "avc3", 4) == 0) {
    info->codec = UK_CODEC_H264;
    cfg_type = "avcC";
  } else if (memcmp(entry + 4, "hvc1", 4) == 0 || memcmp(entry + 4, "hev1", 4) == 0) {
    info->codec = UK_CODEC_H265;
    cfg_type = "hvcC";
  } else {
    return FALSE;
  }
  info->width = (entry[8 + 24] << 8) | entry[8 + 25];
  info->height = (entry[8 + 26] << 8) | entry[8 + 27];
  Span body = { entry + 8, entry_size - 8 }, cfg;
  if (find_child(body, 78, cfg_type, &cfg))
    info->codec_data = g_bytes_new(cfg.data, cfg.size);
  return TRUE;
}

/* Appends the samples described by one moof to @frames. @moof_pos is the
 * file offset of the moof box; @prft_wall/@prft_media are the preceding prft's
 * times (@have_prft FALSE when there was none). Returns FALSE when malformed. */

/* Two's-complement addition and subtraction of 64-bit times read from a file. */
static inline gint64
wrap_add(gint64 a, gint64 b)
{
  return (gint64)((guint64)a + (guint64)b);
}

static inline gint64
wrap_sub(gint64 a, gint64 b)
{
  return (gint64)((guint64)a - (guint64)b);
}

static gboolean
parse_moof(Span moof, guint64 moof_pos, gboolean have_prft, gint64 prft_wall, gint64 prft_media,
           GArray *frames, guint64 *data_end)
{
  Span traf, tfhd, tfdt, trun;
  if (!find_child(moof, 0, "traf", &traf) || !find_child(traf, 0, "tfhd", &tfhd)
      || !find_child(traf, 0, "trun", &trun) || tfhd.size < 8)
    return FALSE;
  guint32 tf_flags = r32(tfhd.data) & 0xffffff;
  gsize p = 8;
  guint64 base = moof_pos;
  guint32 def_duration = 0, def_size = 0, def_flags = 0;
  if (tf_flags & 0x1) {
    if (p + 8 > tfhd.size)
      return FALSE;
    base = r64(tfhd.data + p);
    p += 8;
  }
  if (tf_flags & 0x2)
    p += 4;
  if (tf_flags & 0x8) {
    if (p + 4 > tfhd.size)
      return FALSE;
    def_duration = r32(tfhd.data + p);
    p += 4;
  }
  if (tf_flags & 0x10) {
    if (p + 4 > tfhd.size)
      return FALSE;
    def_size = r32(tfhd.data + p);
    p += 4;
  }
  if (tf_flags & 0x20) {
    if (p + 4 > tfhd.size)
      return FALSE;
    def_flags = r32(tfhd.data + p);
  }

  gint64 dts;
  if (find_child(traf, 0, "tfdt", &tfdt) && tfdt.size >= 8) {
    if (tfdt.data[0] == 1) {
      if (tfdt.size < 12)
        return FALSE;
      dts = (gint64)r64(tfdt.data + 4);
    } else {
      dts = r32(tfdt.data + 4);
    }
  } else if (frames->len > 0) {
    UkFrame *last = &g_array_index(frames, UkFrame, frames->len - 1);
    dts = last->dts_90k + last->duration_90k;
  } else {
    dts = 0;
  }

  if (trun.size < 8)
    return FALSE;
  guint8 version = trun.data[0];
  guint32 tr_flags = r32(trun.data) & 0xffffff;
  guint32 count = r32(trun.data + 4);
  p = 8;
  guint64 offset = base;
  if (tr_flags & 0x1) {
    if (p + 4 > trun.size)
      return FALSE;
    offset = base + (gint64)(gint32)r32(trun.data + p);
    p += 4;
  }
  guint32 first_flags = def_flags;
  gboolean have_first_flags = FALSE;
  if (tr_flags & 0x4) {
    if (p + 4 > trun.size)
      return FALSE;
    first_flags = r32(trun.data + p);
    have_first_flags = TRUE;
    p += 4;
  }
  gsize per_sample = 4
                     * (!!(tr_flags & 0x100) + !!(tr_flags & 0x200) + !!(tr_flags & 0x400)
                        + !!(tr_flags & 0x800));
  if (count > (trun.size - p) / MAX(per_sample, 1) && per_sample > 0)
    return FALSE;
  if (per_sample == 0 && count > 1000000)
    return FALSE;

  for (guint32 i = 0; i < count; i++) {
    UkFrame f = { 0 };
    f.duration_90k = def_duration;
    f.size = def_size;
    guint32 flags = (i == 0 && have_first_flags) ? first_flags : def_flags;
    if (tr_flags & 0x100) {
      f.duration_90k = r32(trun.data + p);
      p += 4;
    }
    if (tr_flags & 0x200) {
      f.size = r32(trun.data + p);
      p += 4;
    }
    if (tr_flags & 0x400) {
      flags = r32(trun.data + p);
      p += 4;
    }
    if (tr_flags & 0x800) {
      guint32 c = r32(trun.data + p);
      f.cts_90k = version == 0 ? (gint32)MIN(c, (guint32)G_MAXINT32) : (gint32)c;
      p += 4;
    }
    f.key = !(flags & SAMPLE_IS_NON_SYNC);
    f.dts_90k = dts;
    f.offset = offset;
    /* The times come from the file: wrapping (not undefined) arithmetic, so
     * that a hostile file gives wrong times at worst, never undefined code. */
    gint64 pts = wrap_add(dts, f.cts_90k);
    if (have_prft)
      f.wall_90k = wrap_add(prft_wall, wrap_sub(pts, prft_media));
    else if (frames->len > 0) {
      UkFrame *last = &g_array_index(frames, UkFrame, frames->len - 1);
      f.wall_90k = wrap_add(last->wall_90k, wrap_sub(pts, wrap_add(last->dts_90k, last->cts_90k)));
    }
    g_array_append_val(frames, f);
    dts = wrap_add(dts, f.duration_90k);
    offset += f.size;
  }
  *data_end = offset;
  return TRUE;
}

void
uk_fmp4_contents_free(UkFmp4Contents *contents)
{
  if (!contents)
    return;
  uk_track_info_clear(&contents->track);
  g_clear_pointer(&contents->frames, g_array_unref);
  g_free(contents);
}

static gboolean
read_exact(int fd, guint8 *buf, gsize size, guint64 offset)
{
  gsize done = 0;
  while (done < size) {
    ssize_t n = pread(fd, buf + done, size - done, offset + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += n;
  }
  return TRUE;
}

/* Parses @fd from the end of the last complete fragment that @c holds
 * (from the start when @c is empty), appending frames.
 *
 * uk_fmp4_read_more calls this again from c->valid_size each time the file has
 * grown, so reading a file whole and reading it as it grows agree only if
 * nothing read before valid_size is needed after it. Hence a commit (valid_size
 * moving on, after the moov and after each fragment's mdat) drops all parse
 * state: the frames after it, a prft's times, a moof waiting for its mdat. What
 * is left is c itself (init_size, the frames up to valid_size), which a later
 * call starts from. And a box's meaning never depends on where the file ends
 * now: one that does not fit yet is cut short, and one of size 0 ("to the end
 * of the file", which a growing file does not have) ends the reading. */
static void
parse_from(int fd, UkFmp4Contents *c)
{
  guint64 pos = c->valid_size;
  guint committed = c->frames->len; /* frames up to valid_size */
  gboolean have_prft = FALSE;
  gint64 prft_wall = 0, prft_media = 0;
  gboolean pending = FALSE; /* a moof whose mdat has not been seen yet */
  guint64 pending_end = 0;  /* where that moof's samples end */
  g_autofree guint8 *buf = NULL;
  gsize buf_size = 0;

  while (pos + 8 <= c->file_size) {
    guint8 hdr[16];
    if (!read_exact(fd, hdr, 8, pos))
      break;
    guint64 size = r32(hdr);
    gsize hlen = 8;
    if (size == 1) {
      if (pos + 16 > c->file_size || !read_exact(fd, hdr + 8, 8, pos + 8))
        break;
      size = r64(hdr + 8);
      hlen = 16;
    }
    if (size < hlen || size > c->file_size - pos)
      break; /* cut short (or size 0: to an end a growing file does not have) */
    const guint8 *type = hdr + 4;

    gboolean is_moov = memcmp(type, "moov", 4) == 0;
    gboolean is_moof = memcmp(type, "moof", 4) == 0;
    gboolean is_prft = memcmp(type, "prft", 4) == 0;
    gboolean commit = FALSE;
    if (is_moov || is_moof || is_prft) {
      if (size > 64 * 1024 * 1024)
        break;
      if (size > buf_size) {
        buf_size = size;
        g_free(buf);
        buf = g_malloc(buf_size);
      }
      if (!read_exact(fd, buf, size, pos))
        break;
      Span body = { buf + hlen, size - hlen };
      if (is_moov) {
        if (c->init_size > 0 || !parse_moov(body, &c->track))
          break; /* a second init segment: the file is inconsistent */
        c->init_size = pos + size;
        commit = TRUE;
      } else if (is_prft) {
        if (body.size >= 4 + 4 + 8 + 4) {
          prft_wall = ntp_to_90k(r64(body.data + 8));
          prft_media = body.data[0] == 1 && body.size >= 24 ? (gint64)r64(body.data + 16)
                                                            : r32(body.data + 16);
          have_prft = TRUE;
        }
      } else {
        /* before the init segment, or a moof without its mdat and then
         * another moof: the file is inconsistent */
        if (c->init_size == 0 || pending)
          break;
        if (!parse_moof(body, pos, have_prft, prft_wall, prft_media, c->frames, &pending_end))
          break;
        pending = TRUE;
        have_prft = FALSE;
      }
    } else if (memcmp(type, "mdat", 4) == 0) {
      gboolean inside = !pending || pending_end <= pos + size;
      for (guint i = committed; inside && i < c->frames->len; i++) {
        const UkFrame *f = &g_array_index(c->frames, UkFrame, i);
        inside = f->offset >= pos + hlen && f->offset <= pos + size
                 && f->size <= pos + size - f->offset;
      }
      if (!inside)
        break; /* samples point outside this mdat: the file is inconsistent */
      commit = TRUE;
    }
    pos += size;
    if (commit) {
      c->valid_size = pos;
      committed = c->frames->len;
      have_prft = FALSE;
      prft_wall = prft_media = 0;
      pending = FALSE;
      pending_end = 0;
    }
  }
  /* Frames after valid_size (a moof without its complete mdat) are not whole;
   * the next call reads them again from there. */
  g_array_set_size(c->frames, committed);
}

static int
open_segment_file(const char *path, guint64 *size, GError **error)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot read %s: %s", path,
                g_strerror(e));
    return -1;
  }
  *size = st.st_size;
  return fd;
}

UkFmp4Contents *
uk_fmp4_read_file(const char *path, GError **error)
{
  g_autoptr(UkFmp4Contents) c = g_new0(UkFmp4Contents, 1);
  c->frames = g_array_new(FALSE, FALSE, sizeof(UkFrame));
  int fd = open_segment_file(path, &c->file_size, error);
  if (fd < 0)
    return NULL;
  parse_from(fd, c);
  close(fd);
  if (c->init_size == 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s is not a uitkijk segment (no complete init segment)", path);
    return NULL;
  }
  return g_steal_pointer(&c);
}

gboolean
uk_fmp4_read_more(const char *path, UkFmp4Contents *c, GError **error)
{
  int fd = open_segment_file(path, &c->file_size, error);
  if (fd < 0)
    return FALSE;
  if (c->file_size < c->valid_size) {
    close(fd);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s shrank", path);
    return FALSE;
  }
  parse_from(fd, c);
  close(fd);
  return TRUE;
}

/* ---- frame index ---- */

static void
put_varint(GByteArray *b, guint64 v)
{
  while (v >= 0x80) {
    put_u8(b, (v & 0x7f) | 0x80);
    v >>= 7;
  }
  put_u8(b, v);
}

static void
put_svarint(GByteArray *b, gint64 v)
{
  put_varint(b, ((guint64)v << 1) ^ (guint64)(v >> 63));
}

static gboolean
get_varint(const guint8 **p, const guint8 *end, guint64 *out)
{
  guint64 v = 0;
  for (guint shift = 0; shift < 64; shift += 7) {
    if (*p >= end)
      return FALSE;
    guint8 byte = *(*p)++;
    v |= (guint64)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
get_svarint(const guint8 **p, const guint8 *end, gint64 *out)
{
  guint64 v;
  if (!get_varint(p, end, &v))
    return FALSE;
  *out = (gint64)(v >> 1) ^ -(gint64)(v & 1);
  return TRUE;
}

#define INDEX_VERSION 1

GBytes *
uk_frame_index_encode(const UkFrame *frames, guint n_frames, gsize init_size)
{
  g_autoptr(GByteArray) b = g_byte_array_sized_new(16 + n_frames * 6);
  put_varint(b, INDEX_VERSION);
  put_varint(b, init_size);
  put_varint(b, n_frames);
  put_svarint(b, n_frames ? frames[0].dts_90k : 0);
  for (guint i = 0; i < n_frames; i++) {
    const UkFrame *f = &frames[i];
    put_varint(b, f->size);
    put_varint(b, ((guint64)f->duration_90k << 1) | (f->key ? 1 : 0));
    put_svarint(b, f->cts_90k);
    if (i > 0) {
      const UkFrame *prev = &frames[i - 1];
      gint64 media = (f->dts_90k + f->cts_90k) - (prev->dts_90k + prev->cts_90k);
      put_svarint(b, (f->wall_90k - prev->wall_90k) - media);
    }
  }
  return g_byte_array_free_to_bytes(g_steal_pointer(&b));
}

GArray *
uk_frame_index_decode(GBytes *index, gint64 start_wall_90k, GError **error)
{
  gsize size;
  const guint8 *p = g_bytes_get_data(index, &size);
  const guint8 *end = p ? p + size : p; /* an empty GBytes has no data */
  guint64 version, init_size, n;
  gint64 dts;
  if (!get_varint(&p, end, &version) || version != INDEX_VERSION || !get_varint(&p, end, &init_size)
      || !get_varint(&p, end, &n) || !get_svarint(&p, end, &dts) || n > size) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "frame index header is corrupt");
    return NULL;
  }
  g_autoptr(GArray) frames = g_array_sized_new(FALSE, FALSE, sizeof(UkFrame), n);
  guint64 pos = init_size;
  for (guint64 i = 0; i < n; i++) {
    UkFrame f = { 0 };
    guint64 fsize, dur;
    gint64 cts, dwall = 0;
    if (!get_varint(&p, end, &fsize) || !get_varint(&p, end, &dur) || !get_svarint(&p, end, &cts)
        || (i > 0 && !get_svarint(&p, end, &dwall))) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "frame index is corrupt at frame %" G_GUINT64_FORMAT, i);
      return NULL;
    }
    f.size = fsize;
    f.duration_90k = dur >> 1;
    f.key = dur & 1;
    f.cts_90k = cts;
    f.dts_90k = dts;
    f.offset = pos + UK_FMP4_FRAME_HEADER_SIZE;
    if (i == 0) {
      f.wall_90k = start_wall_90k;
    } else {
      const UkFrame *prev = &g_array_index(frames, UkFrame, i - 1);
      gint64 media
          = wrap_sub(wrap_add(f.dts_90k, f.cts_90k), wrap_add(prev->dts_90k, prev->cts_90k));
      f.wall_90k = wrap_add(wrap_add(prev->wall_90k, media), dwall);
    }
    g_array_append_val(frames, f);
    dts = wrap_add(dts, f.duration_90k);
    pos += UK_FMP4_FRAME_HEADER_SIZE + fsize;
  }
  return g_steal_pointer(&frames);
}

gint
uk_frames_find(const GArray *frames, gint64 wall_90k)
{
  /* Binary search for the last frame with wall <= @wall_90k. Wall times are
   * non-decreasing in presentation order; uitkijk records no B-frames out of
   * order in wall time because walls are assigned in presentation order. */
  gint lo = 0, hi = (gint)frames->len - 1, found = -1;
  while (lo <= hi) {
    gint mid = lo + (hi - lo) / 2;
    if (g_array_index(frames, UkFrame, mid).wall_90k <= wall_90k) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
