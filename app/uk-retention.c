/* uk-retention: footage retention and disk pressure. */
#include "uk-retention.h"
#include "uk-clips.h"

#include "uk-audit.h"
#include "uk-rules.h"
#include "uk-segment.h"
#include "uk-text.h"
#include "uk-time.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/statvfs.h>

#define BATCH 200

void
uk_unlink_durably(const char *abs)
{
  if (g_unlink(abs) != 0 && errno != ENOENT) {
    g_warning("cannot delete %s: %s", abs, g_strerror(errno));
    return;
  }
  g_autofree gchar *dir = g_path_get_dirname(abs);
  uk_fsync_dir(dir, NULL);
}

gboolean
uk_storage_space(const UkConfig *config, guint64 *free_bytes, guint64 *need_bytes)
{
  struct statvfs st;
  if (statvfs(config->storage_path, &st) != 0)
    return FALSE;
  guint64 total = (guint64)st.f_blocks * st.f_frsize;
  *free_bytes = (guint64)st.f_bavail * st.f_frsize;
  *need_bytes
      = config->min_free_bytes ? config->min_free_bytes : total / 100 * config->min_free_percent;
  return TRUE;
}

/* Destroys @segs (see uk-retention.h) and audits the batch. */
static gboolean
destroy(UkStore *store, const UkConfig *config, const GPtrArray *segs, const char *reason,
        guint64 *bytes, GError **error)
{
  if (!uk_store_segments_discard(store, segs, reason, error))
    return FALSE;
  g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) cameras = g_ptr_array_new();
  gint64 from = G_MAXINT64, to = 0;
  guint64 total = 0;
  for (guint i = 0; i < segs->len; i++) {
    const UkSegmentRef *r = segs->pdata[i];
    g_autofree gchar *abs = g_build_filename(config->storage_path, r->path, NULL);
    if (g_unlink(abs) != 0 && errno != ENOENT)
      g_warning("retention: cannot delete %s: %s", abs, g_strerror(errno));
    g_hash_table_add(dirs, g_path_get_dirname(abs));
    if (!g_ptr_array_find_with_equal_func(cameras, r->camera, g_str_equal, NULL))
      g_ptr_array_add(cameras, r->camera);
    from = MIN(from, r->start_90k);
    to = MAX(to, r->end_90k);
    total += r->bytes;
  }
  /* The unlinks are durable once their folders are synced; only then do the
   * garbage rows go. */
  GHashTableIter it;
  gpointer dir;
  g_hash_table_iter_init(&it, dirs);
  while (g_hash_table_iter_next(&it, &dir, NULL))
    uk_fsync_dir(dir, NULL);
  for (guint i = 0; i < segs->len; i++) {
    const UkSegmentRef *r = segs->pdata[i];
    if (!uk_store_garbage_remove(store, r->path, error))
      return FALSE;
  }
  g_autoptr(GString) detail = g_string_new("{\"segments\":");
  g_string_append_printf(detail, "%u,\"bytes\":%" G_GUINT64_FORMAT ",\"reason\":", segs->len,
                         total);
  uk_json_append_string(detail, reason);
  g_string_append(detail, ",\"cameras\":[");
  for (guint i = 0; i < cameras->len; i++) {
    if (i)
      g_string_append_c(detail, ',');
    uk_json_append_string(detail, cameras->pdata[i]);
  }
  g_string_append(detail, "]}");
  UkAuditEntry e = { .actor = "system",
                     .action = "footage_deleted",
                     .camera = cameras->len == 1 ? cameras->pdata[0] : NULL,
                     .from_90k = from,
                     .to_90k = to,
                     .detail = detail->str };
  if (!uk_store_audit_append(store, &e, error))
    return FALSE;
  *bytes += total;
  return TRUE;
}

gboolean
uk_retention_run(UkStore *store, const UkConfig *config, gint64 now, UkRetentionReport *report,
                 GError **error)
{
  *report = (UkRetentionReport){ 0 };
  /* Age: whole segments whose end passed the cutoff. */
  gint64 cutoff = now - (gint64)config->footage_days * 86400 * UK_TIME_HZ;
  g_autofree gchar *age_reason
      = g_strdup_printf("retention: recorded over %u days ago", config->footage_days);
  for (;;) {
    g_autoptr(GPtrArray) segs = uk_store_segments_unheld(store, cutoff, now, BATCH, error);
    if (!segs)
      return FALSE;
    if (!segs->len)
      break;
    if (!destroy(store, config, segs, age_reason, &report->expired_bytes, error))
      return FALSE;
    report->expired += segs->len;
    if (segs->len < BATCH)
      break;
  }
  /* Clip exports whose download link ended: the police have their copy,
   * and the installation keeps none longer than the link. */
  g_autoptr(GPtrArray) exports = uk_store_clip_exports_expired(store, now, error);
  if (!exports)
    return FALSE;
  for (guint i = 0; i < exports->len; i++) {
    const UkClipExport *e = exports->pdata[i];
    if (!uk_store_clip_export_discard(store, e, error))
      return FALSE;
    const char *paths[] = { e->file, e->manifest };
    for (guint k = 0; k < G_N_ELEMENTS(paths); k++) {
      if (!paths[k])
        continue;
      g_autofree gchar *abs = g_build_filename(config->storage_path, paths[k], NULL);
      uk_unlink_durably(abs);
      if (!uk_store_garbage_remove(store, paths[k], error))
        return FALSE;
    }
    g_autofree gchar *detail = g_strdup_printf(
        "{\"clip\":%" G_GINT64_FORMAT ",\"reason\":\"the download link expired\"}", e->request_id);
    UkAuditEntry entry = { .actor = "system",
                           .action = "clip_export_deleted",
                           .camera = e->camera,
                           .area = e->area,
                           .detail = detail };
    if (!uk_store_audit_append(store, &entry, error))
      return FALSE;
    report->exports_deleted++;
  }
  /* Space: the oldest unheld footage first, a few segments at a time. */
  if (!uk_storage_space(config, &report->free_bytes, &report->need_bytes))
    return TRUE;
  report->low = report->free_bytes < report->need_bytes;
  while (report->free_bytes < report->need_bytes) {
    g_autoptr(GPtrArray) segs = uk_store_segments_unheld(store, 0, now, 2, error);
    if (!segs)
      return FALSE;
    if (!segs->len) {
      report->full_held = TRUE;
      break;
    }
    if (!destroy(store, config, segs, "disk space below [storage] min_free",
                 &report->pressure_bytes, error))
      return FALSE;
    report->pressure += segs->len;
    if (!uk_storage_space(config, &report->free_bytes, &report->need_bytes))
      break;
  }
  return TRUE;
}
