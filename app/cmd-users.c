/* `uitkijk user ...` (accounts and the authorisation register) and
 * `uitkijk audit ...` (verify the chain, export as CSV). Every change is
 * written to the audit log with the acting Unix user. */
#include "uk-text.h"
#include "uk-accounts.h"
#include "uk-audit.h"
#include "uk-cli.h"
#include "uk-config.h"
#include "uk-store.h"
#include "uk-time.h"

#include <sodium.h>
#include <stdio.h>
#include <unistd.h>

UkStore *
uk_cli_open_store(const UkConfig *config)
{
  g_autoptr(GError) error = NULL;
  UkStore *store = uk_store_open(config->database_path, &error);
  if (!store) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return NULL;
  }
  g_autofree gchar *head = uk_audit_head_path(config->database_path);
  uk_store_audit_set_head_path(store, head);
  return store;
}

static gchar *
cli_actor(void)
{
  return g_strdup_printf("cli:%s", g_get_user_name());
}

static void
cli_audit(UkStore *store, const char *action, const char *user, const char *detail_key,
          const char *detail_value)
{
  g_autofree gchar *actor = cli_actor();
  g_autoptr(GString) detail = g_string_new("{\"user\":");
  uk_json_append_string(detail, user);
  if (detail_key) {
    g_string_append_printf(detail, ",\"%s\":", detail_key);
    uk_json_append_string(detail, detail_value);
  }
  g_string_append_c(detail, '}');
  UkAuditEntry e = { .actor = actor, .action = action, .detail = detail->str };
  g_autoptr(GError) error = NULL;
  if (!uk_store_audit_append(store, &e, &error))
    fprintf(stderr, "uitkijk: audit: %s\n", error->message);
}

/* A random password of 16 characters from an unambiguous alphabet. (transfer full) */
gchar *
uk_cli_random_password(void)
{
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  gchar *p = g_malloc(17);
  for (int i = 0; i < 16; i++)
    p[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
  p[16] = 0;
  return p;
}

/* The password from stdin (first line) when asked, else a new random one
 * that is printed. (transfer full) */
static gchar *
read_password(gboolean from_stdin, gboolean *generated)
{
  *generated = FALSE;
  if (from_stdin) {
    char line[1100];
    if (!fgets(line, sizeof line, stdin)) {
      fprintf(stderr, "uitkijk: no password on standard input\n");
      return NULL;
    }
    g_strchomp(line);
    if (strlen(line) < 8 || strlen(line) > 1024) {
      fprintf(stderr, "uitkijk: a password has 8 to 1024 characters\n");
      return NULL;
    }
    return g_strdup(line);
  }
  *generated = TRUE;
  return uk_cli_random_password();
}

/* Parses --valid-until: RFC 3339, or YYYY-MM-DD meaning the end of that day
 * in Europe/Amsterdam. */
static gboolean
parse_until(const char *text, gint64 *out)
{
  int y, m, d;
  char extra;
  if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3) {
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("Europe/Amsterdam");
    g_autoptr(GDateTime) day = g_date_time_new(tz ? tz : g_time_zone_new_utc(), y, m, d, 0, 0, 0);
    if (!day) {
      fprintf(stderr, "uitkijk: --valid-until: no such date '%s'\n", text);
      return FALSE;
    }
    g_autoptr(GDateTime) next = g_date_time_add_days(day, 1);
    *out = g_date_time_to_unix(next) * UK_TIME_HZ;
    return TRUE;
  }
  g_autoptr(GError) error = NULL;
  if (!uk_time_parse_rfc3339(text, out, &error)) {
    fprintf(stderr, "uitkijk: --valid-until: %s (or give a date, YYYY-MM-DD)\n", error->message);
    return FALSE;
  }
  return TRUE;
}

