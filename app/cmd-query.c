/* `uitkijk recordings` and `uitkijk locate`: read-only queries that work while
 * `serve` runs (sqlite WAL readers; open segments are read from their files). */
#include "uk-text.h"
#include "uk-cli.h"
#include "uk-config.h"
#include "uk-fmp4.h"
#include "uk-locate.h"
#include "uk-store.h"
#include "uk-time.h"

#include <stdio.h>

static void
append_time(GString *out, gint64 t_90k)
{
  g_autofree gchar *s = uk_time_format_rfc3339(t_90k);
  uk_json_append_string(out, s);
}

/* Checks the camera argument against the config; prints why not. */
static const UkCameraConfig *
find_camera(const UkConfig *config, const char *id)
{
  const UkCameraConfig *cam = uk_config_find_camera(config, id);
  if (cam)
    return cam;
  g_autoptr(GString) known = g_string_new(NULL);
  for (guint i = 0; i < config->cameras->len; i++)
    g_string_append_printf(known, "%s%s", i ? ", " : "",
                           ((UkCameraConfig *)config->cameras->pdata[i])->id);
  fprintf(stderr, "uitkijk: unknown camera '%s' (configured: %s)\n", id,
          known->len ? known->str : "none");
  return NULL;
}

static gboolean
parse_time_arg(const char *what, const char *text, gint64 *out)
{
  g_autoptr(GError) error = NULL;
  if (uk_time_parse_rfc3339(text, out, &error))
    return TRUE;
  fprintf(stderr, "uitkijk: %s: %s\n", what, error->message);
  return FALSE;
}

static UkStore *
open_store(const UkConfig *config, GError **error)
{
  return uk_store_open_readonly(config->database_path, error);
}

int
uk_cmd_recordings(int argc, char **argv)
{
  g_autofree gchar *from = NULL, *to = NULL;
  gboolean json = FALSE;
  GOptionEntry extra[] = {
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, "Start of the range (RFC 3339)", "TIME" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "End of the range (RFC 3339)", "TIME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL },
  };
  int rc = 0;
  g_autoptr(UkConfig) config = uk_cli_load_config(
      &argc, &argv, "CAMERA", "Lists a camera's recorded segments and gaps.", extra, &rc);
  if (!config)
    return rc;
  if (argc != 2) {
    fprintf(stderr, "uitkijk: recordings takes one CAMERA\n");
    return 2;
  }
  const UkCameraConfig *cam = find_camera(config, argv[1]);
  gint64 from_90k = 0, to_90k = 0;
  if (!cam || (from && !parse_time_arg("--from", from, &from_90k))
      || (to && !parse_time_arg("--to", to, &to_90k)))
    return 2;
  if (from && to && to_90k <= from_90k) {
    fprintf(stderr, "uitkijk: --to must be later than --from\n");
    return 2;
  }

  g_autoptr(GError) error = NULL;
  g_autoptr(UkStore) store = open_store(config, &error);
  g_autoptr(GPtrArray) segs = NULL, gaps = NULL;
  if (store) {
    segs = uk_store_recordings(store, cam->id, from_90k, to_90k, &error);
    gaps = segs ? uk_store_gaps(store, cam->id, from_90k, to_90k, &error) : NULL;
  } else if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    /* Nothing recorded yet. */
    segs = g_ptr_array_new();
    gaps = g_ptr_array_new();
  }
  if (!gaps) {
    fprintf(stderr, "uitkijk: %s\n", error->message);
    return 1;
  }

  g_autoptr(GString) out = g_string_new(NULL);
  if (json)
    g_string_append(out, "{\"segments\":[");
  for (guint i = 0; i < segs->len; i++) {
    UkRecordingRow *row = segs->pdata[i];
    gint64 end = row->end_90k;
    if (!row->complete) {
      /* Still being written: its end is its latest frame. */
      g_autoptr(GArray) frames = uk_recording_frames(config, NULL, row, NULL);
      if (frames && frames->len) {
        UkFrame *last = &g_array_index(frames, UkFrame, frames->len - 1);
        end = last->wall_90k + last->duration_90k;
      } else {
        end = row->start_90k;
      }
    }
    g_autofree gchar *abs = g_build_filename(config->storage_path, row->path, NULL);
    if (json) {
      g_string_append_printf(out, "%s{\"start\":", i ? "," : "");
      append_time(out, row->start_90k);
      g_string_append(out, ",\"end\":");
      append_time(out, end);
      g_string_append(out, ",\"path\":");
      uk_json_append_string(out, abs);
      g_string_append_printf(out, ",\"frames\":%" G_GINT64_FORMAT ",\"complete\":%s}", row->frames,
                             row->complete ? "true" : "false");
    } else {
      g_autofree gchar *s = uk_time_format_rfc3339(row->start_90k);
      g_autofree gchar *e = uk_time_format_rfc3339(end);
      g_string_append_printf(out, "segment %s .. %s %s%s\n", s, e, abs,
                             row->complete ? "" : " (recording)");
    }
  }
  if (json)
    g_string_append(out, "],\"gaps\":[");
  for (guint i = 0; i < gaps->len; i++) {
    UkGapRow *gap = gaps->pdata[i];
    if (json) {
      g_string_append_printf(out, "%s{\"start\":", i ? "," : "");
      append_time(out, gap->start_90k);
      g_string_append(out, ",\"end\":");
      if (gap->end_90k)
        append_time(out, gap->end_90k);
      else
        g_string_append(out, "null");
      g_string_append(out, ",\"reason\":");
      uk_json_append_string(out, gap->reason);
      g_string_append_c(out, '}');
    } else {
      g_autofree gchar *s = uk_time_format_rfc3339(gap->start_90k);
      g_autofree gchar *e = gap->end_90k ? uk_time_format_rfc3339(gap->end_90k) : g_strdup("now");
      g_string_append_printf(out, "gap     %s .. %s %s\n", s, e, gap->reason);
    }
  }
  if (json)
    g_string_append(out, "]}\n");
  fputs(out->str, stdout);
  return 0;
}

