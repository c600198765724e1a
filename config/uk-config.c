/* uk-config: loads and validates the uitkijk configuration file.
 *
 * Everything the file may contain is described by the static tables below: group_specs lists
 * the groups, and each group has a table of keys with a type, whether the key is required or
 * else its default, where its parsed value goes (an offset into UkConfig or into the group's
 * element struct) and a description. Loading is driven by the tables only, so supporting a
 * new key is one row plus a field to hold it, and a new group is one group row, a key table,
 * a struct with its free function, and (for [kind:ID] groups) a GPtrArray in UkConfig.
 *
 * Order of work: every group name is checked first (in file order), then the single groups
 * ([server], [storage], ...) in table order, then the [kind:ID] groups in file order. Within a
 * group, unknown keys are reported first, then each known key is read in table order, so a
 * key may depend on one above it ([storage] database on path, valid_until on valid_from). */

#include "uk-config.h"

#include "uk-time.h"

#include <stddef.h>
#include <string.h>

GQuark
uk_config_error_quark(void)
{
  return g_quark_from_static_string("uk-config-error-quark");
}

#define ID_MAX_LENGTH 32
#define HOSTNAME_MAX_LENGTH 253
#define LABEL_MAX_LENGTH 63

typedef enum {
  KEY_STRING,     /* non-empty text, no control characters: gchar * */
  KEY_PATH,       /* file or directory path, made absolute (see PathBase): gchar * */
  KEY_HOST_PORT,  /* HOST:PORT: gchar * host at offset, guint16 port at port_offset */
  KEY_UINT,       /* decimal integer in [min, max]: guint */
  KEY_ENUM,       /* one of choices: gint, the index in choices (an enum field) */
  KEY_RTSP_URL,   /* rtsp:// or rtsps:// URL: gchar * */
  KEY_ID_REF,     /* id of an existing group [ref_kind:ID]: gchar * */
  KEY_TIME,       /* RFC 3339 time, later than the key named by 'after' if set: gint64 90 kHz */
  KEY_BOOL,       /* yes/no/true/false/1/0: gboolean */
  KEY_FREE_SPACE, /* bytes with an optional K/M/G/T suffix, or N% with N 1..90: gchar * text at
                     offset, guint64 bytes at bytes_offset, guint percent at percent_offset */
  KEY_WINDOWS,    /* live-watch windows (uk-windows.h): gchar * text at offset, GArray * at
                     windows_offset */
} KeyType;

typedef enum {
  KEY_OPTIONAL = 0,
  KEY_REQUIRED = 1 << 0,   /* absent is an error */
  KEY_DEFAULT_ID = 1 << 1, /* absent means the group's id */
} KeyFlags;

typedef enum {
  BASE_CONFIG_DIR, /* relative paths are relative to the config file's folder */
  BASE_STORAGE,    /* relative paths are relative to [storage] path */
} PathBase;

typedef struct {
  const char *name;
  KeyType type;
  KeyFlags flags;
  const char *default_value;  /* parsed like a value from the file; NULL for no default */
  gsize offset;               /* of the field in the group's target struct */
  gsize port_offset;          /* KEY_HOST_PORT */
  guint min, max;             /* KEY_UINT */
  const char *over_max;       /* KEY_UINT: why values above max are refused (a legal limit) */
  const char *const *choices; /* KEY_ENUM, NULL-terminated, in enum order */
  PathBase path_base;         /* KEY_PATH */
  const char *ref_kind;       /* KEY_ID_REF */
  const char *after;          /* KEY_TIME: an earlier KEY_TIME key of the group it must follow */
  gsize bytes_offset;         /* KEY_FREE_SPACE */
  gsize percent_offset;       /* KEY_FREE_SPACE */
  gsize windows_offset;       /* KEY_WINDOWS */
  const char *description;    /* for messages: what the key is */
} KeySpec;

typedef struct {
  const char *kind; /* "server" for [server], or "camera" for [camera:ID] */
  gboolean has_id;  /* [kind:ID], any number of them; else a single optional [kind] */
  const KeySpec *keys;
  gsize n_keys;
  /* has_id only: the element struct, its id field, its free function, and the
   * GPtrArray in UkConfig that holds the elements in file order. */
  gsize element_size;
  gsize id_offset;
  void (*element_init)(gpointer element); /* or NULL; before any key is read */
  GDestroyNotify element_free;
  gsize array_offset;
} GroupSpec;

static const char *const transport_choices[] = { "tcp", "udp", NULL };
G_STATIC_ASSERT(UK_TRANSPORT_TCP == 0 && UK_TRANSPORT_UDP == 1);
G_STATIC_ASSERT(sizeof(UkTransport) == sizeof(gint));
static const char *const designation_kind_choices[] = { "standing", "event", NULL };
G_STATIC_ASSERT(UK_DESIGNATION_STANDING == 0 && UK_DESIGNATION_EVENT == 1);