/* Creates a user with areas; shared by `user add` and `demo`. */
gboolean
uk_cli_user_add(UkStore *store, const UkConfig *config, const char *name, UkRole role,
                const char *password, char **areas, gint64 valid_until_90k, GError **error)
{
  if (!uk_config_id_is_valid(name)) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND,
                "a user name is 1 to 32 of a-z, 0-9, '_' and '-': '%s' is not", name);
    return FALSE;
  }
  for (char **a = areas; a && *a; a++) {
    if (!uk_config_find_area(config, *a)) {
      g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND,
                  "unknown area '%s' (not in the config file)", *a);
      return FALSE;
    }
  }
  g_autofree gchar *hash = uk_password_hash(password, error);
  if (!hash || !uk_store_begin(store, error))
    return FALSE;
  g_autofree gchar *actor = cli_actor();
  gint64 id = uk_store_user_add(store, name, role, hash, valid_until_90k, error);
  gboolean ok = id != 0;
  for (char **a = areas; ok && a && *a; a++)
    ok = uk_store_authorise(store, id, *a, valid_until_90k, FALSE, actor, error);
  if (!ok) {
    uk_store_rollback(store);
    return FALSE;
  }
  g_autofree gchar *joined = areas ? g_strjoinv(",", areas) : g_strdup("");
  g_autofree gchar *detail = g_strdup_printf("%s %s", uk_role_name(role), joined);
  cli_audit(store, "user_added", name, "role_areas", detail);
  return uk_store_commit(store, error);
}

static int
user_add(int argc, char **argv)
{
  g_autofree gchar *role_name = NULL, *areas = NULL, *until = NULL;
  gboolean from_stdin = FALSE;
  GOptionEntry extra[] = {
    { "role", 0, 0, G_OPTION_ARG_STRING, &role_name,
      "operator, supervisor, police, handhaving, privacy or admin", "ROLE" },
    { "areas", 0, 0, G_OPTION_ARG_STRING, &areas, "Areas the user is authorised for", "A,B" },
    { "valid-until", 0, 0, G_OPTION_ARG_STRING, &until, "End of the authorisation", "DATE" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &from_stdin,
      "Read the password from standard input (else one is made and printed)", NULL },
    { NULL },
  };
  int rc = 0;
  g_autoptr(UkConfig) config
      = uk_cli_load_config(&argc, &argv, "NAME", "Adds a console user.", extra, &rc);
  if (!config)
    return rc;
  UkRole role;
  if (argc != 2 || !role_name) {
    fprintf(stderr,
            "uitkijk: user add -c FILE NAME --role ROLE [--areas A,B] [--valid-until DATE]\n");
    return 2;
  }
  if (!uk_role_from_name(role_name, &role)) {
    fprintf(stderr,
            "uitkijk: unknown role '%s' (operator, supervisor, police, handhaving, "
            "privacy, admin)\n",
            role_name);
    return 2;
  }
  gint64 valid_until = 0;
  if (until && !parse_until(until, &valid_until))
    return 2;
  g_auto(GStrv) area_list = areas ? g_strsplit(areas, ",", -1) : NULL;
  gboolean generated;
  g_autofree gchar *password = read_password(from_stdin, &generated);
  if (!password)
    return 2;
  g_autoptr(UkStore) store = uk_cli_open_store(config);
  if (!store)
    return 1;
  g_autoptr(GError) error = NULL;
  if (!uk_cli_user_add(store, config, argv[1], role, password, area_list, valid_until, &error)) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  printf("added %s (%s)\n", argv[1], role_name);
  if (generated)
    printf("password: %s\n", password);
  return 0;
}

/* A new password or a disabled account ends the user's sessions for good:
 * re-enabling the account does not revive old cookies. */
static void
end_sessions(UkStore *store, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UkUser) user = uk_store_user_get(store, name, &error);
  if (user && uk_store_user_sessions_end(store, user->id, NULL, &error) >= 0)
    return;
  if (error)
    fprintf(stderr, "uitkijk: warning: sessions of %s not ended: %s\n", name, error->message);
}

