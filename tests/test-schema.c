/* Schema test: migrating an empty database yields exactly events/schema.sql. */
#include "uk-store.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

/* A canonical description of a database's structure: every table's columns,
 * keys and indexes, from sqlite's pragmas (not the SQL text, which differs
 * between CREATE and ALTER). (transfer full) */
static gchar *
describe(sqlite3 *db)
{
  GString *out = g_string_new(NULL);
  sqlite3_stmt *st;
  g_assert_cmpint(sqlite3_prepare_v2(db,
                                     "SELECT type, name, tbl_name FROM sqlite_master "
                                     "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
                                     -1, &st, NULL),
                  ==, SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *type = (const char *)sqlite3_column_text(st, 0);
    const char *name = (const char *)sqlite3_column_text(st, 1);
    g_string_append_printf(out, "%s %s on %s\n", type, name, sqlite3_column_text(st, 2));
    const char *pragmas[] = { "table_info", "foreign_key_list", "index_list" };
    if (g_str_equal(type, "index"))
      pragmas[0] = "index_xinfo", pragmas[1] = pragmas[2] = NULL;
    for (guint p = 0; p < G_N_ELEMENTS(pragmas) && pragmas[p]; p++) {
      g_autofree gchar *sql = g_strdup_printf("SELECT * FROM pragma_%s('%s')", pragmas[p], name);
      sqlite3_stmt *ps;
      g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &ps, NULL), ==, SQLITE_OK);
      while (sqlite3_step(ps) == SQLITE_ROW) {
        g_string_append_printf(out, "  %s:", pragmas[p]);
        for (int c = 0; c < sqlite3_column_count(ps); c++)
          g_string_append_printf(
              out, " %s",
              sqlite3_column_text(ps, c) ? (const char *)sqlite3_column_text(ps, c) : "NULL");
        g_string_append_c(out, '\n');
      }
      sqlite3_finalize(ps);
    }
  }
  sqlite3_finalize(st);
  /* CHECK constraints live only in the SQL text: compare them, whitespace-folded. */
  g_assert_cmpint(sqlite3_prepare_v2(db,
                                     "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                     "AND sql LIKE '%CHECK%' ORDER BY name",
                                     -1, &st, NULL),
                  ==, SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    g_autoptr(GRegex) ws = g_regex_new("--[^\n]*|\\s+", 0, 0, NULL);
    g_autofree gchar *folded
        = g_regex_replace_literal(ws, (const char *)sqlite3_column_text(st, 1), -1, 0, "", 0, NULL);
    g_autoptr(GRegex) checks = g_regex_new("CHECK\\([^)]*\\)", 0, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    g_regex_match(checks, folded, 0, &m);
    while (g_match_info_matches(m)) {
      g_autofree gchar *c = g_match_info_fetch(m, 0);
      g_string_append_printf(out, "check %s %s\n", sqlite3_column_text(st, 0), c);
      g_match_info_next(m, NULL);
    }
  }
  sqlite3_finalize(st);
  return g_string_free(out, FALSE);
}

static void
test_migrations_yield_schema(void)
{
  const char *dir = g_getenv("UK_SCHEMA_DIR");
  g_assert_nonnull(dir);
  g_autofree gchar *schema_path = g_build_filename(dir, "schema.sql", NULL);
  g_autofree gchar *schema = NULL;
  g_assert_true(g_file_get_contents(schema_path, &schema, NULL, NULL));

  g_autofree gchar *tmp = g_dir_make_tmp("uk-schema-XXXXXX", NULL);
  g_autofree gchar *migrated_path = g_build_filename(tmp, "migrated.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(UkStore) store = uk_store_open(migrated_path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(uk_store_version(store), ==, uk_store_latest_version());
  g_autofree gchar *migrated = describe(uk_store_sqlite(store));

  sqlite3 *fresh;
  g_assert_cmpint(sqlite3_open(":memory:", &fresh), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(fresh, schema, NULL, NULL, NULL), ==, SQLITE_OK);
  g_autofree gchar *expected = describe(fresh);
  sqlite3_close(fresh);
  g_assert_cmpstr(migrated, ==, expected);
  g_assert_true(strstr(expected, "table recording") != NULL);
}

static void
test_reopen_and_newer(void)
{
  g_autofree gchar *tmp = g_dir_make_tmp("uk-schema-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename(tmp, "db", NULL);
  g_autoptr(GError) error = NULL;
  {
    g_autoptr(UkStore) s = uk_store_open(path, &error);
    g_assert_no_error(error);
  }
  {
    /* Opening again migrates nothing and keeps the version. */
    g_autoptr(UkStore) s = uk_store_open(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(uk_store_version(s), ==, uk_store_latest_version());
    g_assert_cmpint(
        sqlite3_exec(uk_store_sqlite(s), "UPDATE version SET version = 999", NULL, NULL, NULL), ==,
        SQLITE_OK);
  }
  /* Forward only: a database from a newer uitkijk is refused, not damaged. */
  g_autoptr(UkStore) s = uk_store_open(path, &error);
  g_assert_null(s);
  g_assert_error(error, UK_STORE_ERROR, UK_STORE_ERROR_VERSION);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/schema/migrations-yield-schema", test_migrations_yield_schema);
  g_test_add_func("/schema/reopen-and-newer", test_reopen_and_newer);
  return g_test_run();
}