static const KeySpec server_keys[] = {
  { .name = "listen",
    .type = KEY_HOST_PORT,
    .default_value = "127.0.0.1:8080",
    .offset = offsetof(UkConfig, listen_host),
    .port_offset = offsetof(UkConfig, listen_port),
    .description = "address and port of the web interface" },
  { .name = "tls_cert",
    .type = KEY_PATH,
    .offset = offsetof(UkConfig, tls_cert),
    .path_base = BASE_CONFIG_DIR,
    .description = "PEM certificate chain for HTTPS (with tls_key)" },
  { .name = "tls_key",
    .type = KEY_PATH,
    .offset = offsetof(UkConfig, tls_key),
    .path_base = BASE_CONFIG_DIR,
    .description = "PEM private key for HTTPS (with tls_cert)" },
  { .name = "origins",
    .type = KEY_STRING,
    .offset = offsetof(UkConfig, origins),
    .description = "extra allowed browser origins, separated by spaces" },
  { .name = "www",
    .type = KEY_PATH,
    .offset = offsetof(UkConfig, www_path),
    .path_base = BASE_CONFIG_DIR,
    .description = "folder with the web console's files" },
  { .name = "session_minutes",
    .type = KEY_UINT,
    .default_value = "720",
    .offset = offsetof(UkConfig, session_minutes),
    .min = 5,
    .max = 1440,
    .description = "how long a console login lasts, in minutes" },
  { .name = "lockout_failures",
    .type = KEY_UINT,
    .default_value = "5",
    .offset = offsetof(UkConfig, lockout_failures),
    .min = 1,
    .max = 100,
    .description = "failed logins in a row that lock an account" },
  { .name = "lockout_minutes",
    .type = KEY_UINT,
    .default_value = "15",
    .offset = offsetof(UkConfig, lockout_minutes),
    .min = 1,
    .max = 1440,
    .description = "how long a locked account stays locked, in minutes" },
};

/* Defaults from Emmen's safety plan (Integraal Veiligheidsplan). */
#define DEFAULT_CATEGORIES                                                                         \
  "drugshandel op straat;overlast;geweld;straatintimidatie;diefstal/inbraak;vernieling;"           \
  "verdacht gedrag;openbare orde/evenement;OV/stationsgebied;medisch;anders"
#define DEFAULT_ACTIONS "politie ingelicht;boa ingezet;handhaving ingezet;ambulance;geen actie"

static const KeySpec incident_keys[] = {
  { .name = "categories",
    .type = KEY_STRING,
    .default_value = DEFAULT_CATEGORIES,
    .offset = offsetof(UkConfig, incident_categories_text),
    .description = "incident categories, separated by ';'" },
  { .name = "actions",
    .type = KEY_STRING,
    .default_value = DEFAULT_ACTIONS,
    .offset = offsetof(UkConfig, incident_actions_text),
    .description = "actions an operator can record, separated by ';'" },
  { .name = "active_days",
    .type = KEY_UINT,
    .default_value = "365",
    .offset = offsetof(UkConfig, incident_active_days),
    .min = 1,
    .max = 365,
    .description = "days an incident stays in active use (Wpg art. 8: at most 1 year)" },
  { .name = "delete_days",
    .type = KEY_UINT,
    .default_value = "1825",
    .offset = offsetof(UkConfig, incident_delete_days),
    .min = 1,
    .max = 1825,
    .description = "days after which an incident is deleted (Wpg art. 8: at most 5 years)" },
};

static const KeySpec storage_keys[] = {
  { .name = "path",
    .type = KEY_PATH,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkConfig, storage_path),
    .path_base = BASE_CONFIG_DIR,
    .description = "folder that holds the recordings" },
  { .name = "database",
    .type = KEY_PATH,
    .default_value = "uitkijk.db",
    .offset = offsetof(UkConfig, database_path),
    .path_base = BASE_STORAGE,
    .description = "SQLite database file" },
  { .name = "segment_seconds",
    .type = KEY_UINT,
    .default_value = "60",
    .offset = offsetof(UkConfig, segment_seconds),
    .min = 2,
    .max = 3600,
    .description = "length of a recording segment in seconds" },
  { .name = "min_free",
    .type = KEY_FREE_SPACE,
    .default_value = "5%",
    .offset = offsetof(UkConfig, min_free_text),
    .bytes_offset = offsetof(UkConfig, min_free_bytes),
    .percent_offset = offsetof(UkConfig, min_free_percent),
    .description = "free disk space to keep" },
};

static const KeySpec retention_keys[] = {
  { .name = "footage_days",
    .type = KEY_UINT,
    .default_value = "28",
    .offset = offsetof(UkConfig, footage_days),
    .min = 1,
    .max = 28,
    .over_max = "the legal maximum is 28 days (Gemeentewet art. 151c lid 9: footage is "
                "destroyed within four weeks)",
    .description = "days footage is kept (Gemeentewet 151c lid 9: at most 28)" },
  { .name = "export_link_days",
    .type = KEY_UINT,
    .default_value = "14",
    .offset = offsetof(UkConfig, export_link_days),
    .min = 1,
    .max = 90,
    .description = "days a police clip export stays downloadable by its requester" },
};

static const KeySpec area_keys[] = {
  { .name = "name",
    .type = KEY_STRING,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkAreaConfig, name),
    .description = "display name of the area" },
};

static const KeySpec camera_keys[] = {
  { .name = "name",
    .type = KEY_STRING,
    .flags = KEY_DEFAULT_ID,
    .offset = offsetof(UkCameraConfig, name),
    .description = "display name of the camera" },
  { .name = "area",
    .type = KEY_ID_REF,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkCameraConfig, area),
    .ref_kind = "area",
    .description = "id of the [area:ID] group the camera belongs to" },
  { .name = "url",
    .type = KEY_RTSP_URL,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkCameraConfig, url),
    .description = "RTSP URL of the camera's stream" },
  { .name = "location",
    .type = KEY_STRING,
    .offset = offsetof(UkCameraConfig, location),
    .description = "where the camera is, as free text" },
  { .name = "transport",
    .type = KEY_ENUM,
    .default_value = "tcp",
    .offset = offsetof(UkCameraConfig, transport),
    .choices = transport_choices,
    .description = "RTP transport for the stream" },
};

