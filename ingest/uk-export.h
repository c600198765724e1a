/* uk-export: police clip exports. Remuxes a wall-clock range of one camera's
 * segment files into one MP4, never transcoding.
 *
 * The clip is a plain (non-fragmented) MP4 with the moov at the front, so a
 * browser plays it while it downloads. It holds:
 *   - the camera's video, sample for sample as recorded, from the keyframe at
 *     or before the requested frame; the frames before the requested one are
 *     hidden by an edit list, so playback starts exactly at the frame that was
 *     on screen at @from_90k (docs/TIME.md, "Resolving an instant");
 *   - a subtitle track (mov_text/tx3g) with one cue per frame giving that
 *     frame's wall time in Europe/Amsterdam local time with its UTC offset,
 *     and one cue over each span with no recording;
 *   - metadata: creation_time (the first frame's wall time, UTC), a comment
 *     saying it is the original stream, and an optional title.
 *
 * Timeline: within a run (segments that follow each other without a break)
 * the samples keep the camera's own media durations; where the recording
 * breaks (a gap between runs or segments) the clip keeps the wall-clock
 * spacing, so that a gap in the recording is a gap in the clip's time (the
 * last frame before it stays on screen, with a "no recording" cue). The
 * comment at the top of uk-export.c has the details.
 *
 * Uses libavformat (demux each segment with the mov demuxer, mux with the mp4
 * muxer): the only module allowed to. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

#define UK_EXPORT_ERROR (uk_export_error_quark())
GQuark uk_export_error_quark(void);

typedef enum {
  UK_EXPORT_ERROR_INVALID, /* bad options (no segments, to <= from, no output path) */
  UK_EXPORT_ERROR_SEGMENT, /* a segment file is missing, unreadable or corrupt */
  UK_EXPORT_ERROR_EMPTY,   /* no recorded frame in the range */
  UK_EXPORT_ERROR_STREAM,  /* the camera's stream changed (codec, size, parameter sets) */
  UK_EXPORT_ERROR_OUTPUT,  /* the output could not be written */
} UkExportError;

/* A span inside the range with no recording longer than this, inside one
 * segment, is reported as a gap (between segments any break is one). */
#define UK_EXPORT_MISSING_90K 90000

typedef void (*UkExportProgressFunc)(double fraction, gpointer user_data);

typedef struct {
  /* NULL-terminated absolute paths of one camera's segment files, in time
   * order (they may have gaps between them, and come from different runs). */
  const char *const *segments;
  gint64 from_90k, to_90k; /* requested wall-clock range [from, to) */
  /* The MP4 to write: written to out_path + ".part", fsynced, renamed. An
   * existing file at out_path is replaced. */
  const char *out_path;
  const char *title;             /* optional: MP4 title metadata (e.g. camera name + range) */
  UkExportProgressFunc progress; /* optional; called at most ~10x/s, last with 1.0 */
  gpointer progress_data;
  GCancellable *cancellable; /* optional */
} UkExportOptions;

typedef struct {
  gint64 start_90k, end_90k;
} UkExportGap;

typedef struct {
  /* Wall time of the first frame shown: the frame on screen at from_90k (as
   * app/uk-locate.c defines it), or the first one after it when nothing was
   * recorded at from_90k (then a gap starts the clip). */
  gint64 first_frame_90k;
  gint64 end_90k;       /* wall time at which the last frame shown ends */
  guint frames_shown;   /* from the first frame to the last one before to_90k */
  guint frames_written; /* including the pre-roll from the previous keyframe */
  guint64 bytes;        /* file size */
  GArray *gaps;         /* (element-type UkExportGap) spans in [from, to) with no recording */
  gchar *sha256;        /* hex SHA-256 of the output file */
  gchar *codec;         /* "h264" / "h265" */
  gint width, height;
} UkExportResult;

/* Frees what @result holds (not @result itself); safe on a zeroed result. */
void uk_export_result_clear(UkExportResult *result);

/* Writes the clip. On success fills @result (clear it with
 * uk_export_result_clear); on failure sets @error (UK_EXPORT_ERROR, or
 * G_IO_ERROR_CANCELLED), leaves no .part file behind and leaves @out_path
 * as it was. Blocks: run it on a worker thread in a daemon. */
gboolean uk_export_clip(const UkExportOptions *options, UkExportResult *result, GError **error);

G_END_DECLS
