/* uk-sei: builds and finds the capture-time SEI of the simulated cameras.
 *
 * The SEI NAL unit is: NAL header (H.264: 0x06; H.265: 0x4E 0x01, prefix SEI,
 * layer 0, temporal id 1), payload type 5 (user data unregistered), the payload
 * size in the usual 0xFF-continuation coding, the 16-byte UK_SEI_UUID, the ASCII
 * text and the rbsp trailing bits (0x80). See uk-sei.h. */
#include "uk-sei.h"

#include <string.h>

#define SEI_PAYLOAD_TYPE_USER_DATA_UNREGISTERED 5
#define SEI_UUID_LEN 16
#define SEI_TEXT_PREFIX "uitkijk capture_us="

G_STATIC_ASSERT(sizeof(UK_SEI_UUID) - 1 == SEI_UUID_LEN);

GBytes *
uk_sei_build(gboolean h265, const UkSeiCapture *cap)
{
  g_return_val_if_fail(cap != NULL, NULL);

  g_autofree gchar *text
      = g_strdup_printf(SEI_TEXT_PREFIX "%" G_GINT64_FORMAT " frame=%" G_GUINT64_FORMAT " cam=%u",
                        cap->capture_us, cap->frame, cap->cam);
  gsize payload_size = SEI_UUID_LEN + strlen(text);

  GByteArray *nal = g_byte_array_sized_new(payload_size + 8);
  if (h265) {
    /* forbidden_zero_bit 0, nal_unit_type 39 (PREFIX_SEI_NUT), nuh_layer_id 0,
     * nuh_temporal_id_plus1 1. */
    const guint8 header[] = { 39 << 1, 0x01 };
    g_byte_array_append(nal, header, sizeof(header));
  } else {
    /* forbidden_zero_bit 0, nal_ref_idc 0, nal_unit_type 6 (SEI). */
    const guint8 header[] = { 0x06 };
    g_byte_array_append(nal, header, sizeof(header));
  }

  const guint8 type = SEI_PAYLOAD_TYPE_USER_DATA_UNREGISTERED;
  g_byte_array_append(nal, &type, 1);

  const guint8 ff = 0xFF;
  gsize rest = payload_size;
  for (; rest >= 255; rest -= 255)
    g_byte_array_append(nal, &ff, 1);
  const guint8 last = (guint8)rest;
  g_byte_array_append(nal, &last, 1);

  g_byte_array_append(nal, (const guint8 *)UK_SEI_UUID, SEI_UUID_LEN);
  g_byte_array_append(nal, (const guint8 *)text, strlen(text));

  const guint8 trailing = 0x80; /* rbsp_stop_one_bit + alignment zero bits */
  g_byte_array_append(nal, &trailing, 1);

  return g_byte_array_free_to_bytes(nal);
}

/* Parses an unsigned decimal number at *@pos (< @end). Needs at least one digit
 * and a non-digit byte after the last digit inside the data, so a number cut off
 * by the end of the data is never taken for a shorter one. */
static gboolean
parse_decimal(const guint8 **pos, const guint8 *end, guint64 max, guint64 *out)
{
  const guint8 *p = *pos;
  guint64 value = 0;

  if (p >= end || !g_ascii_isdigit(*p))
    return FALSE;
  for (; p < end && g_ascii_isdigit(*p); p++) {
    guint digit = *p - '0';
    if (value > (max - digit) / 10)
      return FALSE; /* overflow */
    value = value * 10 + digit;
  }
  if (p >= end)
    return FALSE; /* truncated */

  *pos = p;
  *out = value;
  return TRUE;
}

/* Consumes the literal @lit at *@pos when it is there in full. */
static gboolean
parse_literal(const guint8 **pos, const guint8 *end, const char *lit)
{
  gsize len = strlen(lit);

  if ((gsize)(end - *pos) < len || memcmp(*pos, lit, len) != 0)
    return FALSE;
  *pos += len;
  return TRUE;
}

/* Parses "<int64> frame=<uint64> cam=<uint>" at @p. */
static gboolean
parse_fields(const guint8 *p, const guint8 *end, UkSeiCapture *out)
{
  gboolean negative = FALSE;
  guint64 capture, frame, cam;

  if (p < end && *p == '-') {
    negative = TRUE;
    p++;
  }
  if (!parse_decimal(&p, end, negative ? (guint64)G_MAXINT64 + 1 : (guint64)G_MAXINT64, &capture))
    return FALSE;
  if (!parse_literal(&p, end, " frame=") || !parse_decimal(&p, end, G_MAXUINT64, &frame))
    return FALSE;
  if (!parse_literal(&p, end, " cam=") || !parse_decimal(&p, end, G_MAXUINT, &cam))
    return FALSE;

  /* -(2^63) does not fit the positive range; go through unsigned arithmetic. */
  out->capture_us = negative ? (gint64)(0 - capture) : (gint64)capture;
  out->frame = frame;
  out->cam = (guint)cam;
  return TRUE;
}

gboolean
uk_sei_find(const guint8 *data, gsize size, UkSeiCapture *out)
{
  static const char marker[] = UK_SEI_UUID SEI_TEXT_PREFIX;
  const gsize marker_len = sizeof(marker) - 1;

  g_return_val_if_fail(data != NULL || size == 0, FALSE);
  g_return_val_if_fail(out != NULL, FALSE);

  if (size < marker_len)
    return FALSE;

  const guint8 *end = data + size;
  const guint8 *p = data;
  while ((gsize)(end - p) >= marker_len) {
    /* Cheap scan for the first byte, then compare the whole marker. */
    const guint8 *hit = memchr(p, marker[0], (gsize)(end - p) - marker_len + 1);
    if (hit == NULL)
      return FALSE;
    if (memcmp(hit, marker, marker_len) == 0 && parse_fields(hit + marker_len, end, out))
      return TRUE;
    p = hit + 1;
  }
  return FALSE;
}