static const KeySpec designation_keys[] = {
  { .name = "area",
    .type = KEY_ID_REF,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkDesignationConfig, area),
    .ref_kind = "area",
    .description = "id of the [area:ID] group the designation is for" },
  { .name = "kind",
    .type = KEY_ENUM,
    .default_value = "standing",
    .offset = offsetof(UkDesignationConfig, kind),
    .choices = designation_kind_choices,
    .description = "standing designation or one for an event" },
  { .name = "decision",
    .type = KEY_STRING,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkDesignationConfig, decision),
    .description = "reference of the designation decision" },
  { .name = "decided_by",
    .type = KEY_STRING,
    .default_value = "burgemeester",
    .offset = offsetof(UkDesignationConfig, decided_by),
    .description = "who took the decision" },
  { .name = "valid_from",
    .type = KEY_TIME,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkDesignationConfig, valid_from_90k),
    .description = "when the designation starts, as an RFC 3339 time" },
  { .name = "valid_until",
    .type = KEY_TIME,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkDesignationConfig, valid_until_90k),
    .after = "valid_from",
    .description = "when the designation ends, as an RFC 3339 time" },
  { .name = "live_watch",
    .type = KEY_WINDOWS,
    .offset = offsetof(UkDesignationConfig, live_watch_text),
    .windows_offset = offsetof(UkDesignationConfig, live_watch),
    .description = "windows in which the images are watched live" },
  { .name = "dpia",
    .type = KEY_STRING,
    .offset = offsetof(UkDesignationConfig, dpia),
    .description = "reference of the DPIA (Wpg art. 4c)" },
  { .name = "signage",
    .type = KEY_BOOL,
    .default_value = "no",
    .offset = offsetof(UkDesignationConfig, signage),
    .description = "whether the signs are confirmed in place" },
};

static const KeySpec risk_area_keys[] = {
  { .name = "area",
    .type = KEY_ID_REF,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkRiskAreaConfig, area),
    .ref_kind = "area",
    .description = "id of the [area:ID] group the risk area covers" },
  { .name = "decision",
    .type = KEY_STRING,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkRiskAreaConfig, decision),
    .description = "reference of the decision" },
  { .name = "valid_from",
    .type = KEY_TIME,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkRiskAreaConfig, valid_from_90k),
    .description = "when the risk area starts, as an RFC 3339 time" },
  { .name = "valid_until",
    .type = KEY_TIME,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkRiskAreaConfig, valid_until_90k),
    .after = "valid_from",
    .description = "when the risk area ends, as an RFC 3339 time" },
  { .name = "prosecutor",
    .type = KEY_STRING,
    .flags = KEY_REQUIRED,
    .offset = offsetof(UkRiskAreaConfig, prosecutor),
    .description = "the officier van justitie consulted, Gemeentewet art. 151b" },
};

static void area_free(gpointer data);
static void camera_free(gpointer data);
static void designation_init(gpointer data);
static void designation_free(gpointer data);
static void risk_area_free(gpointer data);

/* Single groups come first: their values are read before any [kind:ID] group. */
static const GroupSpec group_specs[] = {
  { .kind = "server", .keys = server_keys, .n_keys = G_N_ELEMENTS(server_keys) },
  { .kind = "storage", .keys = storage_keys, .n_keys = G_N_ELEMENTS(storage_keys) },
  { .kind = "incidents", .keys = incident_keys, .n_keys = G_N_ELEMENTS(incident_keys) },
  { .kind = "retention", .keys = retention_keys, .n_keys = G_N_ELEMENTS(retention_keys) },
  { .kind = "area",
    .has_id = TRUE,
    .keys = area_keys,
    .n_keys = G_N_ELEMENTS(area_keys),
    .element_size = sizeof(UkAreaConfig),
    .id_offset = offsetof(UkAreaConfig, id),
    .element_free = area_free,
    .array_offset = offsetof(UkConfig, areas) },
  { .kind = "camera",
    .has_id = TRUE,
    .keys = camera_keys,
    .n_keys = G_N_ELEMENTS(camera_keys),
    .element_size = sizeof(UkCameraConfig),
    .id_offset = offsetof(UkCameraConfig, id),
    .element_free = camera_free,
    .array_offset = offsetof(UkConfig, cameras) },
  { .kind = "designation",
    .has_id = TRUE,
    .keys = designation_keys,
    .n_keys = G_N_ELEMENTS(designation_keys),
    .element_size = sizeof(UkDesignationConfig),
    .id_offset = offsetof(UkDesignationConfig, id),
    .element_init = designation_init,
    .element_free = designation_free,
    .array_offset = offsetof(UkConfig, designations) },
  { .kind = "risk_area",
    .has_id = TRUE,
    .keys = risk_area_keys,
    .n_keys = G_N_ELEMENTS(risk_area_keys),
    .element_size = sizeof(UkRiskAreaConfig),
    .id_offset = offsetof(UkRiskAreaConfig, id),
    .element_free = risk_area_free,
    .array_offset = offsetof(UkConfig, risk_areas) },
};

typedef struct {
  const char *path;     /* for messages; NULL when loading from data */
  const char *base_dir; /* absolute */
  GKeyFile *key_file;
  UkConfig *config;
} LoadContext;

static gpointer
field_at(gpointer base, gsize offset)
{
  return (guint8 *)base + offset;
}

static void
area_free(gpointer data)
{
  UkAreaConfig *area = data;

  g_free(area->id);
  g_free(area->name);
  g_free(area);
}

