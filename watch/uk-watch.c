/* uk-watch: claims, presence and watch alerts. */
#include "uk-watch.h"

#include "uk-time.h"

#define KEEP_RESOLVED_90K ((gint64)3600 * UK_TIME_HZ)
#define MAX_ALERTS 500

typedef struct {
  guint connections;
  gint64 offline_since_90k; /* 0: online */
  UkAlert *gone_alert;      /* active operator.gone */
} User;

struct _UkWatch {
  GPtrArray *cameras; /* (element-type UkWatchCamera) in order added */
  GHashTable *by_id;  /* camera id -> UkWatchCamera (in cameras) */
  GHashTable *users;  /* user name -> User, everyone seen since start */
  GPtrArray *alerts;  /* (element-type UkAlert) oldest first */
  UkAlert *disk_full; /* active disk.full */
  guint64 next_alert;
  UkWatchAlertFunc alert_func;
  UkWatchPresenceFunc presence_func;
  gpointer data;
};

const char *
uk_alert_kind_name(UkAlertKind kind)
{
  static const char *const names[] = { "camera.down",   "camera.up", "camera.unwatched",
                                       "operator.gone", "disk.low",  "disk.full" };
  return (guint)kind < G_N_ELEMENTS(names) ? names[kind] : "unknown";
}

static void
alert_free(gpointer p)
{
  UkAlert *a = p;
  g_free(a->camera);
  g_free(a->user);
  g_free(a->detail);
  g_ptr_array_unref(a->cameras);
  g_ptr_array_unref(a->areas);
  g_ptr_array_unref(a->notify);
  g_free(a);
}

static void
camera_free(gpointer p)
{
  UkWatchCamera *c = p;
  g_free(c->id);
  g_free(c->area);
  g_free(c->claimant);
  g_hash_table_destroy(c->viewers);
  g_ptr_array_unref(c->concerned);
  g_free(c);
}

UkWatch *
uk_watch_new(UkWatchAlertFunc alert, UkWatchPresenceFunc presence, gpointer data)
{
  UkWatch *w = g_new0(UkWatch, 1);
  w->cameras = g_ptr_array_new_with_free_func(camera_free);
  w->by_id = g_hash_table_new(g_str_hash, g_str_equal);
  w->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  w->alerts = g_ptr_array_new_with_free_func(alert_free);
  w->next_alert = 1;
  w->alert_func = alert;
  w->presence_func = presence;
  w->data = data;
  return w;
}

void
uk_watch_free(UkWatch *w)
{
  if (!w)
    return;
  g_hash_table_destroy(w->by_id);
  g_ptr_array_unref(w->cameras);
  g_hash_table_destroy(w->users);
  g_ptr_array_unref(w->alerts);
  g_free(w);
}

void
uk_watch_add_camera(UkWatch *w, const char *id, const char *area)
{
  if (g_hash_table_contains(w->by_id, id))
    return;
  UkWatchCamera *c = g_new0(UkWatchCamera, 1);
  c->id = g_strdup(id);
  c->area = g_strdup(area);
  c->viewers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  c->concerned = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(w->cameras, c);
  g_hash_table_insert(w->by_id, c->id, c);
}

const GPtrArray *
uk_watch_cameras(UkWatch *w)
{
  return w->cameras;
}

UkWatchCamera *
uk_watch_camera(UkWatch *w, const char *id)
{
  return id ? g_hash_table_lookup(w->by_id, id) : NULL;
}

static User *
user_get(UkWatch *w, const char *name)
{
  User *u = g_hash_table_lookup(w->users, name);
  if (!u) {
    u = g_new0(User, 1);
    g_hash_table_insert(w->users, g_strdup(name), u);
  }
  return u;
}

gboolean
uk_watch_user_is_online(UkWatch *w, const char *user)
{
  User *u = user ? g_hash_table_lookup(w->users, user) : NULL;
  return u && u->connections > 0;
}

static void
presence_changed(UkWatch *w, const char *area)
{
  if (w->presence_func)
    w->presence_func(area, w->data);
}

/* ---- alerts ---- */

static void
add_unique(GPtrArray *a, const char *s)
{
  if (s && !g_ptr_array_find_with_equal_func(a, s, g_str_equal, NULL))
    g_ptr_array_add(a, g_strdup(s));
}

static UkAlert *
alert_new(UkWatch *w, UkAlertKind kind, gint64 now)
{
  UkAlert *a = g_new0(UkAlert, 1);
  a->id = w->next_alert++;
  a->kind = kind;
  a->cameras = g_ptr_array_new_with_free_func(g_free);
  a->areas = g_ptr_array_new_with_free_func(g_free);
  a->notify = g_ptr_array_new_with_free_func(g_free);
  a->raised_90k = now;
  return a;
}

