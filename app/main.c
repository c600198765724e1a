/* uitkijk: camera recording and control-room service. Entry point. */
#include "uk-cli.h"
#include "uk-recorder.h"

#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "serve", uk_cmd_serve, "record every configured camera until SIGINT/SIGTERM" },
  { "check-config", uk_cmd_check_config, "validate a config file without starting anything" },
  { "recordings", uk_cmd_recordings, "list a camera's segments and gaps" },
  { "locate", uk_cmd_locate, "find the frame on screen at a wall-clock instant" },
  { "testcam", uk_cmd_testcam, "serve simulated RTSP cameras (demo, tests, benchmarks)" },
  { "user", uk_cmd_user, "add, change, disable and list console users" },
  { "audit", uk_cmd_audit, "verify or export the audit log" },
  { "export", uk_cmd_export, "export a camera's recording of a time range as an MP4 clip" },
  { "demo", uk_cmd_demo, "run simulated cameras and the recorder in a data folder" },
};

static void
usage(FILE *out)
{
  fprintf(out, "Usage: uitkijk COMMAND [OPTIONS]\n\nCommands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'uitkijk COMMAND --help' describes a command's options.\n");
}

int
main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  /* Keep freed heap for reuse instead of returning it to the kernel after
   * every burst: the console's send buffers come and go by the thousand per
   * second, and each return-and-refault cost page faults. */
  mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TOP_PAD, 4 * 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
      || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
    if (strcmp(argv[1], commands[i].name) != 0)
      continue;
    g_autoptr(GError) error = NULL;
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    if (!uk_ingest_init(&sub_argc, &sub_argv, &error)) {
      fprintf(stderr, "uitkijk: %s\n", error->message);
      return 1;
    }
    return commands[i].run(sub_argc, sub_argv);
  }
  fprintf(stderr, "uitkijk: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