static void
camera_free(gpointer data)
{
  UkCameraConfig *camera = data;

  g_free(camera->id);
  g_free(camera->name);
  g_free(camera->area);
  g_free(camera->url);
  g_free(camera->location);
  g_free(camera);
}

static void
designation_init(gpointer data)
{
  UkDesignationConfig *designation = data;

  designation->live_watch = g_array_new(FALSE, TRUE, sizeof(UkWatchWindow));
}

static void
designation_free(gpointer data)
{
  UkDesignationConfig *designation = data;

  g_free(designation->id);
  g_free(designation->area);
  g_free(designation->decision);
  g_free(designation->decided_by);
  g_free(designation->live_watch_text);
  g_clear_pointer(&designation->live_watch, g_array_unref);
  g_free(designation->dpia);
  g_free(designation);
}

static void
risk_area_free(gpointer data)
{
  UkRiskAreaConfig *risk_area = data;

  g_free(risk_area->id);
  g_free(risk_area->area);
  g_free(risk_area->decision);
  g_free(risk_area->prosecutor);
  g_free(risk_area);
}

void
uk_config_free(UkConfig *config)
{
  if (config == NULL)
    return;
  g_free(config->path);
  g_free(config->listen_host);
  g_free(config->tls_cert);
  g_free(config->tls_key);
  g_free(config->origins);
  g_free(config->www_path);
  g_free(config->incident_categories_text);
  g_free(config->incident_actions_text);
  g_strfreev(config->incident_categories);
  g_strfreev(config->incident_actions);
  g_free(config->storage_path);
  g_free(config->database_path);
  g_free(config->min_free_text);
  for (gsize i = 0; i < G_N_ELEMENTS(group_specs); i++) {
    if (group_specs[i].has_id)
      g_clear_pointer((GPtrArray **)field_at(config, group_specs[i].array_offset),
                      g_ptr_array_unref);
  }
  g_free(config);
}

static UkConfig *
config_new(void)
{
  UkConfig *config = g_new0(UkConfig, 1);

  for (gsize i = 0; i < G_N_ELEMENTS(group_specs); i++) {
    if (group_specs[i].has_id)
      *(GPtrArray **)field_at(config, group_specs[i].array_offset)
          = g_ptr_array_new_with_free_func(group_specs[i].element_free);
  }
  return config;
}

/* @text as-is when it is printable UTF-8, else escaped, for names from the file that appear in
 * messages. (transfer full) */
static gchar *
printable(const char *text)
{
  for (const char *p = text; *p != '\0'; p++) {
    if (g_ascii_iscntrl(*p))
      return g_strescape(text, NULL);
  }
  return g_utf8_validate(text, -1, NULL) ? g_strdup(text) : g_strescape(text, NULL);
}

/* Sets @error to "PATH: group [GROUP]: MESSAGE", leaving out what is NULL. */
static void set_error(const LoadContext *ctx, GError **error, UkConfigError code, const char *group,
                      const char *format, ...) G_GNUC_PRINTF(5, 6);

static void
set_error(const LoadContext *ctx, GError **error, UkConfigError code, const char *group,
          const char *format, ...)
{
  g_autoptr(GString) message = g_string_new(NULL);
  va_list args;

  if (ctx->path != NULL)
    g_string_append_printf(message, "%s: ", ctx->path);
  if (group != NULL) {
    g_autofree gchar *group_text = printable(group);

    g_string_append_printf(message, "group [%s]: ", group_text);
  }
  va_start(args, format);
  g_string_append_vprintf(message, format, args);
  va_end(args);
  g_set_error_literal(error, UK_CONFIG_ERROR, code, message->str);
}

static gboolean
has_control_chars(const char *text)
{
  for (const char *p = text; *p != '\0'; p++) {
    if (g_ascii_iscntrl(*p))
      return TRUE;
  }
  return FALSE;
}

/* @value as it may appear in a message: control characters escaped, and the user:password
 * part of a URL hidden, since messages end up in logs. (transfer full) */
static gchar *
quote_value(const KeySpec *key, const char *value)
{
  GString *quoted = g_string_new(NULL);
  const char *p = value;

  if (key->type == KEY_RTSP_URL) {
    const char *authority = strstr(value, "://");
    const char *at = authority != NULL ? strchr(authority, '@') : NULL;
    const char *slash = authority != NULL ? strchr(authority + 3, '/') : NULL;

    if (at != NULL && (slash == NULL || at < slash)) {
      g_string_append_len(quoted, value, authority + 3 - value);
      g_string_append(quoted, "***");
      p = at;
    }
  }
  for (; *p != '\0'; p++) {
    if (g_ascii_iscntrl(*p))
      g_string_append_printf(quoted, "\\x%02x", (guchar)*p);
    else
      g_string_append_c(quoted, *p);
  }
  return g_string_free(quoted, FALSE);
}

/* TRUE when @text is one or more decimal digits and nothing else. */
static gboolean
is_decimal(const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++) {
    if (!g_ascii_isdigit(*p))
      return FALSE;
  }
  return TRUE;
}

/* Parses a whole string of decimal digits (no sign, no spaces) within [min, max]. */
static gboolean
parse_uint(const char *text, guint min, guint max, guint *out)
{
  guint64 value;

  for (const char *p = text; *p != '\0'; p++) {
    if (!g_ascii_isdigit(*p))
      return FALSE;
  }
  if (!g_ascii_string_to_unsigned(text, 10, min, max, &value, NULL))
    return FALSE;
  *out = (guint)value;
  return TRUE;
}

