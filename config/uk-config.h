/* uk-config: the uitkijk configuration file (INI, GKeyFile).
 *
 * The format is public and documented key by key in config/uitkijk.conf.example.
 * Every group and key is checked against a table of known ones: an unknown group
 * or key, a missing required key or a bad value is an error that names the group
 * and the key (UK_CONFIG_ERROR). */
#pragma once

#include <glib.h>

#include "uk-windows.h"

G_BEGIN_DECLS

#define UK_CONFIG_ERROR (uk_config_error_quark())
GQuark uk_config_error_quark(void);

typedef enum {
  UK_CONFIG_ERROR_PARSE,   /* not valid INI at all */
  UK_CONFIG_ERROR_UNKNOWN, /* unknown group or key */
  UK_CONFIG_ERROR_MISSING, /* required key or group missing */
  UK_CONFIG_ERROR_INVALID, /* value of the wrong type or out of range */
} UkConfigError;

typedef enum {
  UK_TRANSPORT_TCP,
  UK_TRANSPORT_UDP,
} UkTransport;

typedef struct {
  gchar *id;   /* from the group name [area:ID]; [a-z0-9_-]{1,32} */
  gchar *name; /* display name, required */
} UkAreaConfig;

typedef struct {
  gchar *id;             /* from the group name [camera:ID]; [a-z0-9_-]{1,32} */
  gchar *name;           /* display name; defaults to id */
  gchar *area;           /* id of an [area:...] group, required */
  gchar *url;            /* rtsp:// or rtsps:// URL, required */
  gchar *location;       /* free text for manifests; may be NULL */
  UkTransport transport; /* default tcp */
} UkCameraConfig;

typedef enum {
  UK_DESIGNATION_STANDING = 0, /* a standing designation for a period (usually a year) */
  UK_DESIGNATION_EVENT = 1,    /* for an event; it ends with the event */
} UkDesignationKind;

/* [designation:ID]: the mayor's decision (aanwijzingsbesluit, Gemeentewet art. 151c) that lets
 * an area's cameras record from valid_from up to (not including) valid_until. One without a
 * dpia or with signage = no is loaded but may not be activated; that is the enforcement's call,
 * not a config error. */
typedef struct {
  gchar *id;         /* from the group name [designation:ID]; [a-z0-9_-]{1,32} */
  gchar *area;       /* id of an [area:...] group, required */
  gint kind;         /* UkDesignationKind: UK_DESIGNATION_STANDING=0, UK_DESIGNATION_EVENT=1 */
  gchar *decision;   /* the decision's reference, required */
  gchar *decided_by; /* default "burgemeester" */
  gint64 valid_from_90k, valid_until_90k; /* required; until > from */
  gchar *live_watch_text;                 /* as in the file, or NULL */
  GArray *live_watch; /* (element-type UkWatchWindow), empty when none; never NULL */
  gchar *dpia;        /* DPIA reference, or NULL */
  gboolean signage;   /* signs confirmed in place; default FALSE */
} UkDesignationConfig;

/* [risk_area:ID]: a veiligheidsrisicogebied (Gemeentewet art. 151b: preventive frisking). A
 * record of its own that never enables cameras. In force from valid_from up to (not including)
 * valid_until. */
typedef struct {
  gchar *id;                              /* from the group name [risk_area:ID]; [a-z0-9_-]{1,32} */
  gchar *area;                            /* id of an [area:...] group, required */
  gchar *decision;                        /* the decision's reference, required */
  gchar *prosecutor;                      /* the officier van justitie consulted, required */
  gint64 valid_from_90k, valid_until_90k; /* required; until > from */
} UkRiskAreaConfig;

typedef struct {
  gchar *path; /* the file it was read from, absolute; NULL when from data */

  /* [server] */
  gchar *listen_host;     /* default 127.0.0.1; an IPv6 address is stored without brackets */
  guint16 listen_port;    /* default 8080 */
  gchar *tls_cert;        /* absolute, or NULL: plain HTTP */
  gchar *tls_key;         /* absolute, or NULL */
  gchar *origins;         /* extra allowed Origin values, space-separated, or NULL */
  gchar *www_path;        /* console files; NULL: the installed ones */
  guint session_minutes;  /* 5..1440, default 720 */
  guint lockout_failures; /* 1..100, default 5 */
  guint lockout_minutes;  /* 1..1440, default 15 */

  /* [storage] */
  gchar *storage_path; /* absolute; relative values are resolved against the config file's folder */
  gchar *database_path;   /* absolute; default <storage_path>/uitkijk.db */
  guint segment_seconds;  /* 2..3600, default 60 */
  gchar *min_free_text;   /* free disk space to keep, as in the file; default "5%" */
  guint64 min_free_bytes; /* in bytes (K, M, G, T suffixes are powers of 1024), or 0 */
  guint min_free_percent; /* 1..90 percent of the file system, or 0; exactly one of the two
                             is non-zero */

  /* [retention] */
  guint footage_days;     /* 1..28, default 28 (Gemeentewet art. 151c lid 9: at most four weeks) */
  guint export_link_days; /* 1..90, default 14: how long a clip export can be downloaded */

  /* [incidents] */
  gchar *incident_categories_text; /* as in the file */
  gchar *incident_actions_text;
  GStrv incident_categories; /* split, in order */
  GStrv incident_actions;
  guint incident_active_days; /* 1..365, default 365 */
  guint incident_delete_days; /* active_days..1825, default 1825 */

  GPtrArray *areas;        /* (element-type UkAreaConfig) in file order */
  GPtrArray *cameras;      /* (element-type UkCameraConfig) in file order */
  GPtrArray *designations; /* (element-type UkDesignationConfig) in file order */
  GPtrArray *risk_areas;   /* (element-type UkRiskAreaConfig) in file order */
} UkConfig;

/* Reads and validates @path. (transfer full) Messages start with "@path: ". A file that cannot
 * be read gives the G_FILE_ERROR of g_file_get_contents(); anything else UK_CONFIG_ERROR. */
UkConfig *uk_config_load(const char *path, GError **error);

/* Same, from memory (@length may be (gsize) -1 when @data is nul-terminated); relative paths
 * resolve against @base_dir, or the current folder when it is NULL. (transfer full) */
UkConfig *uk_config_load_from_data(const char *data, gsize length, const char *base_dir,
                                   GError **error);

void uk_config_free(UkConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkConfig, uk_config_free)

/* (transfer none) or NULL */
const UkCameraConfig *uk_config_find_camera(const UkConfig *config, const char *id);
const UkAreaConfig *uk_config_find_area(const UkConfig *config, const char *id);
const UkDesignationConfig *uk_config_find_designation(const UkConfig *config, const char *id);
const UkRiskAreaConfig *uk_config_find_risk_area(const UkConfig *config, const char *id);

/* TRUE when @id is a valid area, camera, designation or risk area id: 1 to 32 of [a-z0-9_-], not
 * starting with '-'. Ids become file names, so nothing else is allowed. */
gboolean uk_config_id_is_valid(const char *id);

G_END_DECLS
