/* Unit tests: the incident store: append-only, review queries, retention. */
#include "uk-audit.h"
#include "uk-incidents.h"
#include "uk-store.h"
#include "uk-time.h"
#include "uk-writer.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static UkStore *
temp_store(void)
{
  g_autofree gchar *dir = g_dir_make_tmp("uk-incidents-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename(dir, "db", NULL);
  g_autoptr(GError) error = NULL;
  UkStore *s = uk_store_open(path, &error);
  g_assert_no_error(error);
  return s;
}

static gint64
add(UkStore *s, const char *area, const char *text, gint64 created_90k)
{
  UkIncident i = { .area = (gchar *)area,
                   .camera = (gchar *)"cam",
                   .cameras_json = (gchar *)"[\"cam\"]",
                   .position_90k = created_90k,
                   .source = (gchar *)"live",
                   .category = (gchar *)"overlast",
                   .severity = (gchar *)"low",
                   .description = (gchar *)text,
                   .actions_json = (gchar *)"[]",
                   .created_90k = created_90k,
                   .created_by = (gchar *)"op" };
  g_autoptr(GError) error = NULL;
  g_assert_true(uk_store_incident_add(s, &i, &error));
  g_assert_no_error(error);
  return i.id;
}

static void
test_retention(void)
{
  g_autoptr(UkStore) s = temp_store();
  gint64 now = uk_time_now_90k(), day = (gint64)86400 * UK_TIME_HZ;
  gint64 old = add(s, "station", "oud voorval", now - 1826 * day);
  gint64 young = add(s, "station", "recent voorval", now - 10 * day);
  g_assert_true(uk_store_incident_change(s, old, "op", "note", "\"x\"", NULL, NULL));
  g_autoptr(GError) error = NULL;
  gint64 n = uk_store_incidents_expire(s, now - 1825 * day, &error);
  g_assert_no_error(error);
  g_assert_cmpint(n, ==, 1);
  g_assert_null(uk_store_incident_get(s, old, FALSE, NULL));
  g_autoptr(UkIncident) kept = uk_store_incident_get(s, young, TRUE, &error);
  g_assert_nonnull(kept);
  /* The deletion is audited, and the gate is shut again. */
  g_autoptr(GPtrArray) rows
      = uk_store_audit_query(s, 0, 0, NULL, "incidents_deleted", NULL, 0, 10, NULL);
  g_assert_cmpuint(rows->len, ==, 1);
  sqlite3 *db = uk_store_sqlite(s);
  g_assert_cmpint(sqlite3_exec(db, "DELETE FROM incident", NULL, NULL, NULL), !=, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, "UPDATE incident SET description = 'x'", NULL, NULL, NULL), !=,
                  SQLITE_OK);
  g_assert_cmpint(uk_store_incidents_expire(s, now - 1825 * day, NULL), ==, 0);
}