/* Free disk space: a whole number of bytes above 0 with an optional suffix K, M, G or T (powers
 * of 1024), or a percentage N% with N from 1 to 90. Exactly one of the outputs is non-zero. */
static gboolean
parse_free_space(const char *text, guint64 *out_bytes, guint *out_percent)
{
  static const char suffixes[] = "KMGT";
  gsize length = strlen(text);
  g_autofree gchar *number = NULL;
  const char *suffix;
  guint shift = 0;
  guint64 value;

  if (length == 0)
    return FALSE;
  if (text[length - 1] == '%') {
    guint percent;

    number = g_strndup(text, length - 1);
    if (!parse_uint(number, 1, 90, &percent))
      return FALSE;
    *out_bytes = 0;
    *out_percent = percent;
    return TRUE;
  }
  suffix = strchr(suffixes, text[length - 1]);
  if (suffix != NULL) {
    shift = 10 * (guint)(suffix - suffixes + 1);
    length--;
  }
  number = g_strndup(text, length);
  if (!is_decimal(number))
    return FALSE;
  if (!g_ascii_string_to_unsigned(number, 10, 1, G_MAXUINT64 >> shift, &value, NULL))
    return FALSE;
  *out_bytes = value << shift;
  *out_percent = 0;
  return TRUE;
}

static gboolean
parse_bool(const char *text, gboolean *out)
{
  static const char *const yes[] = { "yes", "true", "1" };
  static const char *const no[] = { "no", "false", "0" };

  for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
    if (strcmp(text, yes[i]) == 0) {
      *out = TRUE;
      return TRUE;
    }
    if (strcmp(text, no[i]) == 0) {
      *out = FALSE;
      return TRUE;
    }
  }
  return FALSE;
}

/* A DNS host name (letters, digits and '-' in dot-separated labels) or an IPv4 address. */
static gboolean
is_hostname_or_ipv4(const char *host)
{
  gsize label_length = 0;
  gboolean all_numeric = TRUE;

  if (strchr(host, ':') == NULL && g_hostname_is_ip_address(host))
    return TRUE;
  if (*host == '\0' || strlen(host) > HOSTNAME_MAX_LENGTH)
    return FALSE;
  for (const char *p = host;; p++) {
    if (*p == '.' || *p == '\0') {
      if (label_length == 0 || p[-1] == '-')
        return FALSE;
      if (*p == '\0')
        break;
      label_length = 0;
    } else if (g_ascii_isalnum(*p) || (*p == '-' && label_length > 0)) {
      if (++label_length > LABEL_MAX_LENGTH)
        return FALSE;
      if (!g_ascii_isdigit(*p))
        all_numeric = FALSE;
    } else {
      return FALSE;
    }
  }
  /* "999.1.2.3" is a bad IPv4 address rather than a host name. */
  return !all_numeric;
}

/* HOST:PORT, with HOST a host name, an IPv4 address or a bracketed IPv6 address. The host is
 * returned without brackets. */
static gboolean
parse_host_port(const char *value, gchar **out_host, guint16 *out_port)
{
  g_autofree gchar *host = NULL;
  const char *port_text;
  guint port;

  if (value[0] == '[') {
    const char *close = strchr(value, ']');

    if (close == NULL || close[1] != ':')
      return FALSE;
    host = g_strndup(value + 1, close - value - 1);
    if (strchr(host, ':') == NULL || !g_hostname_is_ip_address(host))
      return FALSE;
    port_text = close + 2;
  } else {
    const char *colon = strchr(value, ':');

    if (colon == NULL)
      return FALSE;
    host = g_strndup(value, colon - value);
    if (!is_hostname_or_ipv4(host))
      return FALSE;
    port_text = colon + 1;
  }
  if (!parse_uint(port_text, 1, G_MAXUINT16, &port))
    return FALSE;

  *out_host = g_steal_pointer(&host);
  *out_port = (guint16)port;
  return TRUE;
}

static gboolean
is_rtsp_url(const char *value)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  for (const char *p = value; *p != '\0'; p++) {
    if (g_ascii_iscntrl(*p) || g_ascii_isspace(*p))
      return FALSE;
  }
  uri = g_uri_parse(value, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme(uri);
  host = g_uri_get_host(uri);
  return (g_ascii_strcasecmp(scheme, "rtsp") == 0 || g_ascii_strcasecmp(scheme, "rtsps") == 0)
         && host != NULL && *host != '\0';
}

/* Replaces the string field at @field with @value. */
static void
set_string(gpointer field, gchar *value)
{
  gchar **string_field = field;

  g_free(*string_field);
  *string_field = value;
}

static const KeySpec *find_key(const GroupSpec *spec, const char *name);

/* Parses @value for @key (a key of @spec, in group @group) and stores it in @target. On failure
 * returns FALSE with @reason set to what a valid value looks like. */
