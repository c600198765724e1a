/* `uitkijk serve` and `uitkijk check-config`. */
#include "uk-cli.h"
#include "uk-config.h"
#include "uk-daemon.h"

#include <stdio.h>

UkConfig *
uk_cli_load_config(int *argc, char ***argv, const char *params, const char *summary,
                   GOptionEntry *extra, int *exit_code)
{
  g_autofree gchar *path = NULL;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &path, "Configuration file", "FILE" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(params);
  g_option_context_set_summary(ctx, summary);
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (extra)
    g_option_context_add_main_entries(ctx, extra, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    *exit_code = 2;
    return NULL;
  }
  if (!path) {
    fprintf(stderr, "uitkijk: -c FILE is required\n");
    *exit_code = 2;
    return NULL;
  }
  UkConfig *config = uk_config_load(path, &error);
  if (!config) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    *exit_code = 1;
    return NULL;
  }
  return config;
}

int
uk_cmd_serve(int argc, char **argv)
{
  int rc = 0;
  g_autoptr(UkConfig) config
      = uk_cli_load_config(&argc, &argv, "", "Records every configured camera.", NULL, &rc);
  if (!config)
    return rc;
  return uk_daemon_run(config);
}

int
uk_cmd_check_config(int argc, char **argv)
{
  int rc = 0;
  g_autoptr(UkConfig) config = uk_cli_load_config(
      &argc, &argv, "", "Validates a configuration file without starting anything.", NULL, &rc);
  if (!config)
    return rc;
  printf("%s: ok (%u areas, %u cameras, storage %s)\n", config->path, config->areas->len,
         config->cameras->len, config->storage_path);
  return 0;
}
