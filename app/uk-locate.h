/* uk-locate: which recorded frame was on screen at a wall-clock instant.
 * Shared by `uitkijk locate` and the daemon (incidents are stored with the
 * frame they refer to). docs/TIME.md, "Resolving an instant". */
#pragma once

#include "uk-config.h"
#include "uk-store.h"

G_BEGIN_DECLS

typedef struct {
  gchar *path;      /* absolute path of the segment file */
  gchar *rel_path;  /* relative to [storage] path */
  gint64 pts_90k;   /* the frame's presentation time in that file */
  gint64 frame_90k; /* the frame's wall time */
  gint index;       /* frame number in the file, from 0 */
  gboolean key;
} UkLocated;

void uk_located_clear(UkLocated *located);

/* Remembers the frames of segments being written, so that resolving many
 * instants re-reads a growing file only when it grew. One thread at a time
 * (the daemon: its database writer thread). */
typedef struct _UkLocateCache UkLocateCache;
UkLocateCache *uk_locate_cache_new(void);
void uk_locate_cache_free(UkLocateCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkLocateCache, uk_locate_cache_free)

/* Fills @out and returns TRUE when @camera's recording covers @t_90k.
 * Otherwise FALSE: @error is NULL when simply not recorded (then @why, if
 * not NULL, says so in a sentence, transfer full), set when a file or the
 * database failed. */
gboolean uk_locate(UkStore *store, const UkConfig *config, UkLocateCache *cache, const char *camera,
                   gint64 t_90k, UkLocated *out, gchar **why, GError **error);

/* The frames of a recording row: from its index, or from its file while it
 * is being written. (transfer full) */
GArray *uk_recording_frames(const UkConfig *config, UkLocateCache *cache, const UkRecordingRow *row,
                            GError **error);

G_END_DECLS