/* A camera alert, addressed to its claimant and the operators on duty. */
static UkAlert *
camera_alert(UkWatch *w, UkAlertKind kind, UkWatchCamera *c, gint64 now)
{
  UkAlert *a = alert_new(w, kind, now);
  a->camera = g_strdup(c->id);
  add_unique(a->cameras, c->id);
  add_unique(a->areas, c->area);
  add_unique(a->notify, c->claimant);
  for (guint i = 0; i < c->concerned->len; i++)
    add_unique(a->notify, c->concerned->pdata[i]);
  return a;
}

static void
raise_alert(UkWatch *w, UkAlert *a)
{
  g_ptr_array_add(w->alerts, a);
  if (w->alert_func)
    w->alert_func(a, w->data);
}

static void
resolve_alert(UkWatch *w, UkAlert **slot, gint64 now)
{
  UkAlert *a = *slot;
  *slot = NULL;
  if (!a || a->resolved_90k)
    return;
  a->resolved_90k = now;
  if (w->alert_func)
    w->alert_func(a, w->data);
}

const GPtrArray *
uk_watch_alerts(UkWatch *w)
{
  return w->alerts;
}

/* ---- claims and views ---- */

static void
set_claimant(UkWatch *w, UkWatchCamera *c, const char *user, gint64 now)
{
  if (g_strcmp0(c->claimant, user) == 0)
    return;
  g_free(c->claimant);
  c->claimant = g_strdup(user);
  c->claimed_90k = user ? now : 0;
  presence_changed(w, c->area);
}

gboolean
uk_watch_claim(UkWatch *w, const char *camera, const char *user, gint64 now, const char **holder)
{
  UkWatchCamera *c = uk_watch_camera(w, camera);
  if (!c)
    return FALSE;
  if (c->claimant && !g_str_equal(c->claimant, user) && uk_watch_user_is_online(w, c->claimant)) {
    if (holder)
      *holder = c->claimant;
    return FALSE;
  }
  set_claimant(w, c, user, now);
  return TRUE;
}

gboolean
uk_watch_release(UkWatch *w, const char *camera, const char *user)
{
  UkWatchCamera *c = uk_watch_camera(w, camera);
  if (!c || !c->claimant || (user && !g_str_equal(c->claimant, user)))
    return FALSE;
  set_claimant(w, c, NULL, 0);
  return TRUE;
}

void
uk_watch_assign(UkWatch *w, const char *camera, const char *to, gint64 now)
{
  UkWatchCamera *c = uk_watch_camera(w, camera);
  if (c)
    set_claimant(w, c, to, now);
}

void
uk_watch_viewer_add(UkWatch *w, const char *camera, const char *user)
{
  UkWatchCamera *c = uk_watch_camera(w, camera);
  if (!c)
    return;
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(c->viewers, user));
  g_hash_table_insert(c->viewers, g_strdup(user), GUINT_TO_POINTER(n + 1));
  if (n == 0)
    presence_changed(w, c->area);
}

void
uk_watch_viewer_remove(UkWatch *w, const char *camera, const char *user)
{
  UkWatchCamera *c = uk_watch_camera(w, camera);
  if (!c)
    return;
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(c->viewers, user));
  if (n > 1) {
    g_hash_table_insert(c->viewers, g_strdup(user), GUINT_TO_POINTER(n - 1));
  } else if (n == 1) {
    g_hash_table_remove(c->viewers, user);
    presence_changed(w, c->area);
  }
}

/* ---- operators coming and going ---- */

/* Marks the areas of @user's claims changed (their holder's presence). */
static void
claims_presence_changed(UkWatch *w, const char *user)
{
  g_autoptr(GPtrArray) areas = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < w->cameras->len; i++) {
    UkWatchCamera *c = w->cameras->pdata[i];
    if (g_strcmp0(c->claimant, user) == 0)
      add_unique(areas, c->area);
  }
  for (guint i = 0; i < areas->len; i++)
    presence_changed(w, areas->pdata[i]);
}

void
uk_watch_user_online(UkWatch *w, const char *user, gint64 now)
{
  User *u = user_get(w, user);
  if (u->connections++ > 0)
    return;
  u->offline_since_90k = 0;
  resolve_alert(w, &u->gone_alert, now);
  claims_presence_changed(w, user);
}

void
uk_watch_user_offline(UkWatch *w, const char *user, gint64 now)
{
  User *u = g_hash_table_lookup(w->users, user);
  if (!u || u->connections == 0 || --u->connections > 0)
    return;
  u->offline_since_90k = now;
  UkAlert *a = NULL;
  for (guint i = 0; i < w->cameras->len; i++) {
    UkWatchCamera *c = w->cameras->pdata[i];
    if (g_strcmp0(c->claimant, user) != 0)
      continue;
    if (!a) {
      a = alert_new(w, UK_ALERT_OPERATOR_GONE, now);
      a->user = g_strdup(user);
    }
    add_unique(a->cameras, c->id);
    add_unique(a->areas, c->area);
  }
  if (a) {
    resolve_alert(w, &u->gone_alert, now);
    u->gone_alert = a;
    raise_alert(w, a);
    claims_presence_changed(w, user);
  }
}