static gboolean
parse_value(const LoadContext *ctx, const GroupSpec *spec, const char *group, const KeySpec *key,
            const char *value, gpointer target, gchar **reason)
{
  gpointer field = field_at(target, key->offset);

  switch (key->type) {
    case KEY_STRING:
      if (*value == '\0' || has_control_chars(value)) {
        *reason = g_strdup("expected non-empty text without control characters");
        return FALSE;
      }
      set_string(field, g_strdup(value));
      return TRUE;

    case KEY_PATH: {
      const char *base = key->path_base == BASE_STORAGE ? ctx->config->storage_path : ctx->base_dir;

      if (*value == '\0' || has_control_chars(value)) {
        *reason = g_strdup("expected a non-empty path without control characters");
        return FALSE;
      }
      g_assert(base != NULL);
      set_string(field, g_canonicalize_filename(value, base));
      return TRUE;
    }

    case KEY_HOST_PORT: {
      gchar *host = NULL;
      guint16 port;

      if (!parse_host_port(value, &host, &port)) {
        *reason = g_strdup("expected HOST:PORT, with HOST an IPv4 address, a host name or "
                           "an [IPv6] address in brackets, and PORT from 1 to 65535");
        return FALSE;
      }
      set_string(field, host);
      *(guint16 *)field_at(target, key->port_offset) = port;
      return TRUE;
    }

    case KEY_UINT: {
      guint number;

      if (parse_uint(value, key->min, key->max, field))
        return TRUE;
      /* A whole number that is not in 0..max is above max (perhaps beyond guint). */
      if (key->over_max != NULL && is_decimal(value) && !parse_uint(value, 0, key->max, &number))
        *reason = g_strdup_printf("%s; expected a whole number from %u to %u", key->over_max,
                                  key->min, key->max);
      else
        *reason = g_strdup_printf("expected a whole number from %u to %u", key->min, key->max);
      return FALSE;
    }

    case KEY_ENUM: {
      g_autofree gchar *choices = NULL;

      for (gint i = 0; key->choices[i] != NULL; i++) {
        if (strcmp(value, key->choices[i]) == 0) {
          /* The field is an enum; its size is checked against gint above. */
          memcpy(field, &i, sizeof i);
          return TRUE;
        }
      }
      choices = g_strjoinv(", ", (gchar **)key->choices);
      *reason = g_strdup_printf("expected one of: %s", choices);
      return FALSE;
    }

    case KEY_RTSP_URL:
      if (!is_rtsp_url(value)) {
        *reason = g_strdup("expected an rtsp:// or rtsps:// URL with a host, without spaces");
        return FALSE;
      }
      set_string(field, g_strdup(value));
      return TRUE;

    case KEY_ID_REF: {
      g_autofree gchar *group = g_strdup_printf("%s:%s", key->ref_kind, value);

      if (!g_key_file_has_group(ctx->key_file, group)) {
        *reason = g_strdup_printf("there is no group [%s]", group);
        return FALSE;
      }
      set_string(field, g_strdup(value));
      return TRUE;
    }

    case KEY_TIME: {
      g_autoptr(GError) local_error = NULL;
      const KeySpec *earlier = key->after != NULL ? find_key(spec, key->after) : NULL;
      gint64 t_90k;

      if (!uk_time_parse_rfc3339(value, &t_90k, &local_error)) {
        *reason = g_strdup(local_error->message);
        return FALSE;
      }
      if (earlier != NULL) {
        gint64 earlier_90k = *(gint64 *)field_at(target, earlier->offset);

        if (t_90k <= earlier_90k) {
          g_autofree gchar *earlier_text
              = g_key_file_get_string(ctx->key_file, group, earlier->name, NULL);

          /* Quote the earlier key as written; it is required, so it is in the file. */
          if (earlier_text == NULL)
            earlier_text = uk_time_format_rfc3339(earlier_90k);
          g_strstrip(earlier_text);
          *reason
              = g_strdup_printf("must be later than key '%s' (%s)", earlier->name, earlier_text);
          return FALSE;
        }
      }
      *(gint64 *)field = t_90k;
      return TRUE;
    }

    case KEY_BOOL:
      if (!parse_bool(value, field)) {
        *reason = g_strdup("expected yes, no, true, false, 1 or 0");
        return FALSE;
      }
      return TRUE;

    case KEY_FREE_SPACE:
      if (!parse_free_space(value, field_at(target, key->bytes_offset),
                            field_at(target, key->percent_offset))) {
        *reason = g_strdup("expected a number of bytes above 0 with an optional suffix K, M, G or "
                           "T (powers of 1024), such as 500M or 20G, or a percentage of the "
                           "file system from 1% to 90%, such as 5%");
        return FALSE;
      }
      set_string(field, g_strdup(value));
      return TRUE;

    case KEY_WINDOWS: {
      g_autoptr(GError) local_error = NULL;
      GArray **windows = field_at(target, key->windows_offset);
      GArray *parsed = NULL;

      /* An empty value is refused like everywhere else; no windows is no key. */
      if (*value == '\0' || !uk_watch_windows_parse(value, &parsed, &local_error)) {
        *reason = local_error != NULL
                      ? g_strdup(local_error->message)
                      : g_strdup("expected live-watch windows such as 'fri-sat 22:00-04:00'; "
                                 "leave the key out for none");
        return FALSE;
      }
      g_clear_pointer(windows, g_array_unref);
      *windows = parsed;
      set_string(field, g_strdup(value));
      return TRUE;
    }

    default:
      g_assert_not_reached();
  }
}

static const KeySpec *
find_key(const GroupSpec *spec, const char *name)
{
  for (gsize i = 0; i < spec->n_keys; i++) {
    if (strcmp(spec->keys[i].name, name) == 0)
      return &spec->keys[i];
  }
  return NULL;
}

