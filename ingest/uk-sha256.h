/* uk-sha256: SHA-256 with the CPU's SHA instructions where there are some
 * (OpenSSL's libcrypto), for exports and their verification: GLib's
 * GChecksum hashes ~190 MB/s here, which made hashing the slowest part of a
 * long clip export. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _UkSha256 UkSha256;

/* (transfer full) */
UkSha256 *uk_sha256_new(void);
void uk_sha256_update(UkSha256 *sha, const void *data, gsize len);
/* The digest in lowercase hex; no more updates after. (transfer none) */
const char *uk_sha256_hex(UkSha256 *sha);
void uk_sha256_free(UkSha256 *sha);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkSha256, uk_sha256_free)

G_END_DECLS
