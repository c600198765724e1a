/* uk-accounts: users, roles, the authorisation register and sessions.
 *
 * Deny by default: a user may act on an area only through an authorisation
 * row that is valid now, on an account that is enabled, unlocked and not past
 * its valid_until. Passwords are argon2id hashes (libsodium); session tokens
 * are random and only their SHA-256 is stored. */
#pragma once

#include "uk-store.h"

G_BEGIN_DECLS

typedef enum {
  UK_ROLE_OPERATOR,
  UK_ROLE_SUPERVISOR,
  UK_ROLE_POLICE,
  UK_ROLE_HANDHAVING,
  UK_ROLE_PRIVACY,
  UK_ROLE_ADMIN,
  UK_ROLE_COUNT,
} UkRole;

const char *uk_role_name(UkRole role);
gboolean uk_role_from_name(const char *name, UkRole *out);

typedef struct {
  gchar *area;
  gint64 valid_from_90k;
  gint64 valid_until_90k; /* 0: until revoked */
  gboolean video;         /* handhaving: may also play back the area's recordings */
} UkAuthorisation;

typedef struct {
  gint64 id;
  gchar *name;
  UkRole role;
  gboolean disabled;
  gint64 valid_until_90k; /* 0: no end */
  gint failed_logins;
  gint64 locked_until_90k;
  gchar *password_hash;
  GPtrArray *areas; /* (element-type UkAuthorisation) authorisations not revoked */
} UkUser;

void uk_user_free(UkUser *user);
UkUser *uk_user_copy(const UkUser *user); /* (transfer full) */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UkUser, uk_user_free)

/* TRUE when @user may act on @area at @now_90k (enabled, not expired, and a
 * valid authorisation). */
gboolean uk_user_may_area(const UkUser *user, const char *area, gint64 now_90k);
/* Like uk_user_may_area, for recorded video (timeline, playback): the
 * handhaving role needs an authorisation with a video grant; the other
 * roles' area authorisation is enough (their role decides what they see). */
gboolean uk_user_may_video(const UkUser *user, const char *area, gint64 now_90k);
/* TRUE when the account itself is usable at @now_90k. */
gboolean uk_user_is_active(const UkUser *user, gint64 now_90k);

/* Passwords: argon2id. Hashing takes ~0.1 s and 64 MiB: call it off the
 * control thread. (transfer full) */
gchar *uk_password_hash(const char *password, GError **error);
gboolean uk_password_verify(const char *hash, const char *password);

/* The password policy (`uitkijk user add --password-stdin` and the console's
 * user.create / user.password): 8 to 1024 bytes. */
#define UK_PASSWORD_MIN_LENGTH 8
#define UK_PASSWORD_MAX_LENGTH 1024
/* TRUE when @password meets the policy; else FALSE with the reason, for
 * people, in @error. */
gboolean uk_password_acceptable(const char *password, GError **error);

/* Users. */
gint64 uk_store_user_add(UkStore *store, const char *name, UkRole role, const char *password_hash,
                         gint64 valid_until_90k, GError **error);
UkUser *uk_store_user_get(UkStore *store, const char *name, GError **error);
UkUser *uk_store_user_get_by_id(UkStore *store, gint64 id, GError **error);
GPtrArray *uk_store_users(UkStore *store, GError **error); /* (element-type UkUser) */
gboolean uk_store_user_set_password(UkStore *store, const char *name, const char *password_hash,
                                    GError **error);
gboolean uk_store_user_set_disabled(UkStore *store, const char *name, gboolean disabled,
                                    GError **error);
/* Ends every live session of @user_id except the one whose token hash is
 * @keep_hash (NULL: none kept). Returns how many ended, or -1 on error. */
gint64 uk_store_user_sessions_end(UkStore *store, gint64 user_id, const guint8 *keep_hash,
                                  GError **error);
/* Counts a failed login; locks the account for @lock_90k after @max_failures. */
gboolean uk_store_user_login_failed(UkStore *store, gint64 user_id, gint max_failures,
                                    gint64 lock_90k, GError **error);
gboolean uk_store_user_login_ok(UkStore *store, gint64 user_id, GError **error);

/* The authorisation register. */
gboolean uk_store_authorise(UkStore *store, gint64 user_id, const char *area,
                            gint64 valid_until_90k, gboolean video, const char *granted_by,
                            GError **error);
/* Revokes (now) every authorisation of @user_id for @area not revoked yet.
 * Returns how many, 0 when there was none, -1 on error. */
gint64 uk_store_authorisation_revoke(UkStore *store, gint64 user_id, const char *area,
                                     GError **error);

/* A new random session token (43 characters, base64url) and its hash.
 * (transfer full) */
gchar *uk_session_token_new(guint8 hash_out[32]);
/* The hash under which @token is stored; FALSE when it is not a token. */
gboolean uk_session_token_hash(const char *token, guint8 hash_out[32]);

/* Sessions: @token_hash is the SHA-256 of the token (32 bytes). */
gboolean uk_store_session_create(UkStore *store, const guint8 *token_hash, gint64 user_id,
                                 gint64 expires_90k, GError **error);
/* The user id of a live session (and when it expires), or 0. */
gint64 uk_store_session_user(UkStore *store, const guint8 *token_hash, gint64 now_90k,
                             gint64 *expires_90k, GError **error);
gboolean uk_store_session_end(UkStore *store, const guint8 *token_hash, GError **error);

/* A counter that changes whenever a user or an authorisation does (any
 * connection, any process): cached accounts stay valid while it stands still.
 * -1 on error. */
gint64 uk_store_accounts_version(UkStore *store);

G_END_DECLS