/* Reads group @group (which may be absent from the file) of kind @spec into @target. */
static gboolean
load_group(const LoadContext *ctx, const GroupSpec *spec, const char *group, const char *id,
           gpointer target, GError **error)
{
  gboolean present = g_key_file_has_group(ctx->key_file, group);

  if (present) {
    g_auto(GStrv) names = g_key_file_get_keys(ctx->key_file, group, NULL, NULL);

    for (gsize i = 0; names != NULL && names[i] != NULL; i++) {
      if (find_key(spec, names[i]) == NULL) {
        g_autoptr(GString) known = g_string_new(NULL);
        g_autofree gchar *name = printable(names[i]);

        for (gsize k = 0; k < spec->n_keys; k++)
          g_string_append_printf(known, "%s%s", k > 0 ? ", " : "", spec->keys[k].name);
        set_error(ctx, error, UK_CONFIG_ERROR_UNKNOWN, group, "unknown key '%s' (known keys: %s)",
                  name, known->str);
        return FALSE;
      }
    }
  }

  for (gsize i = 0; i < spec->n_keys; i++) {
    const KeySpec *key = &spec->keys[i];
    g_autofree gchar *value = NULL;
    g_autofree gchar *reason = NULL;

    if (present && g_key_file_has_key(ctx->key_file, group, key->name, NULL)) {
      g_autoptr(GError) local_error = NULL;

      /* On a bad escape GKeyFile sets the error and still returns a string. */
      value = g_key_file_get_string(ctx->key_file, group, key->name, &local_error);
      if (local_error != NULL) {
        set_error(ctx, error, UK_CONFIG_ERROR_INVALID, group, "key '%s': %s", key->name,
                  local_error->message);
        return FALSE;
      }
      /* GKeyFile keeps trailing blanks; they are never meant. */
      g_strchomp(value);
    } else if (key->flags & KEY_REQUIRED) {
      set_error(ctx, error, UK_CONFIG_ERROR_MISSING, group, "missing required key '%s' (%s)",
                key->name, key->description);
      return FALSE;
    } else if (key->flags & KEY_DEFAULT_ID) {
      value = g_strdup(id);
    } else if (key->default_value != NULL) {
      value = g_strdup(key->default_value);
    } else {
      continue;
    }

    if (!parse_value(ctx, spec, group, key, value, target, &reason)) {
      g_autofree gchar *quoted = quote_value(key, value);

      set_error(ctx, error, UK_CONFIG_ERROR_INVALID, group, "key '%s': invalid value '%s': %s%s",
                key->name, quoted, reason,
                strchr(value, '#') != NULL ? " (comments must be on a line of their own)" : "");
      return FALSE;
    }
  }
  return TRUE;
}

/* The spec for group name @group, and its id for [kind:ID] groups (pointing into @group). */
static const GroupSpec *
find_group(const char *group, const char **out_id)
{
  for (gsize i = 0; i < G_N_ELEMENTS(group_specs); i++) {
    const GroupSpec *spec = &group_specs[i];
    gsize kind_length = strlen(spec->kind);

    if (!spec->has_id && strcmp(group, spec->kind) == 0) {
      *out_id = NULL;
      return spec;
    }
    if (spec->has_id && strncmp(group, spec->kind, kind_length) == 0 && group[kind_length] == ':') {
      *out_id = group + kind_length + 1;
      return spec;
    }
  }
  return NULL;
}

static gboolean
check_group_names(const LoadContext *ctx, GStrv groups, GError **error)
{
  for (gsize i = 0; groups[i] != NULL; i++) {
    const char *id;

    if (find_group(groups[i], &id) == NULL) {
      g_autoptr(GString) known = g_string_new(NULL);
      g_autofree gchar *name = printable(groups[i]);

      for (gsize k = 0; k < G_N_ELEMENTS(group_specs); k++)
        g_string_append_printf(known, "%s[%s%s]", k > 0 ? ", " : "", group_specs[k].kind,
                               group_specs[k].has_id ? ":ID" : "");
      set_error(ctx, error, UK_CONFIG_ERROR_UNKNOWN, NULL, "unknown group [%s] (known groups: %s)",
                name, known->str);
      return FALSE;
    }
    if (id != NULL && !uk_config_id_is_valid(id)) {
      g_autofree gchar *id_text = printable(id);

      set_error(ctx, error, UK_CONFIG_ERROR_INVALID, groups[i],
                "invalid id '%s': an id is 1 to %d characters from a-z, 0-9, '_' and '-', "
                "not starting with '-'",
                id_text, ID_MAX_LENGTH);
      return FALSE;
    }
  }
  return TRUE;
}

/* Splits a ';'-separated list: items trimmed, none empty, none twice. */
static gboolean
split_list(const LoadContext *ctx, const char *key, const char *text, GStrv *out, GError **error)
{
  g_auto(GStrv) items = g_strsplit(text, ";", -1);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; items[i]; i++) {
    g_strstrip(items[i]);
    if (!*items[i] || strlen(items[i]) > 64) {
      set_error(ctx, error, UK_CONFIG_ERROR_INVALID, "incidents",
                "key '%s': item %" G_GSIZE_FORMAT " is empty or longer than 64 bytes", key, i + 1);
      return FALSE;
    }
    for (guint k = 0; k < list->len; k++) {
      if (g_str_equal(list->pdata[k], items[i])) {
        set_error(ctx, error, UK_CONFIG_ERROR_INVALID, "incidents",
                  "key '%s': '%s' is listed twice", key, items[i]);
        return FALSE;
      }
    }
    g_ptr_array_add(list, g_strdup(items[i]));
  }
  g_ptr_array_add(list, NULL);
  *out = (GStrv)g_ptr_array_free(g_steal_pointer(&list), FALSE);
  return TRUE;
}

