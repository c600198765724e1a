/* uk-locate: resolving a wall-clock instant to a recorded frame. */
#include "uk-locate.h"

#include "uk-fmp4.h"
#include "uk-time.h"

void
uk_located_clear(UkLocated *l)
{
  g_clear_pointer(&l->path, g_free);
  g_clear_pointer(&l->rel_path, g_free);
}

GArray *
uk_recording_frames(const UkConfig *config, const UkRecordingRow *row, GError **error)
{
  if (row->complete && row->video_index)
    return uk_frame_index_decode(row->video_index, row->start_90k, error);
  g_autofree gchar *abs = g_build_filename(config->storage_path, row->path, NULL);
  g_autoptr(UkFmp4Contents) c = uk_fmp4_read_file(abs, error);
  if (!c)
    return NULL;
  return g_array_ref(c->frames);
}

gboolean
uk_locate(UkStore *store, const UkConfig *config, const char *camera, gint64 t, UkLocated *out,
          gchar **why, GError **error)
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
    g_autoptr(GArray) frames = uk_recording_frames(config, row, &local);
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