static int
user_passwd(int argc, char **argv)
{
  gboolean from_stdin = FALSE;
  GOptionEntry extra[] = {
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &from_stdin,
      "Read the password from standard input (else one is made and printed)", NULL },
    { NULL },
  };
  int rc = 0;
  g_autoptr(UkConfig) config = uk_cli_load_config(
      &argc, &argv, "NAME", "Sets a user's password (and unlocks the account).", extra, &rc);
  if (!config)
    return rc;
  if (argc != 2) {
    fprintf(stderr, "uitkijk: user passwd -c FILE NAME\n");
    return 2;
  }
  gboolean generated;
  g_autofree gchar *password = read_password(from_stdin, &generated);
  if (!password)
    return 2;
  g_autoptr(UkStore) store = uk_cli_open_store(config);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *hash = store ? uk_password_hash(password, &error) : NULL;
  if (!hash || !uk_store_user_set_password(store, argv[1], hash, &error)) {
    if (error)
      fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  end_sessions(store, argv[1]);
  cli_audit(store, "user_password_set", argv[1], NULL, NULL);
  printf("password of %s set\n", argv[1]);
  if (generated)
    printf("password: %s\n", password);
  return 0;
}

static int
user_enable(int argc, char **argv, gboolean disable)
{
  int rc = 0;
  g_autoptr(UkConfig) config = uk_cli_load_config(
      &argc, &argv, "NAME", disable ? "Disables a user." : "Enables a user.", NULL, &rc);
  if (!config)
    return rc;
  if (argc != 2) {
    fprintf(stderr, "uitkijk: user %s -c FILE NAME\n", disable ? "disable" : "enable");
    return 2;
  }
  g_autoptr(UkStore) store = uk_cli_open_store(config);
  g_autoptr(GError) error = NULL;
  if (!store || !uk_store_user_set_disabled(store, argv[1], disable, &error)) {
    if (error)
      fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  if (disable)
    end_sessions(store, argv[1]);
  cli_audit(store, disable ? "user_disabled" : "user_enabled", argv[1], NULL, NULL);
  printf("%s %s\n", argv[1], disable ? "disabled" : "enabled");
  return 0;
}

static int
user_list(int argc, char **argv)
{
  int rc = 0;
  g_autoptr(UkConfig) config
      = uk_cli_load_config(&argc, &argv, "", "Lists users and their authorisations.", NULL, &rc);
  if (!config)
    return rc;
  g_autoptr(UkStore) store = uk_cli_open_store(config);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = store ? uk_store_users(store, &error) : NULL;
  if (!users) {
    if (error)
      fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  gint64 now = uk_time_now_90k();
  printf("%-20s %-11s %-9s %-24s %s\n", "USER", "ROLE", "STATE", "VALID UNTIL", "AREAS");
  for (guint i = 0; i < users->len; i++) {
    UkUser *u = users->pdata[i];
    g_autoptr(GString) areas = g_string_new(NULL);
    for (guint k = 0; k < u->areas->len; k++) {
      UkAuthorisation *a = u->areas->pdata[k];
      g_string_append_printf(areas, "%s%s", k ? "," : "", a->area);
    }
    g_autofree gchar *until
        = u->valid_until_90k ? uk_time_format_rfc3339(u->valid_until_90k) : g_strdup("-");
    const char *state = u->disabled                  ? "disabled"
                        : u->locked_until_90k > now  ? "locked"
                        : !uk_user_is_active(u, now) ? "expired"
                                                     : "active";
    printf("%-20s %-11s %-9s %-24s %s\n", u->name, uk_role_name(u->role), state, until,
           areas->len ? areas->str : "-");
  }
  return 0;
}

int
uk_cmd_user(int argc, char **argv)
{
  const char *sub = argc >= 2 ? argv[1] : "";
  if (g_str_equal(sub, "add"))
    return user_add(argc - 1, argv + 1);
  if (g_str_equal(sub, "passwd"))
    return user_passwd(argc - 1, argv + 1);
  if (g_str_equal(sub, "disable"))
    return user_enable(argc - 1, argv + 1, TRUE);
  if (g_str_equal(sub, "enable"))
    return user_enable(argc - 1, argv + 1, FALSE);
  if (g_str_equal(sub, "list"))
    return user_list(argc - 1, argv + 1);
  fprintf(stderr, "Usage: uitkijk user add|passwd|disable|enable|list -c FILE ...\n");
  return 2;
}

static int
audit_export(int argc, char **argv)
{
  gboolean csv = FALSE;
  g_autofree gchar *from = NULL, *to = NULL;
  GOptionEntry extra[] = {
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "Print CSV (the only format)", NULL },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, "Start (RFC 3339)", "TIME" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "End (RFC 3339)", "TIME" },
    { NULL },
  };
  int rc = 0;
  g_autoptr(UkConfig) config
      = uk_cli_load_config(&argc, &argv, "", "Prints the audit log as CSV.", extra, &rc);
  if (!config)
    return rc;
  gint64 from_90k = 0, to_90k = 0;
  g_autoptr(GError) error = NULL;
  if ((from && !uk_time_parse_rfc3339(from, &from_90k, &error))
      || (to && !uk_time_parse_rfc3339(to, &to_90k, &error))) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 2;
  }
  if (!csv) {
    fprintf(stderr, "uitkijk: audit export needs --csv\n");
    return 2;
  }
  g_autoptr(UkStore) store = uk_store_open_readonly(config->database_path, &error);
  if (!store && !g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  g_autoptr(GString) out = g_string_new("seq,time,actor,action,camera,area,from,to,detail\r\n");
  gint64 after = 0;
  while (store) {
    g_autoptr(GPtrArray) rows
        = uk_store_audit_query(store, from_90k, to_90k, NULL, NULL, NULL, after, 1000, &error);
    if (!rows) {
      fprintf(stderr, "uitkijk: %s\n", error->message);
      return 1;
    }
    for (guint i = 0; i < rows->len; i++) {
      UkAuditRow *r = rows->pdata[i];
      g_autofree gchar *seq = g_strdup_printf("%" G_GINT64_FORMAT, r->id);
      g_autofree gchar *t = uk_time_format_rfc3339(r->time_90k);
      g_autofree gchar *f = r->from_90k ? uk_time_format_rfc3339(r->from_90k) : NULL;
      g_autofree gchar *e = r->to_90k ? uk_time_format_rfc3339(r->to_90k) : NULL;
      uk_csv_append_field(out, seq, FALSE);
      uk_csv_append_field(out, t, FALSE);
      uk_csv_append_field(out, r->actor, FALSE);
      uk_csv_append_field(out, r->action, FALSE);
      uk_csv_append_field(out, r->camera, FALSE);
      uk_csv_append_field(out, r->area, FALSE);
      uk_csv_append_field(out, f, FALSE);
      uk_csv_append_field(out, e, FALSE);
      uk_csv_append_field(out, r->detail, TRUE);
      after = r->id;
    }
    fputs(out->str, stdout);
    g_string_truncate(out, 0);
    if (rows->len < 1000)
      break;
  }
  fputs(out->str, stdout);
  return 0;
}

static int
audit_verify(int argc, char **argv)
{
  int rc = 0;
  g_autoptr(UkConfig) config
      = uk_cli_load_config(&argc, &argv, "", "Verifies the audit log's hash chain.", NULL, &rc);
  if (!config)
    return rc;
  g_autoptr(GError) error = NULL;
  g_autoptr(UkStore) store = uk_store_open_readonly(config->database_path, &error);
  if (!store) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  g_autofree gchar *head = uk_audit_head_path(config->database_path);
  gint64 rows = 0, bad = 0;
  if (!uk_store_audit_verify(store, head, &rows, &bad, &error)) {
    printf("audit log NOT intact: %s\n", error->message);
    return 1;
  }
  printf("audit log intact: %" G_GINT64_FORMAT " rows\n", rows);
  return 0;
}

int
uk_cmd_audit(int argc, char **argv)
{
  const char *sub = argc >= 2 ? argv[1] : "";
  if (g_str_equal(sub, "verify"))
    return audit_verify(argc - 1, argv + 1);
  if (g_str_equal(sub, "export"))
    return audit_export(argc - 1, argv + 1);
  fprintf(stderr, "Usage: uitkijk audit verify|export -c FILE ...\n");
  return 2;
}
