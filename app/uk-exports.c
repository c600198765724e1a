/* uk-exports: approved clip requests become signed exports. */
#include "uk-exports.h"

#include "uk-audit.h"
#include "uk-clips.h"
#include "uk-export.h"
#include "uk-segment.h"
#include "uk-sha256.h"
#include "uk-text.h"
#include "uk-time.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <sys/timex.h>
#include <unistd.h>

#define SIGNATURE_KEY ",\"signature\":{"

struct _UkExports {
  UkStore *store;         /* (not owned) control thread */
  const UkConfig *config; /* (not owned) */
  UkConsole *console;     /* (not owned) */
  guint8 secret[crypto_sign_SECRETKEYBYTES];
  gchar public_hex[crypto_sign_PUBLICKEYBYTES * 2 + 1];
  GHashTable *running; /* request id (gint64*) -> number of cameras still exporting */
  gboolean *alive;     /* (g_rc_box) shared with the jobs: FALSE once freed */
};

/* ---- the key ---- */

static gboolean
write_private(const char *path, const void *data, gsize len, GError **error)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot write %s: %s", path,
                g_strerror(e));
    return FALSE;
  }
  close(fd);
  return TRUE;
}

static gboolean
load_key(UkExports *x, GError **error)
{
  g_autofree gchar *dir = g_build_filename(x->config->storage_path, "keys", NULL);
  g_autofree gchar *secret_path = g_build_filename(dir, "export-ed25519.key", NULL);
  g_autofree gchar *public_path = g_build_filename(dir, "export-ed25519.pub", NULL);
  g_autofree gchar *data = NULL;
  gsize len = 0;
  guint8 pk[crypto_sign_PUBLICKEYBYTES];
  if (g_file_get_contents(secret_path, &data, &len, NULL)) {
    if (len != crypto_sign_SECRETKEYBYTES) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not an Ed25519 secret key",
                  secret_path);
      return FALSE;
    }
    memcpy(x->secret, data, len);
    sodium_memzero(data, len);
    crypto_sign_ed25519_sk_to_pk(pk, x->secret);
  } else {
    if (g_mkdir_with_parents(dir, 0700) != 0) {
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s", dir);
      return FALSE;
    }
    crypto_sign_keypair(pk, x->secret);
    if (!write_private(secret_path, x->secret, sizeof x->secret, error))
      return FALSE;
    uk_fsync_dir(dir, NULL);
    UkAuditEntry e = { .actor = "system",
                       .action = "export_key_created",
                       .detail = "{\"algorithm\":\"ed25519\"}" };
    uk_store_audit_append(x->store, &e, NULL);
  }
  sodium_bin2hex(x->public_hex, sizeof x->public_hex, pk, sizeof pk);
  g_autofree gchar *text = g_strdup_printf("%s\n", x->public_hex);
  if (!g_file_set_contents(public_path, text, -1, error))
    return FALSE;
  uk_console_set_export_key(x->console, public_path);
  return TRUE;
}

/* ---- one camera's export, on a worker thread ---- */

typedef struct {
  UkExports *x;    /* touched on the control thread only, while *alive */
  gboolean *alive; /* (g_rc_box, owned ref) */
  gint64 request_id;
  gchar *camera, *camera_name, *area, *area_name, *location;
  GPtrArray *segments; /* (element-type utf8) absolute paths */
  gint64 from_90k, to_90k;
  gchar *out_abs, *manifest_abs, *out_rel, *manifest_rel;
  gchar *meta_json; /* the request's part of the manifest, written on the control thread */
  guint8 secret[crypto_sign_SECRETKEYBYTES];
  gchar *public_hex;
  /* Results. */
  UkExportResult result;
  GError *error;
  GMainContext *context;
  gint64 progress_at_us; /* last progress sent (worker thread) */
} Job;

static void
job_free(Job *j)
{
  g_free(j->camera);
  g_free(j->camera_name);
  g_free(j->area);
  g_free(j->area_name);
  g_free(j->location);
  g_ptr_array_unref(j->segments);
  g_free(j->out_abs);
  g_free(j->manifest_abs);
  g_free(j->out_rel);
  g_free(j->manifest_rel);
  g_free(j->meta_json);
  sodium_memzero(j->secret, sizeof j->secret);
  g_free(j->public_hex);
  uk_export_result_clear(&j->result);
  g_clear_error(&j->error);
  g_main_context_unref(j->context);
  g_rc_box_release(j->alive);
  g_free(j);
}

