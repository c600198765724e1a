/* uk-cli: the subcommands of the uitkijk binary (main.c dispatches). Each
 * returns the process exit code: 0 success, 1 failure or "not found",
 * 2 usage error. */
#pragma once

#include "uk-accounts.h"
#include "uk-config.h"
#include "uk-store.h"
#include "uk-text.h"

#include <glib.h>

G_BEGIN_DECLS

int uk_cmd_serve(int argc, char **argv);
int uk_cmd_check_config(int argc, char **argv);
int uk_cmd_recordings(int argc, char **argv);
int uk_cmd_locate(int argc, char **argv);
int uk_cmd_testcam(int argc, char **argv);
int uk_cmd_demo(int argc, char **argv);
int uk_cmd_user(int argc, char **argv);
int uk_cmd_audit(int argc, char **argv);
int uk_cmd_export(int argc, char **argv);

/* Parses "-c FILE" (plus @extra options) and loads the config; prints the
 * error and sets @exit_code on failure. (transfer full) */
UkConfig *uk_cli_load_config(int *argc, char ***argv, const char *params, const char *summary,
                             GOptionEntry *extra, int *exit_code);

/* Opens the database read-write, keeping the audit head file. (transfer full) */
UkStore *uk_cli_open_store(const UkConfig *config);

/* Adds a user with its area authorisations, audited. */
gboolean uk_cli_user_add(UkStore *store, const UkConfig *config, const char *name, UkRole role,
                         const char *password, char **areas, gint64 valid_until_90k,
                         GError **error);

/* A random 16-character password. (transfer full) */
gchar *uk_cli_random_password(void);

G_END_DECLS
