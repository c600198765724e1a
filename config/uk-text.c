/* uk-text: JSON string literals and CSV fields. */
#include "uk-text.h"

#include <string.h>

void
uk_json_append_string(GString *out, const char *s)
{
  g_string_append_c(out, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"':
        g_string_append(out, "\\\"");
        break;
      case '\\':
        g_string_append(out, "\\\\");
        break;
      case '\n':
        g_string_append(out, "\\n");
        break;
      case '\t':
        g_string_append(out, "\\t");
        break;
      default:
        if (*p < 0x20)
          g_string_append_printf(out, "\\u%04x", *p);
        else
          g_string_append_c(out, *p);
    }
  }
  g_string_append_c(out, '"');
}

void
uk_csv_append_field(GString *out, const char *value, gboolean last)
{
  const char *v = value ? value : "";
  g_string_append_c(out, '"');
  if (v[0] && strchr("=+-@", v[0]))
    g_string_append_c(out, '\'');
  for (const char *p = v; *p; p++) {
    if (*p == '"')
      g_string_append_c(out, '"');
    g_string_append_c(out, *p);
  }
  g_string_append(out, last ? "\"\r\n" : "\",");
}