typedef struct {
  UkExports *x;
  gboolean *alive; /* (g_rc_box, owned ref) */
  gint64 request_id;
  gchar *camera;
  double fraction;
} Progress;

static gboolean
progress_main(gpointer data)
{
  Progress *p = data;
  if (*p->alive)
    uk_console_clip_progress(p->x->console, p->request_id, p->camera, p->fraction);
  g_rc_box_release(p->alive);
  g_free(p->camera);
  g_free(p);
  return G_SOURCE_REMOVE;
}

static void
on_progress(double fraction, gpointer data)
{
  Job *j = data;
  gint64 now = g_get_monotonic_time();
  if (fraction < 1.0 && now - j->progress_at_us < 500000)
    return;
  j->progress_at_us = now;
  Progress *p = g_new0(Progress, 1);
  p->x = j->x;
  p->alive = g_rc_box_acquire(j->alive);
  p->request_id = j->request_id;
  p->camera = g_strdup(j->camera);
  p->fraction = fraction;
  g_main_context_invoke(j->context, progress_main, p);
}

/* The manifest's text, signed (see uk-exports.h). */

/* The server clock's state as the kernel's NTP discipline reports it
 * (adjtimex, read only): whether it is synchronised, the offset it is still
 * slewing out, and its estimated and maximum error. Frame times follow this
 * clock (docs/TIME.md), so these bound their distance from UTC. */
static void
append_server_clock(GString *m)
{
  struct timex tx = { 0 };
  int state = adjtimex(&tx);
  if (state < 0) {
    g_string_append(m, ",\"estimated_clock_offset_ms\":null");
    uk_json_member_string(m, "clock_offset_note", "the server clock's state could not be read");
    return;
  }
  gboolean synced = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
  double offset_ms = (tx.status & STA_NANO) ? tx.offset / 1e6 : tx.offset / 1e3;
  g_string_append_printf(m,
                         ",\"estimated_clock_offset_ms\":%.3f,\"clock_synchronised\":%s,"
                         "\"clock_estimated_error_ms\":%.3f,\"clock_max_error_ms\":%.3f",
                         offset_ms, synced ? "true" : "false", tx.esterror / 1e3,
                         tx.maxerror / 1e3);
  uk_json_member_string(
      m, "clock_offset_note",
      synced ? "frame times follow the server clock within a frame interval; the server clock "
               "is synchronised (NTP, kernel adjtimex) with the estimated and maximum error given"
             : "frame times follow the server clock within a frame interval; the server clock "
               "was NOT synchronised to UTC (NTP) when this clip was exported: its offset from "
               "UTC is unknown");
}

