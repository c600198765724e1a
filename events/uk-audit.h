/* uk-audit: the tamper-evident audit log (Wpg art. 32a).
 *
 * Append-only. Each row stores the SHA-256 of the previous row (prev_hash) and
 * of its own content chained to it (hash):
 *   hash = SHA-256(prev_hash || content),  content = the row's fields, each
 *   length-prefixed (docs/PROTOCOL.md, "Audit log").
 * A changed, deleted, inserted or reordered row breaks the chain at that row.
 * Deleting rows at the end is caught by the head file: after every append the
 * row count and last hash are written to <database>.audit-head. */
#pragma once

#include "uk-store.h"

G_BEGIN_DECLS

typedef struct {
  gint64 id;         /* set by append */
  gint64 time_90k;   /* set by append when 0 */
  const char *actor; /* user name or "system" */
  const char *action;
  const char *camera;      /* or NULL */
  const char *area;        /* or NULL */
  gint64 from_90k, to_90k; /* 0 when not a range */
  const char *detail;      /* JSON object text; NULL means "{}" */
} UkAuditEntry;

/* Appends @entry (inside the caller's transaction if any). */
gboolean uk_store_audit_append(UkStore *store, UkAuditEntry *entry, GError **error);

/* The head file that goes with the database at @db_path:
 * <db_path>.audit-head. (transfer full) */
gchar *uk_audit_head_path(const char *db_path);

/* Where the head file lives (NULL: none, e.g. read-only use). */
void uk_store_audit_set_head_path(UkStore *store, const char *path);

/* Verifies the whole chain. Returns TRUE with the row count when intact;
 * FALSE with @bad_id (the first bad row; 0 when the tail was cut) and a message
 * in @error otherwise. */
gboolean uk_store_audit_verify(UkStore *store, const char *head_path, gint64 *rows, gint64 *bad_id,
                               GError **error);

typedef struct {
  gint64 id;
  gint64 time_90k;
  gchar *actor, *action, *camera, *area, *detail;
  gint64 from_90k, to_90k;
} UkAuditRow;

void uk_audit_row_free(UkAuditRow *row);

/* Rows matching the filters (NULL / 0 = any), oldest first, at most @limit,
 * after @after_id. (element-type UkAuditRow) (transfer full) */
GPtrArray *uk_store_audit_query(UkStore *store, gint64 from_90k, gint64 to_90k, const char *actor,
                                const char *action, const char *camera, gint64 after_id,
                                guint limit, GError **error);

G_END_DECLS
