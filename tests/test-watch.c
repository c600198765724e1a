/* Unit tests of uk-watch: claims, presence, and when alerts are raised. */
#include "uk-time.h"
#include "uk-watch.h"

#define S(x) ((gint64)(x)*UK_TIME_HZ)

typedef struct {
  UkWatch *w;
  GPtrArray *raised;   /* (element-type utf8) "kind camera-or-user" */
  GPtrArray *resolved; /* same */
  guint presence;
} Fixture;

static void
on_alert(const UkAlert *a, gpointer data)
{
  Fixture *f = data;
  gchar *s = g_strdup_printf("%s %s", uk_alert_kind_name(a->kind), a->camera ? a->camera : a->user);
  g_ptr_array_add(a->resolved_90k && a->kind != UK_ALERT_CAMERA_UP ? f->resolved : f->raised, s);
}

static void
on_presence(const char *area, gpointer data)
{
  Fixture *f = data;
  f->presence++;
}

static void
setup(Fixture *f, gconstpointer data)
{
  f->w = uk_watch_new(on_alert, on_presence, f);
  f->raised = g_ptr_array_new_with_free_func(g_free);
  f->resolved = g_ptr_array_new_with_free_func(g_free);
  uk_watch_add_camera(f->w, "station-1", "station");
  uk_watch_add_camera(f->w, "station-2", "station");
  uk_watch_add_camera(f->w, "centrum-1", "centrum");
}

static void
teardown(Fixture *f, gconstpointer data)
{
  uk_watch_free(f->w);
  g_ptr_array_unref(f->raised);
  g_ptr_array_unref(f->resolved);
}

static gboolean
has(GPtrArray *a, const char *s)
{
  return g_ptr_array_find_with_equal_func(a, s, g_str_equal, NULL);
}

static void
test_claims(Fixture *f, gconstpointer data)
{
  const char *holder = NULL;
  uk_watch_user_online(f->w, "anna", S(1));
  uk_watch_user_online(f->w, "bram", S(1));
  g_assert_true(uk_watch_claim(f->w, "station-1", "anna", S(2), &holder));
  g_assert_true(uk_watch_claim(f->w, "station-1", "anna", S(3), &holder)); /* again: fine */
  g_assert_false(uk_watch_claim(f->w, "station-1", "bram", S(3), &holder));
  g_assert_cmpstr(holder, ==, "anna");
  g_assert_false(uk_watch_release(f->w, "station-1", "bram"));
  g_assert_true(uk_watch_release(f->w, "station-1", "anna"));
  g_assert_true(uk_watch_claim(f->w, "station-1", "bram", S(4), &holder));
  uk_watch_assign(f->w, "station-1", "anna", S(5)); /* a handover */
  g_assert_cmpstr(uk_watch_camera(f->w, "station-1")->claimant, ==, "anna");
  g_assert_false(uk_watch_claim(f->w, "nope", "anna", S(5), &holder));
  g_assert_cmpuint(f->presence, >=, 4);
}

static void
test_unwatched(Fixture *f, gconstpointer data)
{
  uk_watch_set_required(f->w, "station-1", TRUE, NULL);
  uk_watch_tick(f->w, S(100));
  uk_watch_tick(f->w, S(100 + UK_WATCH_UNWATCHED_GRACE_S - 1));
  g_assert_cmpuint(f->raised->len, ==, 0);
  uk_watch_tick(f->w, S(100 + UK_WATCH_UNWATCHED_GRACE_S));
  g_assert_true(has(f->raised, "camera.unwatched station-1"));
  g_assert_cmpuint(f->raised->len, ==, 1);
  uk_watch_tick(f->w, S(200)); /* raised once, not every second */
  g_assert_cmpuint(f->raised->len, ==, 1);
  /* A live view counts as watching. */
  uk_watch_viewer_add(f->w, "station-1", "anna");
  uk_watch_tick(f->w, S(201));
  g_assert_true(has(f->resolved, "camera.unwatched station-1"));
  uk_watch_viewer_remove(f->w, "station-1", "anna");
  /* So does a claim, but only while its holder is connected. */
  uk_watch_user_online(f->w, "anna", S(202));
  g_assert_true(uk_watch_claim(f->w, "station-1", "anna", S(202), NULL));
  uk_watch_tick(f->w, S(300));
  g_assert_cmpuint(f->raised->len, ==, 1);
  /* No longer required: nothing is raised. */
  uk_watch_set_required(f->w, "station-2", FALSE, NULL);
  uk_watch_tick(f->w, S(400));
  g_assert_cmpuint(f->raised->len, ==, 1);
}