static gchar *
manifest_text(Job *j)
{
  const UkExportResult *r = &j->result;
  g_autoptr(GString) m = g_string_new("{\"format\":\"uitkijk-export-manifest/1\"");
  g_string_append_printf(m, ",\"clip\":%" G_GINT64_FORMAT, j->request_id);
  uk_json_member_string(m, "camera", j->camera);
  uk_json_member_string(m, "camera_name", j->camera_name);
  uk_json_member_string(m, "area", j->area);
  uk_json_member_string(m, "area_name", j->area_name);
  uk_json_member_string(m, "location", j->location);
  uk_json_member_time(m, "requested_from", j->from_90k);
  uk_json_member_time(m, "requested_to", j->to_90k);
  uk_json_member_time(m, "first_frame", r->first_frame_90k);
  uk_json_member_time(m, "end", r->end_90k);
  g_string_append_printf(m, ",\"frames\":%u,\"gaps\":[", r->frames_shown);
  for (guint i = 0; r->gaps && i < r->gaps->len; i++) {
    const UkExportGap *g = &g_array_index(r->gaps, UkExportGap, i);
    g_autofree gchar *a = uk_time_format_rfc3339(g->start_90k);
    g_autofree gchar *b = uk_time_format_rfc3339(g->end_90k);
    g_string_append_printf(m, "%s{\"start\":\"%s\",\"end\":\"%s\"}", i ? "," : "", a, b);
  }
  g_string_append(m, "]");
  uk_json_member_string(
      m, "time_source",
      "uitkijk's server clock (UTC) at each frame's arrival, with the least network "
      "delay followed and the camera clock's drift slewed out (docs/TIME.md); every "
      "frame's wall time is in the file's subtitle track");
  append_server_clock(m);
  g_string_append(m, ",\"original_stream\":true,\"transcoded\":false");
  uk_json_member_string(m, "codec", r->codec);
  g_string_append_printf(m, ",\"width\":%d,\"height\":%d", r->width, r->height);
  g_autofree gchar *base = g_path_get_basename(j->out_abs);
  g_string_append(m, ",\"file\":{\"name\":");
  uk_json_append_string(m, base);
  g_string_append_printf(m, ",\"bytes\":%" G_GUINT64_FORMAT ",\"sha256\":\"%s\"}", r->bytes,
                         r->sha256);
  g_string_append_c(m, ',');
  g_string_append(m, j->meta_json); /* requester, approver, case, basis, purpose */
  uk_json_member_time(m, "created", uk_time_now_90k());
  uk_json_member_string(m, "generator", "uitkijk " PROJECT_VERSION);
  /* Sign {BODY}, then close the same text with the signature. */
  g_string_append_c(m, '}');
  guint8 sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, NULL, (const guint8 *)m->str, m->len, j->secret);
  gchar sig_hex[crypto_sign_BYTES * 2 + 1];
  sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig);
  g_string_truncate(m, m->len - 1);
  g_string_append_printf(m,
                         SIGNATURE_KEY "\"algorithm\":\"ed25519\",\"public_key\":\"%s\","
                                       "\"value\":\"%s\"}}\n",
                         j->public_hex, sig_hex);
  return g_string_free(g_steal_pointer(&m), FALSE);
}

static void
export_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *j = data;
  g_ptr_array_add(j->segments, NULL);
  UkExportOptions o = { .segments = (const char *const *)j->segments->pdata,
                        .from_90k = j->from_90k,
                        .to_90k = j->to_90k,
                        .out_path = j->out_abs,
                        .title = j->camera_name,
                        .progress = on_progress,
                        .progress_data = j,
                        .cancellable = cancellable };
  g_ptr_array_set_size(j->segments, j->segments->len - 1);
  if (!uk_export_clip(&o, &j->result, &j->error)) {
    g_task_return_boolean(task, FALSE);
    return;
  }
  g_autofree gchar *manifest = manifest_text(j);
  gboolean ok = g_file_set_contents_full(
      j->manifest_abs, manifest, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
      0640, &j->error);
  g_task_return_boolean(task, ok);
}

/* Control thread: one camera is done. */
static void
export_done(GObject *source, GAsyncResult *res, gpointer data)
{
  Job *j = data;
  if (!*j->alive) { /* the daemon is gone: nothing to report to */
    job_free(j);
    return;
  }
  UkExports *x = j->x;
  UkClipExport e = { .camera = j->camera };
  if (!j->error) {
    e.state = "ready";
    e.file = j->out_rel;
    e.manifest = j->manifest_rel;
    e.sha256 = j->result.sha256;
    e.bytes = (gint64)j->result.bytes;
  } else {
    e.state = "failed";
    e.error = j->error->message;
    g_warning("clip %" G_GINT64_FORMAT " %s: %s", j->request_id, j->camera, j->error->message);
  }
  e.finished_90k = uk_time_now_90k();
  e.expires_90k = e.finished_90k + (gint64)x->config->export_link_days * 86400 * UK_TIME_HZ;
  g_autoptr(GError) error = NULL;
  if (!uk_store_clip_export_set(x->store, j->request_id, &e, &error))
    g_warning("clip %" G_GINT64_FORMAT ": %s", j->request_id, error->message);
  g_autofree gchar *detail
      = g_strdup_printf("{\"clip\":%" G_GINT64_FORMAT ",\"state\":\"%s\",\"sha256\":%s%s%s,"
                        "\"bytes\":%" G_GINT64_FORMAT "}",
                        j->request_id, e.state, e.sha256 ? "\"" : "", e.sha256 ? e.sha256 : "null",
                        e.sha256 ? "\"" : "", e.bytes);
  UkAuditEntry a = { .actor = "system",
                     .action = "clip_exported",
                     .camera = j->camera,
                     .area = j->area,
                     .from_90k = j->from_90k,
                     .to_90k = j->to_90k,
                     .detail = detail };
  uk_store_audit_append(x->store, &a, NULL);
  gint64 id = j->request_id;
  gint *left = g_hash_table_lookup(x->running, &id);
  if (left && --*left == 0) {
    g_hash_table_remove(x->running, &id);
    uk_console_clip_done(x->console, id);
  }
  job_free(j);
}

