/* uk-incidents: the incident log (append-only) and its review queries.
 *
 * An incident is never updated: corrections and status changes are
 * UkIncidentChange rows, and readers see the incident as it reads now
 * (the incident_now view). Full-text search uses FTS5. */
#pragma once

#include "uk-store.h"

G_BEGIN_DECLS

typedef struct {
  gint64 id;
  gint64 time_90k;
  gchar *author;
  gchar *field; /* status, description, category, severity, actions, note */
  gchar *value; /* JSON */
  gchar *note;
} UkIncidentChange;

typedef struct {
  gint64 id;
  gchar *area;
  gchar *camera;
  gchar *cameras_json; /* JSON array */
  gint64 position_90k;
  gchar *source;     /* live, playback */
  gint64 frame_90k;  /* 0: not resolved to a recorded frame */
  gchar *frame_path; /* relative; NULL when not resolved */
  gint64 frame_pts_90k;
  gchar *category;
  gchar *severity; /* low, medium, high */
  gchar *description;
  gchar *actions_json; /* JSON array */
  gint64 created_90k;
  gchar *created_by;
  gchar *status;      /* open, handed_to_police, closed (as it is now) */
  gint changes;       /* number of amendments and status changes */
  GPtrArray *history; /* (element-type UkIncidentChange) when asked for */
} UkIncident;

void uk_incident_free(UkIncident *incident);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkIncident, uk_incident_free)

/* Adds @incident (its id and created_90k are set). Inside the caller's
 * transaction when one is open. */
gboolean uk_store_incident_add(UkStore *store, UkIncident *incident, GError **error);

/* Appends a change. @value_json is a JSON value. */
gboolean uk_store_incident_change(UkStore *store, gint64 id, const char *author, const char *field,
                                  const char *value_json, const char *note, GError **error);

/* The incident as it reads now, with its history when @history. NULL with
 * UK_STORE_ERROR_NOT_FOUND when there is none. (transfer full) */
UkIncident *uk_store_incident_get(UkStore *store, gint64 id, gboolean history, GError **error);

typedef struct {
  const char *const *areas; /* NULL-terminated; required (the caller's authorised areas) */
  gint64 from_90k, to_90k;  /* by position; 0: open */
  const char *category;     /* as it is now */
  const char *status;
  const char *camera;
  const char *text;         /* full text: every word must occur (prefixes match) */
  gint64 created_after_90k; /* only incidents in active use: created after this */
  gint64 before_id;         /* paging: older than this id; 0: from the newest */
  guint limit;
} UkIncidentQuery;

/* Retention (Wpg art. 8): deletes incidents created before @before_90k with
 * their changes and search entries, and audits the deletion. Returns how many
 * were deleted, or -1 with @error. */
/* Adds up to @limit incidents that are not in the full-text index yet, in
 * id order (the writer does this outside the acknowledged transactions).
 * Returns how many, or -1. */
gint64 uk_store_incidents_index(UkStore *store, gint64 limit, GError **error);
/* Roughly how many incidents this connection added that are not indexed yet
 * (0: none it knows of). */
gint64 uk_store_incidents_unindexed(UkStore *store);
/* The full-text rule for one text: every word of @query occurs in @text as a
 * word prefix (its tokens in a row), case and accents ignored. */
gboolean uk_text_matches(const char *text, const char *query);

gint64 uk_store_incidents_expire(UkStore *store, gint64 before_90k, GError **error);

/* Newest first. (element-type UkIncident) (transfer full) */
GPtrArray *uk_store_incidents_query(UkStore *store, const UkIncidentQuery *query, GError **error);

G_END_DECLS
