/* uk-store-private: shared by the files of the events module only. */
#pragma once

#include "uk-store.h"

#include <sqlite3.h>

struct _UkStore {
  sqlite3 *db;
  GHashTable *stmts; /* SQL text -> sqlite3_stmt*, prepared once */
  guint tx_depth;
  gchar *audit_head_path; /* see uk-audit.h; NULL: not kept */
  int audit_head_fd;      /* that file, opened at its first write; -1: not yet */
  gboolean audit_dirty;   /* appended in the open transaction: write the head at commit */
  gint64 unindexed;       /* incidents added but not yet in the full-text index (an estimate) */
};

/* Registers uk_match(text, query) (uk-incidents.c) on a new connection. */
void uk_incidents_register_functions(sqlite3 *db);

/* A reset statement for @sql (a string constant), prepared once per store.
 * (transfer none) */
sqlite3_stmt *uk_store_stmt(UkStore *s, const char *sql, GError **error);
/* Steps a statement that returns no row, then resets it. */
gboolean uk_store_step_done(UkStore *s, sqlite3_stmt *st, GError **error);
/* Sets @error from sqlite's last message; returns FALSE. */
gboolean uk_store_sql_error(UkStore *s, GError **error, const char *what);

/* Binds @text, or NULL when it is NULL. */
static inline void
uk_store_bind_text_or_null(sqlite3_stmt *st, int col, const char *text)
{
  if (text)
    sqlite3_bind_text(st, col, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, col);
}

/* A column's text, copied (NULL stays NULL). (transfer full) */
static inline gchar *
uk_store_column_dup(sqlite3_stmt *st, int col)
{
  return g_strdup((const char *)sqlite3_column_text(st, col));
}

/* Reads one object from the current row of @row (which it must not step);
 * NULL after setting @error. */
typedef gpointer (*UkRowReader)(UkStore *s, sqlite3_stmt *row, GError **error);

/* Steps @st (bound, not stepped) to its end, reading each row with @read.
 * (transfer full) NULL on error. */
GPtrArray *uk_store_read_rows(UkStore *s, sqlite3_stmt *st, UkRowReader read,
                              GDestroyNotify free_func, GError **error);
/* The first row of @st read with @read, or NULL with UK_STORE_ERROR_NOT_FOUND
 * saying "no @what @id". (transfer full) */
gpointer uk_store_read_one(UkStore *s, sqlite3_stmt *st, UkRowReader read, const char *what,
                           gint64 id, GError **error);

/* Writes the audit head file (uk-audit.c); called after a commit. */
void uk_store_audit_write_head(UkStore *s);
