/* uk-cli: the subcommands of the uitkijk binary (main.c dispatches). Each
 * returns the process exit code: 0 success, 1 failure or "not found",
 * 2 usage error. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int uk_cmd_serve(int argc, char **argv);
int uk_cmd_check_config(int argc, char **argv);
int uk_cmd_recordings(int argc, char **argv);
int uk_cmd_locate(int argc, char **argv);
int uk_cmd_testcam(int argc, char **argv);
int uk_cmd_demo(int argc, char **argv);

/* Appends @s to @out as a JSON string literal. */
void uk_json_append_string(GString *out, const char *s);

G_END_DECLS
