/* uk-text: JSON string literals and CSV fields. */
#include "uk-text.h"

#include "uk-time.h"

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

void
uk_json_member(GString *out, const char *name)
{
  char last = out->len ? out->str[out->len - 1] : 0;
  if (last != '{' && last != '[' && last != 0)
    g_string_append_c(out, ',');
  uk_json_append_string(out, name);
  g_string_append_c(out, ':');
}

void
uk_json_member_string(GString *out, const char *name, const char *value)
{
  uk_json_member(out, name);
  if (value)
    uk_json_append_string(out, value);
  else
    g_string_append(out, "null");
}

void
uk_json_member_time(GString *out, const char *name, gint64 t_90k)
{
  g_autofree gchar *t = t_90k ? uk_time_format_rfc3339(t_90k) : NULL;
  uk_json_member_string(out, name, t);
}

void
uk_json_member_strings(GString *out, const char *name, const GPtrArray *values)
{
  uk_json_member(out, name);
  g_string_append_c(out, '[');
  for (guint i = 0; values && i < values->len; i++) {
    if (i)
      g_string_append_c(out, ',');
    uk_json_append_string(out, values->pdata[i]);
  }
  g_string_append_c(out, ']');
}

void
uk_json_member_raw(GString *out, const char *name, const char *json)
{
  uk_json_member(out, name);
  g_string_append(out, json && *json ? json : "null");
}

void
uk_json_member_bool(GString *out, const char *name, gboolean value)
{
  uk_json_member(out, name);
  g_string_append(out, value ? "true" : "false");
}
