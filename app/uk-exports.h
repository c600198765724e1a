/* uk-exports: producing approved police clip exports.
 *
 * For each camera of an approved clip request: its segment files are
 * remuxed into one MP4 (ingest/uk-export.h, on a worker thread), then a
 * manifest (JSON: camera, area, location, requested and actual range, gaps,
 * time source, original stream, SHA-256, requester, approver, case, legal
 * basis, purpose, creation time) is written next to it and signed with the
 * installation's Ed25519 export key (libsodium), generated at first start in
 * <storage>/keys/. Progress and results go to the console; rows in
 * clip_export record them; each export is audited.
 *
 * The manifest's signature covers its own text: the file is
 * `{BODY,"signature":{...}}` and the signature is over `{BODY}` exactly
 * (docs/PROTOCOL.md, "Clips"), so `uitkijk export verify` needs no JSON
 * canonicalisation. */
#pragma once

#include "uk-config.h"
#include "uk-console.h"
#include "uk-store.h"

G_BEGIN_DECLS

typedef struct _UkExports UkExports;

/* Loads the export key, creating it at first start (audited). (transfer full) */
UkExports *uk_exports_new(UkStore *store, const UkConfig *config, UkConsole *console,
                          GError **error);
void uk_exports_free(UkExports *exports);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkExports, uk_exports_free)

/* Starts exporting approved request @request_id (the console's exporter). */
void uk_exports_start(UkExports *exports, gint64 request_id);

/* Checks @mp4 against @manifest: its SHA-256 and the manifest's signature,
 * with the public key in @pubkey_path (hex), or else the one the manifest
 * names (then only tampering with a consistent re-signing goes unnoticed:
 * say so). TRUE when both hold; FALSE with @error saying what failed. */
gboolean uk_manifest_verify(const char *mp4, const char *manifest, const char *pubkey_path,
                            gchar **key_used, GError **error);

G_END_DECLS