static void
test_query(void)
{
  g_autoptr(UkStore) s = temp_store();
  gint64 now = uk_time_now_90k();
  gint64 a = add(s, "station", "Fietsendiefstal bij de stalling", now - 100);
  add(s, "centrum", "Fietsendiefstal op de markt", now - 50);
  gint64 c = add(s, "station", "Ruzie op het perron", now - 10);
  g_assert_true(uk_store_incident_change(s, c, "op", "status", "\"closed\"", "klaar", NULL));
  const char *const station[] = { "station", NULL };
  UkIncidentQuery q = { .areas = station, .text = "fiets" };
  g_autoptr(GPtrArray) r = uk_store_incidents_query(s, &q, NULL);
  g_assert_cmpuint(r->len, ==, 1);
  g_assert_cmpint(((UkIncident *)r->pdata[0])->id, ==, a);
  UkIncidentQuery q2 = { .areas = station, .status = "closed" };
  g_autoptr(GPtrArray) r2 = uk_store_incidents_query(s, &q2, NULL);
  g_assert_cmpuint(r2->len, ==, 1);
  g_assert_cmpstr(((UkIncident *)r2->pdata[0])->status, ==, "closed");
  /* FTS syntax from users is only ever words. */
  UkIncidentQuery q3 = { .areas = station, .text = "\"unbalanced AND (NEAR" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r3 = uk_store_incidents_query(s, &q3, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(r3->len, ==, 0);
}

static guint
search(UkStore *s, const char *text)
{
  const char *const station[] = { "station", NULL };
  UkIncidentQuery q = { .areas = station, .text = text };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = uk_store_incidents_query(s, &q, &error);
  g_assert_no_error(error);
  return r->len;
}

/* The full-text index is filled after the acknowledged commit; a search
 * finds the same incidents before and after (uk_match stands in). */
static void
test_index_later(void)
{
  g_autoptr(UkStore) s = temp_store();
  gint64 now = uk_time_now_90k();
  gint64 a = add(s, "station", "Café-eigenaar bedreigd bij de ingang", now - 100);
  add(s, "station", "Scooter op het fietspad", now - 50);
  g_assert_cmpint(uk_store_incidents_unindexed(s), ==, 2);
  g_assert_true(uk_store_incident_change(s, a, "op", "note", "\"Politie ter plaatse\"",
                                         "Verdachte weg", NULL));
  struct {
    const char *query;
    guint hits;
  } cases[] = {
    { "cafe", 1 },
    { "CAFÉ eigen", 1 },
    { "eigenaar", 1 },
    { "fiets", 1 },
    { "politie verdacht", 1 },
    { "cafe-eigenaar", 1 },
    { "eigenaar-cafe", 0 },
    { "bedreigd scooter", 0 },
    { "ingang bij", 1 },
    { "het", 1 },
    { "zzz", 0 },
  };
  for (guint round = 0; round < 2; round++) {
    for (guint k = 0; k < G_N_ELEMENTS(cases); k++)
      g_assert_cmpuint(search(s, cases[k].query), ==, cases[k].hits);
    if (round == 0) {
      g_autoptr(GError) error = NULL;
      g_assert_cmpint(uk_store_incidents_index(s, 1, &error), ==, 1);
      g_assert_cmpint(uk_store_incidents_index(s, 100, &error), ==, 1);
      g_assert_no_error(error);
      g_assert_cmpint(uk_store_incidents_unindexed(s), ==, 0);
      g_assert_cmpint(uk_store_incidents_index(s, 100, &error), ==, 0);
      /* Amended once indexed: the index is updated in place. */
      g_assert_true(
          uk_store_incident_change(s, a, "op", "description", "\"ook een fietser\"", NULL, NULL));
      g_assert_cmpuint(search(s, "fietser"), ==, 1);
      g_assert_cmpuint(search(s, "fiets"), ==, 2);
      cases[3].hits = 2;
    }
  }
}

/* A writer job: one incident, as add() stores it. */
static gboolean
write_one(UkStore *s, gpointer data, GError **error)
{
  (void)data;
  (void)error;
  add(s, "station", "Groep bij de ingang van het station", uk_time_now_90k());
  return TRUE;
}

static void
write_done(gpointer data, const GError *error)
{
  g_assert_no_error(error);
  (*(guint *)data)++;
}

/* The WAL header's checkpoint sequence number (bytes 12-15, big-endian):
 * how often the WAL was started over. */
static guint32
wal_restarts(const char *wal)
{
  guchar h[16] = { 0 };
  FILE *f = fopen(wal, "rb");
  if (f) {
    if (fread(h, 1, sizeof h, f) != sizeof h)
      memset(h, 0, sizeof h);
    fclose(f);
  }
  return (guint32)h[12] << 24 | (guint32)h[13] << 16 | (guint32)h[14] << 8 | h[15];
}

/* Under commits that never pause, the WAL is started over again and again
 * instead of growing without end (it never was before). */
static void
test_writer_wal_restarts(void)
{
  g_autofree gchar *dir = g_dir_make_tmp("uk-writer-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename(dir, "db", NULL);
  g_autofree gchar *wal = g_strconcat(path, "-wal", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(UkStore) s = uk_store_open(path, &error);
  g_assert_no_error(error);
  g_autoptr(GMainContext) context = g_main_context_new();
  UkWriter *w = uk_writer_new(path, NULL, context, &error);
  g_assert_no_error(error);
  guint submitted = 0, done = 0;
  gint64 start = g_get_monotonic_time(), end = start + 30 * G_USEC_PER_SEC;
  guint64 largest = 0;
  while (wal_restarts(wal) < 2 && g_get_monotonic_time() < end) {
    while (submitted - done < 64) { /* always a queue: the writer never idles */
      uk_writer_submit(w, write_one, write_done, &done);
      submitted++;
    }
    g_main_context_iteration(context, TRUE);
    GStatBuf st;
    if (g_stat(wal, &st) == 0)
      largest = MAX(largest, (guint64)st.st_size);
  }
  guint32 restarts = wal_restarts(wal);
  g_test_message("%u writes in %.1f s, WAL at most %" G_GUINT64_FORMAT " bytes, restarted %u times",
                 done, (g_get_monotonic_time() - start) / 1e6, largest, restarts);
  g_assert_cmpuint(restarts, >=, 2);
  /* About 0.5 s of writes (a checkpoint's interval), far below this. */
  g_assert_cmpuint(largest, <, 64 * 1024 * 1024);
  uk_writer_free(w);
  while (g_main_context_iteration(context, FALSE))
    ;
  g_assert_cmpuint(done, ==, submitted);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/incidents/retention", test_retention);
  g_test_add_func("/incidents/query", test_query);
  g_test_add_func("/incidents/index-later", test_index_later);
  g_test_add_func("/incidents/writer-wal-restarts", test_writer_wal_restarts);
  return g_test_run();
}
