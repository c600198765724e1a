/* uk-segment: writes one segment file, crash-safely.
 *
 * The init segment is written and fsynced (file and folder) at open; each frame
 * is written as its own fragment at once (one writev), so after a SIGKILL the
 * page cache holds everything up to the previous frame; the file data is
 * fdatasynced at least every UK_SEGMENT_SYNC_90K of media, so a power cut loses
 * at most that much. The frame index is kept in memory for the database row
 * written when the segment closes (after its final fdatasync).
 *
 * A writer is used by one thread at a time (a camera's streaming thread, then
 * the control thread once streaming has stopped). */
#pragma once

#include "uk-fmp4.h"

G_BEGIN_DECLS

#define UK_SEGMENT_SYNC_90K (90000 / 2)

typedef struct _UkSegment UkSegment;

/* Creates @path (and its parent folders), writes the init segment for @track
 * and fsyncs it. (transfer full) */
UkSegment *uk_segment_create(const char *path, const UkTrackInfo *track, GError **error);

/* Appends one frame: @frame's dts/cts/duration/wall/key/size must be set
 * (offset is filled in); @data holds frame->size bytes in length-prefixed
 * (avcC/hvcC) form. */
gboolean uk_segment_write(UkSegment *segment, UkFrame *frame, const guint8 *data, GError **error);

/* fdatasyncs and closes the file. The segment stays readable (frames, path). */
gboolean uk_segment_finish(UkSegment *segment, GError **error);

const char *uk_segment_path(UkSegment *segment);
const GArray *uk_segment_frames(UkSegment *segment); /* (element-type UkFrame) */
gsize uk_segment_init_size(UkSegment *segment);
guint64 uk_segment_bytes(UkSegment *segment);

void uk_segment_free(UkSegment *segment); /* closes without syncing if not finished */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkSegment, uk_segment_free)

/* fsyncs a folder, so that a file created or unlinked in it is durable. */
gboolean uk_fsync_dir(const char *dir, GError **error);

G_END_DECLS