static gchar *
request_meta(const UkClipRequest *r)
{
  GString *m = g_string_new(NULL);
  uk_json_member_string(m, "requested_by", r->requested_by);
  uk_json_member_time(m, "requested", r->requested_90k);
  uk_json_member_string(m, "approved_by", r->decided_by);
  uk_json_member_time(m, "approved", r->decided_90k);
  uk_json_member_string(m, "case_ref", r->case_ref);
  uk_json_member_string(
      m, "legal_basis",
      g_str_equal(r->legal_basis, "sv-126nd")
          ? "vordering art. 126nd Wetboek van Strafvordering"
          : "verstrekking Wet politiegegevens art. 15/16 (beelden cameratoezicht art. 151c "
            "Gemeentewet)");
  uk_json_member_string(m, "vordering_ref", r->vordering_ref);
  uk_json_member_string(m, "purpose", r->purpose);
  return g_string_free(m, FALSE);
}

void
uk_exports_start(UkExports *x, gint64 id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(UkClipRequest) r = uk_store_clip_get(x->store, id, &error);
  if (!r || g_strcmp0(r->decision, "approved") != 0)
    return;
  gint64 *key = g_new(gint64, 1);
  *key = id;
  gint *left = g_new0(gint, 1);
  *left = (gint)r->exports->len;
  g_hash_table_insert(x->running, key, left);
  g_autofree gchar *meta = request_meta(r);
  for (guint i = 0; i < r->exports->len; i++) {
    UkClipExport *e = r->exports->pdata[i];
    const UkCameraConfig *cam = uk_config_find_camera(x->config, e->camera);
    const UkAreaConfig *area = uk_config_find_area(x->config, e->area);
    Job *j = g_new0(Job, 1);
    j->x = x;
    j->alive = g_rc_box_acquire(x->alive);
    j->request_id = id;
    j->camera = g_strdup(e->camera);
    j->camera_name = g_strdup(cam ? cam->name : e->camera);
    j->area = g_strdup(e->area);
    j->area_name = g_strdup(area ? area->name : e->area);
    j->location = g_strdup(cam ? cam->location : NULL);
    j->from_90k = r->from_90k;
    j->to_90k = r->to_90k;
    j->meta_json = g_strdup(meta);
    memcpy(j->secret, x->secret, sizeof j->secret);
    j->public_hex = g_strdup(x->public_hex);
    j->context = g_main_context_ref_thread_default();
    j->segments = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) recs
        = uk_store_recordings(x->store, e->camera, r->from_90k, r->to_90k, NULL);
    for (guint k = 0; recs && k < recs->len; k++) {
      const UkRecordingRow *row = recs->pdata[k];
      g_ptr_array_add(j->segments, g_build_filename(x->config->storage_path, row->path, NULL));
    }
    /* exports/<id>/<camera>-<case>.mp4 (the case reference made file-safe). */
    g_autofree gchar *safe_case = g_strdup(r->case_ref);
    g_strcanon(safe_case, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", '_');
    g_autofree gchar *dir_rel = g_strdup_printf("exports/%" G_GINT64_FORMAT, id);
    g_autofree gchar *dir_abs = g_build_filename(x->config->storage_path, dir_rel, NULL);
    g_mkdir_with_parents(dir_abs, 0750);
    j->out_rel = g_strdup_printf("%s/%s-%s.mp4", dir_rel, e->camera, safe_case);
    j->manifest_rel = g_strdup_printf("%s/%s-%s.manifest.json", dir_rel, e->camera, safe_case);
    j->out_abs = g_build_filename(x->config->storage_path, j->out_rel, NULL);
    j->manifest_abs = g_build_filename(x->config->storage_path, j->manifest_rel, NULL);
    UkClipExport busy = { .camera = e->camera, .state = "exporting" };
    uk_store_clip_export_set(x->store, id, &busy, NULL);
    g_autoptr(GTask) task = g_task_new(NULL, NULL, export_done, j);
    g_task_set_task_data(task, j, NULL);
    g_task_run_in_thread(task, export_thread);
  }
}

