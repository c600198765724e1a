/* `uitkijk export ...`: police clip exports.
 *
 *   uitkijk export clip -c FILE CAMERA FROM TO OUT.mp4 [--json] [--force]
 *
 * remuxes what CAMERA recorded from FROM to TO (RFC 3339) into one MP4
 * (ingest/uk-export.h: the camera's own stream, never transcoded, starting
 * at the very frame on screen at FROM, with a wall-clock subtitle track).
 * Reads the database read-only, so it works while `serve` runs. */
#include "uk-cli.h"
#include "uk-exports.h"
#include "uk-export.h"
#include "uk-store.h"
#include "uk-text.h"
#include "uk-time.h"

#include <stdio.h>
#include <unistd.h>

#define USAGE                                                                                      \
  "Usage: uitkijk export clip -c FILE CAMERA FROM TO OUT.mp4 [--json] [--force]\n"                 \
  "       uitkijk export verify FILE.mp4 MANIFEST.json [--pubkey FILE]\n"

static void
append_time(GString *out, gint64 t_90k)
{
  g_autofree gchar *s = uk_time_format_rfc3339(t_90k);
  uk_json_append_string(out, s);
}

/* Shows progress on a terminal only. */
static void
print_progress(double fraction, gpointer user_data)
{
  fprintf(stderr, "\rexporting: %3d %%", (int)(fraction * 100 + 0.5));
  if (fraction >= 1.0)
    fputc('\n', stderr);
  fflush(stderr);
}

/* The reason of the recorded gap (a database row) that overlaps @gap, or NULL. */
static const char *
gap_reason(GPtrArray *rows, const UkExportGap *gap)
{
  for (guint i = 0; rows && i < rows->len; i++) {
    const UkGapRow *row = rows->pdata[i];
    if (row->start_90k < gap->end_90k && (row->end_90k == 0 || row->end_90k > gap->start_90k))
      return row->reason;
  }
  return NULL;
}

