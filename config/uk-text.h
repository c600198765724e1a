/* uk-text: small text encoders shared by the command line and the console:
 * JSON string literals and CSV fields. GLib only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends @s to @out as a JSON string literal (quotes and escapes). */
void uk_json_append_string(GString *out, const char *s);

/* JSON object members written straight into @out (no builder, no reparse):
 * each appends ',"name":value', without the comma right after '{' or '['
 * or at the start of @out. A NULL string or a 0 time is null. */
void uk_json_member(GString *out, const char *name); /* ',"name":' only */
void uk_json_member_string(GString *out, const char *name, const char *value);
/* @t_90k as RFC 3339 UTC with milliseconds. */
void uk_json_member_time(GString *out, const char *name, gint64 t_90k);
void uk_json_member_bool(GString *out, const char *name, gboolean value);
/* (element-type utf8) an array of strings; NULL is []. */
void uk_json_member_strings(GString *out, const char *name, const GPtrArray *values);
/* @json: JSON text this program wrote (stored arrays, values), as it is. */
void uk_json_member_raw(GString *out, const char *name, const char *json);

/* Appends @value as one RFC 4180 CSV field (always quoted; NULL is empty),
 * then ',' or, when @last, CRLF. A value starting with =, +, - or @ gets a
 * leading ' so that spreadsheets do not run it as a formula. */
void uk_csv_append_field(GString *out, const char *value, gboolean last);

G_END_DECLS