static void
test_operator_gone(Fixture *f, gconstpointer data)
{
  uk_watch_set_required(f->w, "station-1", TRUE, NULL);
  uk_watch_user_online(f->w, "anna", S(1));
  uk_watch_user_online(f->w, "anna", S(1)); /* a second tab */
  g_assert_true(uk_watch_claim(f->w, "station-1", "anna", S(1), NULL));
  uk_watch_user_offline(f->w, "anna", S(2)); /* one tab closed: still there */
  g_assert_cmpuint(f->raised->len, ==, 0);
  uk_watch_user_offline(f->w, "anna", S(3));
  g_assert_true(has(f->raised, "operator.gone anna"));
  /* Back within the grace: resolved, the claim is still hers. */
  uk_watch_user_online(f->w, "anna", S(10));
  g_assert_true(has(f->resolved, "operator.gone anna"));
  g_assert_cmpstr(uk_watch_camera(f->w, "station-1")->claimant, ==, "anna");
  /* Gone for good: the claim goes after the grace, and the camera, which
   * must be watched, is reported unwatched. Another operator may take it
   * over at once. */
  uk_watch_user_offline(f->w, "anna", S(20));
  const char *holder = NULL;
  uk_watch_user_online(f->w, "bram", S(21));
  uk_watch_tick(f->w, S(21)); /* ticks come every second */
  uk_watch_tick(f->w, S(21 + UK_WATCH_UNWATCHED_GRACE_S));
  g_assert_true(has(f->raised, "camera.unwatched station-1"));
  uk_watch_tick(f->w, S(20 + UK_WATCH_CLAIM_GRACE_S));
  g_assert_null(uk_watch_camera(f->w, "station-1")->claimant);
  g_assert_true(uk_watch_claim(f->w, "station-1", "bram", S(90), &holder));
}

static void
test_camera_state(Fixture *f, gconstpointer data)
{
  uk_watch_user_online(f->w, "anna", S(1));
  uk_watch_claim(f->w, "station-1", "anna", S(1), NULL);
  uk_watch_camera_state(f->w, "station-1", "connecting", NULL, S(1));
  uk_watch_camera_state(f->w, "station-1", "recording", NULL, S(2));
  g_assert_cmpuint(f->raised->len, ==, 0); /* first start: no news */
  uk_watch_camera_state(f->w, "station-1", "down", "camera error", S(3));
  g_assert_true(has(f->raised, "camera.down station-1"));
  const GPtrArray *alerts = uk_watch_alerts(f->w);
  const UkAlert *down = alerts->pdata[alerts->len - 1];
  g_assert_cmpstr(down->detail, ==, "camera error");
  g_assert_cmpuint(down->notify->len, ==, 1);
  g_assert_cmpstr(down->notify->pdata[0], ==, "anna");
  uk_watch_camera_state(f->w, "station-1", "connecting", NULL, S(4)); /* retrying: still down */
  uk_watch_camera_state(f->w, "station-1", "down", "again", S(5));
  g_assert_cmpuint(f->raised->len, ==, 1);
  uk_watch_camera_state(f->w, "station-1", "recording", NULL, S(6));
  g_assert_true(has(f->resolved, "camera.down station-1"));
  g_assert_true(has(f->raised, "camera.up station-1"));
  /* Resolved alerts are kept for an hour, then forgotten. */
  g_assert_cmpuint(uk_watch_alerts(f->w)->len, ==, 2);
  uk_watch_tick(f->w, S(6 + 3601));
  g_assert_cmpuint(uk_watch_alerts(f->w)->len, ==, 0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/watch/claims", Fixture, NULL, setup, test_claims, teardown);
  g_test_add("/watch/unwatched", Fixture, NULL, setup, test_unwatched, teardown);
  g_test_add("/watch/operator-gone", Fixture, NULL, setup, test_operator_gone, teardown);
  g_test_add("/watch/camera-state", Fixture, NULL, setup, test_camera_state, teardown);
  return g_test_run();
}
