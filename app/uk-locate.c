/* uk-locate: resolving a wall-clock instant to a recorded frame. */
#include "uk-locate.h"

#include "uk-fmp4.h"
#include "uk-time.h"

#include <sys/stat.h>

struct _UkLocateCache {
  GHashTable *files; /* absolute path -> CachedFile */
};

typedef struct {
  UkFmp4Contents *contents; /* as far as the file was read */
} CachedFile;

static void
cached_file_free(CachedFile *f)
{
  uk_fmp4_contents_free(f->contents);
  g_free(f);
}

UkLocateCache *
uk_locate_cache_new(void)
{
  UkLocateCache *c = g_new0(UkLocateCache, 1);
  c->files
      = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)cached_file_free);
  return c;
}

void
uk_locate_cache_free(UkLocateCache *c)
{
  if (!c)
    return;
  g_hash_table_destroy(c->files);
  g_free(c);
}

void
uk_located_clear(UkLocated *l)
{
  g_clear_pointer(&l->path, g_free);
  g_clear_pointer(&l->rel_path, g_free);
}

GArray *
uk_recording_frames(const UkConfig *config, UkLocateCache *cache, const UkRecordingRow *row,
                    GError **error)
{
  g_autofree gchar *abs = g_build_filename(config->storage_path, row->path, NULL);
  if (row->complete && row->video_index) {
    if (cache)
      g_hash_table_remove(cache->files, abs); /* finished: the index has it now */
    return uk_frame_index_decode(row->video_index, row->start_90k, error);
  }
  struct stat st;
  CachedFile *f = cache ? g_hash_table_lookup(cache->files, abs) : NULL;
  if (f && stat(abs, &st) == 0) {
    /* Only what was appended since is read. */
    if ((guint64)st.st_size == f->contents->file_size || uk_fmp4_read_more(abs, f->contents, NULL))
      return g_array_ref(f->contents->frames);
    g_hash_table_remove(cache->files, abs);
  }
  g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(abs, error);
  if (!c)
    return NULL;
  GArray *frames = g_array_ref(c->frames);
  if (cache) {
    if (g_hash_table_size(cache->files) > 256)
      g_hash_table_remove_all(cache->files);
    f = g_new0(CachedFile, 1);
    f->contents = g_steal_pointer(&c);
    g_hash_table_replace(cache->files, g_strdup(abs), f);
  }
  return frames;
}

gboolean
uk_locate(UkStore *store, const UkConfig *config, UkLocateCache *cache, const char *camera,
          gint64 t, UkLocated *out, gchar **why, GError **error)
{
  *out = (UkLocated){ 0 };
  g_autoptr(GPtrArray) segs = uk_store_recordings(store, camera, t, t + 1, error);
  if (!segs)
    return FALSE;
  for (guint i = 0; i < segs->len; i++) {
    UkRecordingRow *row = segs->pdata[i];
    if (row->start_90k > t)
      continue;
    g_autoptr(GError) local = NULL;
    g_autoptr(GArray) frames = uk_recording_frames(config, cache, row, &local);
    if (!frames) {
      g_set_error(error, local->domain, local->code, "%s: %s", row->path, local->message);
      return FALSE;
    }
    gint idx = uk_frames_find(frames, t);
    if (idx < 0)
      continue;
    UkFrame *f = &g_array_index(frames, UkFrame, idx);
    if (idx == (gint)frames->len - 1 && t >= f->wall_90k + MAX(f->duration_90k, 1)
        && (!row->complete || t >= row->end_90k))
      continue;
    out->path = g_build_filename(config->storage_path, row->path, NULL);
    out->rel_path = g_strdup(row->path);
    out->pts_90k = f->dts_90k + f->cts_90k;
    out->frame_90k = f->wall_90k;
    out->index = idx;
    out->key = f->key;
    return TRUE;
  }
  if (why) {
    g_autofree gchar *ts = uk_time_format_rfc3339(t);
    g_autoptr(GPtrArray) gaps = uk_store_gaps(store, camera, t, t + 1, NULL);
    if (gaps && gaps->len) {
      UkGapRow *gap = gaps->pdata[0];
      g_autofree gchar *s = uk_time_format_rfc3339(gap->start_90k);
      g_autofree gchar *e = gap->end_90k ? uk_time_format_rfc3339(gap->end_90k) : g_strdup("now");
      *why = g_strdup_printf("camera %s was not recorded at %s: gap from %s to %s (%s)", camera, ts,
                             s, e, gap->reason);
    } else {
      *why = g_strdup_printf("camera %s has no recording at %s", camera, ts);
    }
  }
  return FALSE;
}
