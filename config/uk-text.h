/* uk-text: small text encoders shared by the command line and the console:
 * JSON string literals and CSV fields. GLib only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends @s to @out as a JSON string literal (quotes and escapes). */
void uk_json_append_string(GString *out, const char *s);

/* Appends @value as one RFC 4180 CSV field (always quoted; NULL is empty),
 * then ',' or, when @last, CRLF. A value starting with =, +, - or @ gets a
 * leading ' so that spreadsheets do not run it as a formula. */
void uk_csv_append_field(GString *out, const char *value, gboolean last);

G_END_DECLS
