/* uk-rules: the records behind the legal rules (docs/legal-rules.md).
 *
 * - Designations (Gemeentewet art. 151c): an area's cameras record and can be
 *   watched live only while the area has an active one: not withdrawn,
 *   within its validity, with a DPIA reference and signage confirmed.
 * - Veiligheidsrisicogebieden (art. 151b): a separate record, shown in the
 *   console; they never enable cameras.
 * - Evidence holds (151c lid 9): footage kept past the retention period for
 *   the investigation of a criminal offence; requested by the police
 *   liaison, approved by a supervisor other than the requester.
 * - Retention: which segments may be destroyed, and their removal from the
 *   index into the garbage table (the files are unlinked by the caller). */
#pragma once

#include "uk-store.h"

G_BEGIN_DECLS

typedef struct {
  gchar *id;
  gchar *area;
  gchar *kind; /* "standing" or "event" */
  gchar *decision;
  gchar *decided_by;
  gint64 valid_from_90k, valid_until_90k;
  gchar *live_watch; /* windows text (config/uk-windows.h), or NULL */
  gchar *dpia;       /* or NULL */
  gboolean signage;
  gint64 withdrawn_90k; /* 0: not withdrawn */
  gchar *withdrawn_by;
  gchar *withdraw_reason; /* why it was withdrawn (console withdrawals) */
  gchar *source;          /* "config" or "console" */
  gint64 changed_90k;
  gchar *changed_by;
} UkDesignation;

void uk_designation_free(UkDesignation *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkDesignation, uk_designation_free)

/* NULL when @d is active at @now_90k; otherwise why not (a static string,
 * for gap reasons, logs and protocol messages). */
const char *uk_designation_inactive_reason(const UkDesignation *d, gint64 now_90k);

/* The designation among @designations (element-type UkDesignation) that
 * lets @area record at @now_90k, or NULL with *@why saying why none does:
 * "no designation for the area" or the reason of the most recent one (a
 * static string). (transfer none) */
const UkDesignation *uk_designations_active(const GPtrArray *designations, const char *area,
                                            gint64 now_90k, const char **why);

/* Inserts or replaces designation @d->id (changed_90k is set when 0). */
gboolean uk_store_designation_put(UkStore *store, UkDesignation *d, GError **error);
/* NULL with UK_STORE_ERROR_NOT_FOUND when there is none. (transfer full) */
UkDesignation *uk_store_designation_get(UkStore *store, const char *id, GError **error);
/* All, by area then valid_from. (element-type UkDesignation) (transfer full) */
GPtrArray *uk_store_designations_list(UkStore *store, GError **error);
/* Withdraws @id at @now_90k. UK_STORE_ERROR_NOT_FOUND when there is no such
 * designation or it was withdrawn already. */
gboolean uk_store_designation_withdraw(UkStore *store, const char *id, const char *by,
                                       const char *reason, gint64 now_90k, GError **error);

typedef struct {
  gchar *id;
  gchar *area;
  gchar *decision;
  gchar *prosecutor;
  gint64 valid_from_90k, valid_until_90k;
} UkRiskArea;

void uk_risk_area_free(UkRiskArea *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkRiskArea, uk_risk_area_free)
gboolean uk_store_risk_area_put(UkStore *store, const UkRiskArea *r, GError **error);
/* (element-type UkRiskArea) (transfer full) */
GPtrArray *uk_store_risk_areas_list(UkStore *store, GError **error);

typedef struct {
  gint64 id;
  GPtrArray *cameras; /* (element-type utf8) */
  GPtrArray *areas;   /* (element-type utf8) the cameras' areas, same order */
  gint64 from_90k, to_90k;
  gchar *case_ref;
  gchar *offence;
  gchar *justification;
  gint64 keep_until_90k; /* 0: until released */
  gchar *requested_by;
  gint64 requested_90k;
  gchar *decision; /* NULL (pending), "approved", "rejected" */
  gchar *decided_by;
  gint64 decided_90k;
  gchar *decision_note;
  gchar *released_by;
  gint64 released_90k;
  gchar *release_reason;
} UkHold;

/* How long a requested hold protects footage while awaiting a decision. */
#define UK_HOLD_PENDING_PROTECT_90K ((gint64)3 * 86400 * 90000)

UkHold *uk_hold_new(void);
void uk_hold_free(UkHold *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkHold, uk_hold_free)
/* "requested", "approved", "rejected", "released" or "expired". */
const char *uk_hold_state(const UkHold *h, gint64 now_90k);

/* Adds @h (id and requested_90k set) in one transaction. */
gboolean uk_store_hold_add(UkStore *store, UkHold *h, GError **error);
/* Approves or rejects a requested hold. UK_STORE_ERROR_NOT_FOUND when there
 * is no such hold or it was decided already. */
gboolean uk_store_hold_decide(UkStore *store, gint64 id, const char *by, gboolean approve,
                              const char *note, GError **error);
/* Releases an approved or requested hold. UK_STORE_ERROR_NOT_FOUND when
 * there is none to release. */
gboolean uk_store_hold_release(UkStore *store, gint64 id, const char *by, const char *reason,
                               GError **error);
/* (transfer full) NULL with UK_STORE_ERROR_NOT_FOUND. */
UkHold *uk_store_hold_get(UkStore *store, gint64 id, GError **error);
/* Newest first. (element-type UkHold) (transfer full) */
GPtrArray *uk_store_holds_list(UkStore *store, GError **error);

typedef struct {
  gint64 id;
  gchar *camera;
  gchar *path; /* relative to the storage folder */
  gint64 start_90k, end_90k;
  gint64 bytes;
} UkSegmentRef;

void uk_segment_ref_free(UkSegmentRef *s);

/* Complete segments ending before @cutoff_90k (0: any) that no hold
 * protects at @now_90k, oldest first, at most @limit. A hold protects the
 * footage of its cameras that overlaps its range while approved (until
 * released or keep_until), and while requested for at most
 * UK_HOLD_PENDING_PROTECT_90K. (element-type UkSegmentRef) (transfer full) */
GPtrArray *uk_store_segments_unheld(UkStore *store, gint64 cutoff_90k, gint64 now_90k, guint limit,
                                    GError **error);

/* Whether any complete segment is left (held or not). */
gboolean uk_store_segments_any(UkStore *store, GError **error);

/* In one transaction: each segment's file goes into the garbage table (to be
 * unlinked by the caller, then removed from it) and its index row away. */
gboolean uk_store_segments_discard(UkStore *store, const GPtrArray *segments, const char *reason,
                                   GError **error);

G_END_DECLS
