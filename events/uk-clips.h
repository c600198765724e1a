/* uk-clips: police clip requests and their exports.
 *
 * A request (cameras, range, police case, legal basis, purpose) is made by
 * the police liaison and approved or rejected once by a supervisor other
 * than the requester; each of its cameras then gets an export (remuxed MP4,
 * signed manifest) that only the requester downloads, until the link
 * expires. Together with the audit log this is the handover record of Bpg
 * art. 6:4 lid 2. */
#pragma once

#include "uk-store.h"

G_BEGIN_DECLS

typedef struct {
  gint64 request_id; /* set by uk_store_clip_exports_expired only */
  gchar *camera;
  gchar *area;
  gchar *state;    /* "waiting", "exporting", "ready", "failed" */
  gchar *file;     /* relative to the storage folder, when ready; NULL once the link expired */
  gchar *manifest; /* likewise */
  gchar *sha256;
  gint64 bytes;
  gchar *error;
  gint64 finished_90k;
  gint64 expires_90k; /* the download link's end */
} UkClipExport;

typedef struct {
  gint64 id;
  gint64 from_90k, to_90k;
  gchar *case_ref;
  gchar *legal_basis; /* "wpg-15-16" or "sv-126nd" */
  gchar *vordering_ref;
  gchar *purpose;
  gchar *requested_by;
  gint64 requested_90k;
  gchar *decision; /* NULL, "approved", "rejected" */
  gchar *decided_by;
  gint64 decided_90k;
  gchar *decision_reason;
  GPtrArray *exports; /* (element-type UkClipExport) one per camera */
} UkClipRequest;

UkClipRequest *uk_clip_request_new(void);
void uk_clip_request_free(UkClipRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkClipRequest, uk_clip_request_free)
void uk_clip_request_add_camera(UkClipRequest *r, const char *camera, const char *area);

/* Adds @r with its cameras (state "waiting"); sets id and requested_90k. */
gboolean uk_store_clip_add(UkStore *store, UkClipRequest *r, GError **error);
/* Decides a request not decided yet (UK_STORE_ERROR_NOT_FOUND otherwise). */
gboolean uk_store_clip_decide(UkStore *store, gint64 id, const char *by, gboolean approve,
                              const char *reason, GError **error);
/* Records an export's progress: @e->camera of request @id gets @e's state
 * and results. */
gboolean uk_store_clip_export_set(UkStore *store, gint64 id, const UkClipExport *e, GError **error);
/* (transfer full) NULL with UK_STORE_ERROR_NOT_FOUND. */
UkClipRequest *uk_store_clip_get(UkStore *store, gint64 id, GError **error);
/* Newest first. (element-type UkClipRequest) (transfer full) */
GPtrArray *uk_store_clips_list(UkStore *store, GError **error);

/* Ready exports whose download link ended by @now_90k and whose files are
 * still there (the oldest 100). (element-type UkClipExport) (transfer full) */
GPtrArray *uk_store_clip_exports_expired(UkStore *store, gint64 now_90k, GError **error);
/* Forgets an export's files in one transaction: both paths go to the garbage
 * table and the row keeps no file. The caller then unlinks them and removes
 * the garbage rows (the crash-safe deletion of docs/DESIGN.md). */
gboolean uk_store_clip_export_discard(UkStore *store, const UkClipExport *e, GError **error);

G_END_DECLS
