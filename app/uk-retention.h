/* uk-retention: destroying footage, as the law requires and the disk needs.
 *
 * Footage older than [retention] footage_days (at most 28) is destroyed
 * unless an evidence hold protects it; when free space falls below
 * [storage] min_free, the oldest unheld footage goes first, whatever its
 * age. Held footage is never deleted. Each deletion is crash-safe: the
 * segment's index row moves to the garbage table in one transaction, then
 * the file is unlinked, its folder fsynced, and the garbage row removed
 * (start-up recovery finishes what a crash interrupted). Every batch is
 * audited. Control thread. */
#pragma once

#include "uk-config.h"
#include "uk-store.h"

G_BEGIN_DECLS

typedef struct {
  guint expired; /* segments destroyed for age */
  guint64 expired_bytes;
  guint pressure; /* segments destroyed for disk space */
  guint64 pressure_bytes;
  gboolean low;       /* free space was below min_free */
  gboolean full_held; /* and is still: only held footage (or none) is left */
  guint64 free_bytes, need_bytes;
  guint exports_deleted; /* clip exports whose download link had expired */
} UkRetentionReport;

/* One pass at @now_90k (the rules' clock). FALSE only when the database
 * failed. */
gboolean uk_retention_run(UkStore *store, const UkConfig *config, gint64 now_90k,
                          UkRetentionReport *report, GError **error);

/* Free and needed bytes in the storage folder's filesystem. */
gboolean uk_storage_space(const UkConfig *config, guint64 *free_bytes, guint64 *need_bytes);

/* Unlinks @abs (gone already is fine) and fsyncs its folder. */
void uk_unlink_durably(const char *abs);

G_END_DECLS
