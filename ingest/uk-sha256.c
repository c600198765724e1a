/* uk-sha256: SHA-256 through libcrypto's EVP interface. */
#include "uk-sha256.h"

#include <openssl/evp.h>

struct _UkSha256 {
  EVP_MD_CTX *ctx;
  gchar hex[65]; /* set once finished */
  gboolean done;
};

UkSha256 *
uk_sha256_new(void)
{
  UkSha256 *s = g_new0(UkSha256, 1);
  s->ctx = EVP_MD_CTX_new();
  if (!s->ctx || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
    g_error("libcrypto: cannot start SHA-256");
  return s;
}

void
uk_sha256_update(UkSha256 *s, const void *data, gsize len)
{
  g_return_if_fail(!s->done);
  EVP_DigestUpdate(s->ctx, data, len);
}

const char *
uk_sha256_hex(UkSha256 *s)
{
  if (!s->done) {
    guint8 md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(s->ctx, md, &n);
    for (unsigned int i = 0; i < n && i < 32; i++)
      g_snprintf(s->hex + 2 * i, 3, "%02x", md[i]);
    s->done = TRUE;
  }
  return s->hex;
}

void
uk_sha256_free(UkSha256 *s)
{
  if (!s)
    return;
  EVP_MD_CTX_free(s->ctx);
  g_free(s);
}