/* ---- cameras ---- */

void
uk_watch_camera_state(UkWatch *w, const char *camera, const char *state, const char *reason,
                      gint64 now)
{
  UkWatchCamera *c = uk_watch_camera(w, camera);
  if (!c)
    return;
  gint s = g_strcmp0(state, "recording") == 0 ? 1 : g_strcmp0(state, "down") == 0 ? -1 : 0;
  if (s == 0 || s == c->state)
    return;
  gint was = c->state;
  c->state = s;
  if (s < 0) {
    UkAlert *a = camera_alert(w, UK_ALERT_CAMERA_DOWN, c, now);
    a->detail = g_strdup(reason);
    c->down_alert = a;
    raise_alert(w, a);
  } else if (was < 0) {
    resolve_alert(w, &c->down_alert, now);
    UkAlert *a = camera_alert(w, UK_ALERT_CAMERA_UP, c, now);
    a->resolved_90k = now; /* news, nothing to do */
    raise_alert(w, a);
  }
}

void
uk_watch_set_required(UkWatch *w, const char *camera, gboolean must_watch,
                      const GPtrArray *concerned)
{
  UkWatchCamera *c = uk_watch_camera(w, camera);
  if (!c)
    return;
  g_ptr_array_set_size(c->concerned, 0);
  for (guint i = 0; concerned && i < concerned->len; i++)
    add_unique(c->concerned, concerned->pdata[i]);
  if (c->must_watch != must_watch) {
    c->must_watch = must_watch;
    presence_changed(w, c->area);
  }
}

static UkAlert *
disk_alert(UkWatch *w, UkAlertKind kind, const char *detail, gint64 now)
{
  UkAlert *a = alert_new(w, kind, now);
  a->detail = g_strdup(detail);
  for (guint i = 0; i < w->cameras->len; i++)
    add_unique(a->areas, ((UkWatchCamera *)w->cameras->pdata[i])->area);
  return a;
}

void
uk_watch_disk(UkWatch *w, gboolean pressure, gboolean full, const char *detail, gint64 now)
{
  if (pressure) {
    UkAlert *a = disk_alert(w, UK_ALERT_DISK_LOW, detail, now);
    a->resolved_90k = now; /* done already: news */
    raise_alert(w, a);
  }
  if (full && !w->disk_full) {
    w->disk_full = disk_alert(w, UK_ALERT_DISK_FULL, detail, now);
    raise_alert(w, w->disk_full);
  } else if (!full) {
    resolve_alert(w, &w->disk_full, now);
  }
}

static gboolean
watched(UkWatch *w, const UkWatchCamera *c)
{
  return g_hash_table_size(c->viewers) > 0 || uk_watch_user_is_online(w, c->claimant);
}

void
uk_watch_tick(UkWatch *w, gint64 now)
{
  /* Claims of operators gone longer than the grace are released. */
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, w->users);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    User *u = value;
    if (u->connections || !u->offline_since_90k
        || now - u->offline_since_90k < (gint64)UK_WATCH_CLAIM_GRACE_S * UK_TIME_HZ)
      continue;
    u->offline_since_90k = 0;
    for (guint i = 0; i < w->cameras->len; i++) {
      UkWatchCamera *c = w->cameras->pdata[i];
      if (g_strcmp0(c->claimant, key) == 0)
        set_claimant(w, c, NULL, 0);
    }
    resolve_alert(w, &u->gone_alert, now);
  }
  for (guint i = 0; i < w->cameras->len; i++) {
    UkWatchCamera *c = w->cameras->pdata[i];
    if (!c->must_watch || watched(w, c)) {
      c->unwatched_since_90k = 0;
      resolve_alert(w, &c->unwatched_alert, now);
      continue;
    }
    if (!c->unwatched_since_90k)
      c->unwatched_since_90k = now;
    if (!c->unwatched_alert
        && now - c->unwatched_since_90k >= (gint64)UK_WATCH_UNWATCHED_GRACE_S * UK_TIME_HZ) {
      c->unwatched_alert = camera_alert(w, UK_ALERT_UNWATCHED, c, now);
      raise_alert(w, c->unwatched_alert);
    }
  }
  /* Forget resolved alerts after an hour (and the oldest beyond MAX_ALERTS). */
  guint drop = 0;
  while (drop < w->alerts->len) {
    UkAlert *a = w->alerts->pdata[drop];
    gboolean old = a->resolved_90k && now - a->resolved_90k > KEEP_RESOLVED_90K;
    if (!old && w->alerts->len - drop <= MAX_ALERTS)
      break;
    if (!a->resolved_90k)
      break; /* never drop an active alert */
    drop++;
  }
  if (drop)
    g_ptr_array_remove_range(w->alerts, 0, drop);
}
