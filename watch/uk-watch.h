/* uk-watch: who watches which camera, and the alerts that follow from it.
 *
 * The console tells it what happens (claims, releases, handovers, live views
 * opening and closing, operators connecting and disconnecting, camera states,
 * which cameras must be watched now and by whom); it keeps the picture and
 * raises alerts:
 *   camera.down      a camera stopped delivering (resolved when it is back)
 *   camera.up        it came back (informational: raised resolved)
 *   camera.unwatched a camera that must be watched now has had nobody
 *                    watching it (a claim by a connected operator, or a live
 *                    view) for UK_WATCH_UNWATCHED_GRACE_S
 *   operator.gone    an operator holding cameras disconnected; their claims
 *                    stay UK_WATCH_CLAIM_GRACE_S (a reload, a network blip),
 *                    then are released; resolved when they return
 * GLib only; control thread only; times are passed in (90 kHz ticks), so
 * tests can run hours in a moment. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UK_WATCH_UNWATCHED_GRACE_S 10
#define UK_WATCH_CLAIM_GRACE_S 60

typedef enum {
  UK_ALERT_CAMERA_DOWN,
  UK_ALERT_CAMERA_UP,
  UK_ALERT_UNWATCHED,
  UK_ALERT_OPERATOR_GONE,
  UK_ALERT_DISK_LOW,  /* unheld footage destroyed early for disk space (news) */
  UK_ALERT_DISK_FULL, /* only held footage left: recording stopped (until it resumes) */
} UkAlertKind;

/* "camera.down", "camera.up", "camera.unwatched", "operator.gone",
 * "disk.low", "disk.full". */
const char *uk_alert_kind_name(UkAlertKind kind);

typedef struct {
  guint64 id; /* from 1, in order raised */
  UkAlertKind kind;
  gchar *camera;      /* NULL for operator.gone */
  gchar *user;        /* operator.gone: who; NULL otherwise */
  GPtrArray *cameras; /* (element-type utf8) operator.gone: the cameras held */
  GPtrArray *areas;   /* (element-type utf8) the areas concerned, at least one */
  GPtrArray *notify;  /* (element-type utf8) the operators concerned: claimant,
                       * plan operators; empty: every operator of the areas */
  gchar *detail;      /* camera.down: the reason, if known */
  gint64 raised_90k;
  gint64 resolved_90k; /* 0: active */
} UkAlert;

typedef struct {
  gchar *id;
  gchar *area;
  gchar *claimant; /* NULL: nobody */
  gint64 claimed_90k;
  GHashTable *viewers; /* user name -> number of open live views */
  gboolean must_watch; /* now, as last set */
  gint state;          /* 1 up, -1 down, 0 not known yet (connecting, stopped) */
  /* private */
  GPtrArray *concerned;
  gint64 unwatched_since_90k;
  UkAlert *down_alert, *unwatched_alert;
} UkWatchCamera;

typedef struct _UkWatch UkWatch;

/* @alert runs when an alert is raised or resolved (resolved_90k set);
 * @presence when who watches a camera of @area changed. */
typedef void (*UkWatchAlertFunc)(const UkAlert *alert, gpointer user_data);
typedef void (*UkWatchPresenceFunc)(const char *area, gpointer user_data);

/* (transfer full) */
UkWatch *uk_watch_new(UkWatchAlertFunc alert, UkWatchPresenceFunc presence, gpointer user_data);
void uk_watch_free(UkWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkWatch, uk_watch_free)

void uk_watch_add_camera(UkWatch *watch, const char *id, const char *area);

/* The cameras, in the order added. (element-type UkWatchCamera) (transfer none) */
const GPtrArray *uk_watch_cameras(UkWatch *watch);
/* (transfer none) NULL when unknown. */
UkWatchCamera *uk_watch_camera(UkWatch *watch, const char *id);

/* Claims @camera for @user. Refused (FALSE, *@holder set to the holder,
 * transfer none) while another connected operator holds it; a claim whose
 * holder has gone is taken over. Claiming one's own camera again is fine. */
gboolean uk_watch_claim(UkWatch *watch, const char *camera, const char *user, gint64 now_90k,
                        const char **holder);
/* Releases @camera if @user (or anyone, when @user is NULL) holds it;
 * returns whether it was held. */
gboolean uk_watch_release(UkWatch *watch, const char *camera, const char *user);
/* Gives @camera to @to (whoever held it). */
void uk_watch_assign(UkWatch *watch, const char *camera, const char *to, gint64 now_90k);

void uk_watch_viewer_add(UkWatch *watch, const char *camera, const char *user);
void uk_watch_viewer_remove(UkWatch *watch, const char *camera, const char *user);

/* A connection of @user opened / closed (counted: several tabs). */
void uk_watch_user_online(UkWatch *watch, const char *user, gint64 now_90k);
void uk_watch_user_offline(UkWatch *watch, const char *user, gint64 now_90k);
gboolean uk_watch_user_is_online(UkWatch *watch, const char *user);

/* The camera's recording state as the board shows it ("recording", "down",
 * others: not known), with @reason for "down". */
void uk_watch_camera_state(UkWatch *watch, const char *camera, const char *state,
                           const char *reason, gint64 now_90k);

/* Whether @camera must be watched now, and the operators on duty for it
 * (plans); NULL or empty @concerned: none named. */
void uk_watch_set_required(UkWatch *watch, const char *camera, gboolean must_watch,
                           const GPtrArray *concerned);

/* The retention task's findings: @pressure, footage was destroyed early for
 * space; @full, only held footage is left (recording stops). @detail: the
 * space figures. Alerts go to every area. */
void uk_watch_disk(UkWatch *watch, gboolean pressure, gboolean full, const char *detail,
                   gint64 now_90k);

/* Once a second: unwatched cameras, expired claims, old alerts. */
void uk_watch_tick(UkWatch *watch, gint64 now_90k);

/* Active alerts and those resolved in the last hour, oldest first.
 * (element-type UkAlert) (transfer none) */
const GPtrArray *uk_watch_alerts(UkWatch *watch);

G_END_DECLS