int
uk_cmd_locate(int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry extra[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL },
  };
  int rc = 0;
  g_autoptr(UkConfig) config
      = uk_cli_load_config(&argc, &argv, "CAMERA TIME",
                           "Prints the frame on screen at a wall-clock instant.", extra, &rc);
  if (!config)
    return rc;
  if (argc != 3) {
    fprintf(stderr, "uitkijk: locate takes CAMERA TIME\n");
    return 2;
  }
  const UkCameraConfig *cam = find_camera(config, argv[1]);
  gint64 t;
  if (!cam || !parse_time_arg("TIME", argv[2], &t))
    return 2;

  g_autoptr(GError) error = NULL;
  g_autoptr(UkStore) store = open_store(config, &error);
  if (!store && g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_autofree gchar *ts = uk_time_format_rfc3339(t);
    fprintf(stderr, "uitkijk: camera %s has no recording at %s (nothing recorded yet)\n", cam->id,
            ts);
    return 1;
  }
  UkLocated at;
  g_autofree gchar *why = NULL;
  if (!uk_locate(store, config, NULL, cam->id, t, &at, &why, &error)) {
    fprintf(stderr, "uitkijk: %s\n", error ? error->message : why);
    return 1;
  }
  g_autofree gchar *ft = uk_time_format_rfc3339(at.frame_90k);
  double pts_s = (double)at.pts_90k / UK_FMP4_TIMESCALE;
  if (json) {
    g_autoptr(GString) out = g_string_new("{\"path\":");
    uk_json_append_string(out, at.path);
    g_string_append_printf(out, ",\"pts_s\":%.6f,\"frame_time\":\"%s\",\"frame\":%d,\"key\":%s}\n",
                           pts_s, ft, at.index, at.key ? "true" : "false");
    fputs(out->str, stdout);
  } else {
    printf("%s at %.6f s (frame %d, shown from %s)\n", at.path, pts_s, at.index, ft);
  }
  uk_located_clear(&at);
  return 0;
}
