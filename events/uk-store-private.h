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
};

/* A reset statement for @sql (a string constant), prepared once per store.
 * (transfer none) */
sqlite3_stmt *uk_store_stmt(UkStore *s, const char *sql, GError **error);
/* Steps a statement that returns no row, then resets it. */
gboolean uk_store_step_done(UkStore *s, sqlite3_stmt *st, GError **error);
/* Sets @error from sqlite's last message; returns FALSE. */
gboolean uk_store_sql_error(UkStore *s, GError **error, const char *what);

/* Writes the audit head file (uk-audit.c); called after a commit. */
void uk_store_audit_write_head(UkStore *s);