static UkConfig *
load(const char *data, gsize length, const char *path, const char *base_dir, GError **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new();
  g_autoptr(UkConfig) config = config_new();
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) groups = NULL;
  LoadContext ctx = { path, base_dir, key_file, config };

  /* Keeping translations makes "name[nl]" visible to g_key_file_get_keys(), and so an
   * unknown key instead of silently ignored. */
  if (!g_key_file_load_from_data(key_file, data, length, G_KEY_FILE_KEEP_TRANSLATIONS,
                                 &local_error)) {
    set_error(&ctx, error, UK_CONFIG_ERROR_PARSE, NULL, "%s", local_error->message);
    return NULL;
  }

  groups = g_key_file_get_groups(key_file, NULL);
  if (!check_group_names(&ctx, groups, error))
    return NULL;

  for (gsize i = 0; i < G_N_ELEMENTS(group_specs); i++) {
    if (!group_specs[i].has_id
        && !load_group(&ctx, &group_specs[i], group_specs[i].kind, NULL, config, error))
      return NULL;
  }

  for (gsize i = 0; groups[i] != NULL; i++) {
    const char *id;
    const GroupSpec *spec = find_group(groups[i], &id);
    gpointer element;

    if (!spec->has_id)
      continue;
    element = g_malloc0(spec->element_size);
    *(gchar **)field_at(element, spec->id_offset) = g_strdup(id);
    if (spec->element_init != NULL)
      spec->element_init(element);
    if (!load_group(&ctx, spec, groups[i], id, element, error)) {
      spec->element_free(element);
      return NULL;
    }
    g_ptr_array_add(*(GPtrArray **)field_at(config, spec->array_offset), element);
  }

  /* Rules that span keys. */
  if (config->incident_delete_days < config->incident_active_days) {
    set_error(&ctx, error, UK_CONFIG_ERROR_INVALID, "incidents",
              "key 'delete_days' (%u) must not be less than 'active_days' (%u)",
              config->incident_delete_days, config->incident_active_days);
    return NULL;
  }
  if (!split_list(&ctx, "categories", config->incident_categories_text,
                  &config->incident_categories, error)
      || !split_list(&ctx, "actions", config->incident_actions_text, &config->incident_actions,
                     error))
    return NULL;
  if ((config->tls_cert == NULL) != (config->tls_key == NULL)) {
    set_error(&ctx, error, UK_CONFIG_ERROR_MISSING, "server",
              "key '%s' needs key '%s' too: HTTPS takes a certificate and its key",
              config->tls_cert ? "tls_cert" : "tls_key", config->tls_cert ? "tls_key" : "tls_cert");
    return NULL;
  }

  return g_steal_pointer(&config);
}

UkConfig *
uk_config_load(const char *path, GError **error)
{
  g_autofree gchar *absolute = NULL;
  g_autofree gchar *contents = NULL;
  g_autofree gchar *dir = NULL;
  gsize length;
  UkConfig *config;

  g_return_val_if_fail(path != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  absolute = g_canonicalize_filename(path, NULL);
  if (!g_file_get_contents(absolute, &contents, &length, error))
    return NULL;
  dir = g_path_get_dirname(absolute);
  config = load(contents, length, path, dir, error);
  if (config != NULL)
    config->path = g_steal_pointer(&absolute);
  return config;
}

UkConfig *
uk_config_load_from_data(const char *data, gsize length, const char *base_dir, GError **error)
{
  g_autofree gchar *absolute_base = NULL;

  g_return_val_if_fail(data != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  absolute_base = g_canonicalize_filename(base_dir != NULL ? base_dir : ".", NULL);
  return load(data, length, NULL, absolute_base, error);
}

const UkCameraConfig *
uk_config_find_camera(const UkConfig *config, const char *id)
{
  g_return_val_if_fail(config != NULL, NULL);

  for (guint i = 0; id != NULL && i < config->cameras->len; i++) {
    const UkCameraConfig *camera = g_ptr_array_index(config->cameras, i);

    if (strcmp(camera->id, id) == 0)
      return camera;
  }
  return NULL;
}

/* The element of @array (of [kind:ID] structs whose id is at @id_offset) with id @id. */
static gconstpointer
find_element(const GPtrArray *array, gsize id_offset, const char *id)
{
  for (guint i = 0; id != NULL && i < array->len; i++) {
    gpointer element = g_ptr_array_index(array, i);

    if (strcmp(*(const gchar **)field_at(element, id_offset), id) == 0)
      return element;
  }
  return NULL;
}

const UkDesignationConfig *
uk_config_find_designation(const UkConfig *config, const char *id)
{
  g_return_val_if_fail(config != NULL, NULL);

  return find_element(config->designations, offsetof(UkDesignationConfig, id), id);
}

const UkRiskAreaConfig *
uk_config_find_risk_area(const UkConfig *config, const char *id)
{
  g_return_val_if_fail(config != NULL, NULL);

  return find_element(config->risk_areas, offsetof(UkRiskAreaConfig, id), id);
}

const UkAreaConfig *
uk_config_find_area(const UkConfig *config, const char *id)
{
  g_return_val_if_fail(config != NULL, NULL);

  for (guint i = 0; id != NULL && i < config->areas->len; i++) {
    const UkAreaConfig *area = g_ptr_array_index(config->areas, i);

    if (strcmp(area->id, id) == 0)
      return area;
  }
  return NULL;
}

gboolean
uk_config_id_is_valid(const char *id)
{
  gsize length = 0;

  if (id == NULL || id[0] == '-')
    return FALSE;
  for (const char *p = id; *p != '\0'; p++, length++) {
    if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '_' || *p == '-'))
      return FALSE;
  }
  return length >= 1 && length <= ID_MAX_LENGTH;
}