static void
on_export(gint64 request_id, gpointer data)
{
  uk_exports_start(data, request_id);
}

UkExports *
uk_exports_new(UkStore *store, const UkConfig *config, UkConsole *console, GError **error)
{
  if (sodium_init() < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libsodium cannot start");
    return NULL;
  }
  g_autoptr(UkExports) x = g_new0(UkExports, 1);
  x->store = store;
  x->config = config;
  x->console = console;
  x->running = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  x->alive = g_rc_box_new0(gboolean);
  *x->alive = TRUE;
  if (!load_key(x, error))
    return NULL;
  uk_console_set_exporter(console, on_export, x);
  return g_steal_pointer(&x);
}

void
uk_exports_free(UkExports *x)
{
  if (!x)
    return;
  sodium_memzero(x->secret, sizeof x->secret);
  *x->alive = FALSE;
  g_rc_box_release(x->alive);
  g_hash_table_destroy(x->running);
  g_free(x);
}

/* ---- verify ---- */

static gboolean
hex_to_bin(const char *hex, guint8 *out, gsize len)
{
  gsize n = 0;
  return hex && sodium_hex2bin(out, len, hex, strlen(hex), NULL, &n, NULL) == 0 && n == len;
}

static gchar *
file_sha256(const char *path, GError **error)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot open %s: %s", path,
                g_strerror(e));
    return NULL;
  }
  g_autoptr(UkSha256) sum = uk_sha256_new();
  g_autofree guint8 *buf = g_malloc(1 << 20);
  ssize_t n;
  while ((n = read(fd, buf, 1 << 20)) > 0)
    uk_sha256_update(sum, buf, n);
  close(fd);
  if (n < 0) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot read %s", path);
    return NULL;
  }
  return g_strdup(uk_sha256_hex(sum));
}

gboolean
uk_manifest_verify(const char *mp4, const char *manifest_path, const char *pubkey_path,
                   gchar **key_used, GError **error)
{
  if (sodium_init() < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libsodium cannot start");
    return FALSE;
  }
  g_autofree gchar *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(manifest_path, &text, &len, error))
    return FALSE;
  const char *sig_at = g_strrstr(text, SIGNATURE_KEY);
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!sig_at || !json_parser_load_from_data(parser, text, (gssize)len, NULL)
      || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s: not an uitkijk export manifest (no signature, or not JSON)", manifest_path);
    return FALSE;
  }
  JsonObject *root = json_node_get_object(json_parser_get_root(parser));
  JsonObject *sig = json_object_get_object_member(root, "signature");
  JsonObject *file = json_object_get_object_member(root, "file");
  const char *sig_hex = sig ? json_object_get_string_member_with_default(sig, "value", NULL) : NULL;
  const char *embedded
      = sig ? json_object_get_string_member_with_default(sig, "public_key", NULL) : NULL;
  const char *sha = file ? json_object_get_string_member_with_default(file, "sha256", NULL) : NULL;
  g_autofree gchar *given = NULL;
  if (pubkey_path) {
    if (!g_file_get_contents(pubkey_path, &given, NULL, error))
      return FALSE;
    g_strstrip(given);
  }
  const char *key_hex = given ? given : embedded;
  guint8 pk[crypto_sign_PUBLICKEYBYTES], sigbin[crypto_sign_BYTES];
  if (!hex_to_bin(key_hex, pk, sizeof pk) || !hex_to_bin(sig_hex, sigbin, sizeof sigbin) || !sha) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s: the signature, its key or the file's SHA-256 is missing or malformed",
                manifest_path);
    return FALSE;
  }
  if (key_used)
    *key_used = g_strdup(key_hex);
  /* The signed bytes: the text before the signature, closed. */
  g_autoptr(GString) body = g_string_new_len(text, sig_at - text);
  g_string_append_c(body, '}');
  if (crypto_sign_verify_detached(sigbin, (const guint8 *)body->str, body->len, pk) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s: the signature does not match the manifest (changed, or signed by another "
                "key)",
                manifest_path);
    return FALSE;
  }
  g_autofree gchar *actual = file_sha256(mp4, error);
  if (!actual)
    return FALSE;
  if (g_ascii_strcasecmp(actual, sha) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s: SHA-256 %s, the manifest says %s: the file was changed", mp4, actual, sha);
    return FALSE;
  }
  return TRUE;
}
