/* uk-fmp4: the segment file format, fragmented MP4 with one frame per fragment.
 *
 * A segment file is
 *   ftyp moov                      the init segment: one video track, timescale 90000
 *   (prft moof mdat)*              one fragment per frame
 * Every fragment header has the same size (UK_FMP4_FRAME_HEADER_SIZE), and its
 * prft box carries the frame's wall-clock time, so a file alone (truncated by a
 * crash or not) tells which frame was on screen at which instant. See
 * docs/DESIGN.md for why this layout and docs/TIME.md for the times. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UK_FMP4_TIMESCALE 90000
/* prft (32) + moof (104) + mdat header (8) */
#define UK_FMP4_FRAME_HEADER_SIZE 144

typedef enum {
  UK_CODEC_H264,
  UK_CODEC_H265,
} UkCodec;

const char *uk_codec_name(UkCodec codec); /* "h264" / "h265" */

typedef struct {
  UkCodec codec;
  guint width;
  guint height;
  GBytes *codec_data; /* avcC or hvcC record */
} UkTrackInfo;

void uk_track_info_clear(UkTrackInfo *info);

/* One frame (sample) of a segment. Media times count from the segment start. */
typedef struct {
  gint64 dts_90k;       /* decode time in the file */
  gint32 cts_90k;       /* presentation minus decode time */
  guint32 duration_90k; /* media duration */
  gint64 wall_90k;      /* wall-clock time of presentation */
  guint64 offset;       /* of the sample data in the file */
  guint32 size;         /* of the sample data */
  gboolean key;
} UkFrame;

/* ftyp + moov for @info. (transfer full) */
GBytes *uk_fmp4_init_segment(const UkTrackInfo *info);

/* Fills @out (UK_FMP4_FRAME_HEADER_SIZE bytes) with the prft, moof and mdat
 * header of fragment @seq (1-based) holding @frame; the frame's data follows. */
void uk_fmp4_frame_header(guint8 *out, guint32 seq, const UkFrame *frame);

/* What a segment file holds. */
typedef struct {
  UkTrackInfo track;
  gsize init_size;    /* bytes of ftyp + moov */
  GArray *frames;     /* (element-type UkFrame) complete frames in order */
  guint64 valid_size; /* bytes up to the end of the last complete fragment */
  guint64 file_size;
} UkFmp4Contents;

void uk_fmp4_contents_free(UkFmp4Contents *contents);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkFmp4Contents, uk_fmp4_contents_free)

/* Reads a segment file written by uk-segment (complete, or cut short by a
 * crash: whatever follows the last complete fragment is ignored and reported
 * through valid_size). Fails when the init segment itself is not whole.
 * (transfer full) */
UkFmp4Contents *uk_fmp4_read_file(const char *path, GError **error);

/* Reads what was appended to a segment file since @contents was read
 * (uk_fmp4_read_file), adding its complete frames. */
gboolean uk_fmp4_read_more(const char *path, UkFmp4Contents *contents, GError **error);

/* The frame index kept in the database: a compact encoding of a segment's
 * frames (sizes, durations, key flags, composition offsets, wall times). */
GBytes *uk_frame_index_encode(const UkFrame *frames, guint n_frames, gsize init_size);
/* Decodes what uk_frame_index_encode made; @start_wall_90k is the segment's
 * start (the first frame's wall time). (transfer full) NULL with @error if corrupt. */
GArray *uk_frame_index_decode(GBytes *index, gint64 start_wall_90k, GError **error);

/* Index of the frame on screen at @wall_90k (the last frame whose wall time is
 * <= @wall_90k), or -1 when @wall_90k is before the first frame. */
gint uk_frames_find(const GArray *frames, gint64 wall_90k);

G_END_DECLS