static int
export_clip(int argc, char **argv)
{
  gboolean json = FALSE, force = FALSE;
  GOptionEntry extra[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as JSON", NULL },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace OUT.mp4 if it exists", NULL },
    { NULL },
  };
  int rc = 0;
  g_autoptr(UkConfig) config = uk_cli_load_config(
      &argc, &argv, "CAMERA FROM TO OUT.mp4",
      "Exports what a camera recorded from FROM to TO (RFC 3339) as one MP4: the original "
      "stream, not transcoded, from the frame on screen at FROM to the last one before TO, "
      "with each frame's wall time as a subtitle.",
      extra, &rc);
  if (!config)
    return rc;
  if (argc != 5) {
    fprintf(stderr, "uitkijk: export clip takes CAMERA FROM TO OUT.mp4\n" USAGE);
    return 2;
  }
  const UkCameraConfig *cam = uk_config_find_camera(config, argv[1]);
  if (!cam) {
    fprintf(stderr, "uitkijk: unknown camera '%s'\n", argv[1]);
    return 2;
  }
  gint64 from_90k, to_90k;
  g_autoptr(GError) error = NULL;
  if (!uk_time_parse_rfc3339(argv[2], &from_90k, &error)
      || !uk_time_parse_rfc3339(argv[3], &to_90k, &error)) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 2;
  }
  if (to_90k <= from_90k) {
    fprintf(stderr, "uitkijk: TO must be later than FROM\n");
    return 2;
  }
  const char *out_arg = argv[4];
  g_autofree gchar *out_path = g_canonicalize_filename(out_arg, NULL);
  if (!force && g_file_test(out_path, G_FILE_TEST_EXISTS)) {
    fprintf(stderr, "uitkijk: %s exists (--force replaces it)\n", out_path);
    return 1;
  }
  g_autofree gchar *from_s = uk_time_format_rfc3339(from_90k);
  g_autofree gchar *to_s = uk_time_format_rfc3339(to_90k);

  g_autoptr(UkStore) store = uk_store_open_readonly(config->database_path, &error);
  if (!store) {
    if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      fprintf(stderr, "uitkijk: camera %s has no recording between %s and %s\n", cam->id, from_s,
              to_s);
    else
      fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  g_autoptr(GPtrArray) rows = uk_store_recordings(store, cam->id, from_90k, to_90k, &error);
  g_autoptr(GPtrArray) gap_rows
      = rows ? uk_store_gaps(store, cam->id, from_90k, to_90k, &error) : NULL;
  if (!gap_rows) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }
  if (rows->len == 0) {
    fprintf(stderr, "uitkijk: camera %s has no recording between %s and %s\n", cam->id, from_s,
            to_s);
    return 1;
  }
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add(paths, g_build_filename(config->storage_path,
                                            ((UkRecordingRow *)rows->pdata[i])->path, NULL));
  g_ptr_array_add(paths, NULL);

  g_autofree gchar *title
      = g_strdup_printf("%s, %s to %s", cam->name ? cam->name : cam->id, from_s, to_s);
  UkExportOptions options = {
    .segments = (const char *const *)paths->pdata,
    .from_90k = from_90k,
    .to_90k = to_90k,
    .out_path = out_path,
    .title = title,
    .progress = isatty(STDERR_FILENO) && !json ? print_progress : NULL,
  };
  UkExportResult r;
  if (!uk_export_clip(&options, &r, &error)) {
    if (options.progress)
      fputc('\n', stderr);
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }

  g_autoptr(GString) out = g_string_new(NULL);
  g_autofree gchar *first_s = uk_time_format_rfc3339(r.first_frame_90k);
  g_autofree gchar *end_s = uk_time_format_rfc3339(r.end_90k);
  if (json) {
    g_string_append(out, "{\"camera\":");
    uk_json_append_string(out, cam->id);
    g_string_append(out, ",\"path\":");
    uk_json_append_string(out, out_path);
    g_string_append(out, ",\"from\":");
    append_time(out, from_90k);
    g_string_append(out, ",\"to\":");
    append_time(out, to_90k);
    g_string_append(out, ",\"first_frame\":");
    append_time(out, r.first_frame_90k);
    g_string_append(out, ",\"end\":");
    append_time(out, r.end_90k);
    g_string_append_printf(out,
                           ",\"frames_shown\":%u,\"frames_written\":%u,\"bytes\":%" G_GUINT64_FORMAT
                           ",\"segments\":%u,\"codec\":",
                           r.frames_shown, r.frames_written, r.bytes, rows->len);
    uk_json_append_string(out, r.codec);
    g_string_append_printf(out, ",\"width\":%d,\"height\":%d,\"sha256\":", r.width, r.height);
    uk_json_append_string(out, r.sha256);
    g_string_append(out, ",\"gaps\":[");
    for (guint i = 0; i < r.gaps->len; i++) {
      const UkExportGap *gap = &g_array_index(r.gaps, UkExportGap, i);
      const char *reason = gap_reason(gap_rows, gap);
      g_string_append_printf(out, "%s{\"start\":", i ? "," : "");
      append_time(out, gap->start_90k);
      g_string_append(out, ",\"end\":");
      append_time(out, gap->end_90k);
      g_string_append(out, ",\"reason\":");
      if (reason)
        uk_json_append_string(out, reason);
      else
        g_string_append(out, "null");
      g_string_append_c(out, '}');
    }
    g_string_append(out, "]}\n");
  } else {
    g_string_append_printf(out, "%s\n", out_path);
    g_string_append_printf(out, "  camera   %s, %s to %s\n", cam->id, from_s, to_s);
    g_string_append_printf(out, "  shows    %u frames, %s to %s (%u written with pre-roll)\n",
                           r.frames_shown, first_s, end_s, r.frames_written);
    g_string_append_printf(out, "  video    %s %dx%d, not transcoded, from %u segments\n", r.codec,
                           r.width, r.height, rows->len);
    g_string_append_printf(out, "  size     %" G_GUINT64_FORMAT " bytes\n", r.bytes);
    g_string_append_printf(out, "  sha256   %s\n", r.sha256);
    for (guint i = 0; i < r.gaps->len; i++) {
      const UkExportGap *gap = &g_array_index(r.gaps, UkExportGap, i);
      const char *reason = gap_reason(gap_rows, gap);
      g_autofree gchar *s = uk_time_format_rfc3339(gap->start_90k);
      g_autofree gchar *e = uk_time_format_rfc3339(gap->end_90k);
      g_string_append_printf(out, "  gap      %s to %s%s%s%s\n", s, e, reason ? " (" : "",
                             reason ? reason : "", reason ? ")" : "");
    }
  }
  fputs(out->str, stdout);
  uk_export_result_clear(&r);
  return 0;
}

/* `export verify`: exit 0 when the clip's SHA-256 and the manifest's
 * signature hold, 1 when anything was changed, 2 on bad usage. */
static int
export_verify(int argc, char **argv)
{
  const char *pubkey = NULL;
  const char *files[2] = { NULL, NULL };
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (g_str_equal(argv[i], "--pubkey") && i + 1 < argc)
      pubkey = argv[++i];
    else if (argv[i][0] != '-' && n < 2)
      files[n++] = argv[i];
    else {
      fputs(USAGE, stderr);
      return 2;
    }
  }
  if (n != 2) {
    fputs(USAGE, stderr);
    return 2;
  }
  g_autoptr(GError) error = NULL;
  g_autofree gchar *key = NULL;
  if (!uk_manifest_verify(files[0], files[1], pubkey, &key, &error)) {
    gboolean changed = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    fprintf(stderr, "uitkijk: NOT VERIFIED: %s\n", error->message);
    return changed ? 1 : 2;
  }
  printf("verified: %s matches the manifest, signed by Ed25519 key %s%s\n", files[0], key,
         pubkey ? ""
                : " (the key the manifest names: compare it with the installation's "
                  "published key, or pass --pubkey)");
  return 0;
}

int
uk_cmd_export(int argc, char **argv)
{
  const char *sub = argc >= 2 ? argv[1] : "";
  if (g_str_equal(sub, "clip"))
    return export_clip(argc - 1, argv + 1);
  if (g_str_equal(sub, "verify"))
    return export_verify(argc - 1, argv + 1);
  if (g_str_equal(sub, "--help") || g_str_equal(sub, "-h")) {
    fputs(USAGE, stdout);
    return 0;
  }
  fputs(USAGE, stderr);
  return 2;
}
