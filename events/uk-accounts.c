/* uk-accounts: users, authorisations and sessions in the database. */
#include "uk-accounts.h"

#include "uk-store-private.h"
#include "uk-time.h"

#include <sodium.h>

static const char *const role_names[UK_ROLE_COUNT] = {
  "operator", "supervisor", "police", "handhaving", "privacy", "admin",
};

const char *
uk_role_name(UkRole role)
{
  return role < UK_ROLE_COUNT ? role_names[role] : "unknown";
}

gboolean
uk_role_from_name(const char *name, UkRole *out)
{
  for (guint i = 0; i < UK_ROLE_COUNT; i++) {
    if (g_strcmp0(name, role_names[i]) == 0) {
      *out = i;
      return TRUE;
    }
  }
  return FALSE;
}

static void
authorisation_free(UkAuthorisation *a)
{
  g_free(a->area);
  g_free(a);
}

void
uk_user_free(UkUser *user)
{
  if (!user)
    return;
  g_free(user->name);
  g_free(user->password_hash);
  g_clear_pointer(&user->areas, g_ptr_array_unref);
  g_free(user);
}

UkUser *
uk_user_copy(const UkUser *user)
{
  UkUser *u = g_memdup2(user, sizeof *user);
  u->name = g_strdup(user->name);
  u->password_hash = g_strdup(user->password_hash);
  u->areas = g_ptr_array_new_with_free_func((GDestroyNotify)authorisation_free);
  for (guint i = 0; i < user->areas->len; i++) {
    UkAuthorisation *a = g_memdup2(user->areas->pdata[i], sizeof *a);
    a->area = g_strdup(a->area);
    g_ptr_array_add(u->areas, a);
  }
  return u;
}

gboolean
uk_user_is_active(const UkUser *user, gint64 now_90k)
{
  return !user->disabled && (user->valid_until_90k == 0 || now_90k < user->valid_until_90k);
}

static gboolean
may(const UkUser *user, const char *area, gint64 now_90k, gboolean video)
{
  if (!area || !uk_user_is_active(user, now_90k))
    return FALSE;
  for (guint i = 0; i < user->areas->len; i++) {
    const UkAuthorisation *a = user->areas->pdata[i];
    if (g_strcmp0(a->area, area) == 0 && a->valid_from_90k <= now_90k
        && (a->valid_until_90k == 0 || now_90k < a->valid_until_90k) && (!video || a->video))
      return TRUE;
  }
  return FALSE;
}

gboolean
uk_user_may_area(const UkUser *user, const char *area, gint64 now_90k)
{
  return may(user, area, now_90k, FALSE);
}

gboolean
uk_user_may_video(const UkUser *user, const char *area, gint64 now_90k)
{
  return may(user, area, now_90k, user->role == UK_ROLE_HANDHAVING);
}

gchar *
uk_password_hash(const char *password, GError **error)
{
  if (sodium_init() < 0) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "libsodium cannot start");
    return NULL;
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE)
      != 0) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE,
                "cannot hash the password (out of memory)");
    return NULL;
  }
  return g_strdup(out);
}

gboolean
uk_password_verify(const char *hash, const char *password)
{
  if (sodium_init() < 0 || !hash || strlen(hash) >= crypto_pwhash_STRBYTES)
    return FALSE;
  char buf[crypto_pwhash_STRBYTES] = { 0 };
  memcpy(buf, hash, strlen(hash));
  return crypto_pwhash_str_verify(buf, password, strlen(password)) == 0;
}

gboolean
uk_password_acceptable(const char *password, GError **error)
{
  gsize n = password ? strlen(password) : 0;
  if (n < UK_PASSWORD_MIN_LENGTH || n > UK_PASSWORD_MAX_LENGTH) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "a password has %d to %d characters",
                UK_PASSWORD_MIN_LENGTH, UK_PASSWORD_MAX_LENGTH);
    return FALSE;
  }
  return TRUE;
}

gint64
uk_store_user_add(UkStore *s, const char *name, UkRole role, const char *password_hash,
                  gint64 valid_until_90k, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT INTO user (name, role, password_hash, valid_until_90k, "
                                   "created_90k) VALUES (?, ?, ?, ?, ?)",
                                   error);
  if (!st)
    return 0;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, uk_role_name(role), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, password_hash, -1, SQLITE_TRANSIENT);
  if (valid_until_90k)
    sqlite3_bind_int64(st, 4, valid_until_90k);
  else
    sqlite3_bind_null(st, 4);
  sqlite3_bind_int64(st, 5, uk_time_now_90k());
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_SQLITE, "user '%s' exists already", name);
    return 0;
  }
  if (rc != SQLITE_DONE) {
    uk_store_sql_error(s, error, "add user");
    return 0;
  }
  return sqlite3_last_insert_rowid(s->db);
}

#define USER_COLUMNS                                                                               \
  "id, name, role, password_hash, disabled, coalesce(valid_until_90k, 0), failed_logins, "         \
  "locked_until_90k"

static gboolean
load_areas(UkStore *s, UkUser *u, GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s,
                      "SELECT area, valid_from_90k, coalesce(valid_until_90k, 0), video "
                      "FROM authorisation WHERE user_id = ? AND revoked_90k IS NULL "
                      "ORDER BY area",
                      error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, u->id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    UkAuthorisation *a = g_new0(UkAuthorisation, 1);
    a->area = g_strdup((const char *)sqlite3_column_text(st, 0));
    a->valid_from_90k = sqlite3_column_int64(st, 1);
    a->valid_until_90k = sqlite3_column_int64(st, 2);
    a->video = sqlite3_column_int(st, 3);
    g_ptr_array_add(u->areas, a);
  }
  sqlite3_reset(st);
  return TRUE;
}

static UkUser *
user_from_stmt(sqlite3_stmt *st)
{
  UkUser *u = g_new0(UkUser, 1);
  u->id = sqlite3_column_int64(st, 0);
  u->name = g_strdup((const char *)sqlite3_column_text(st, 1));
  uk_role_from_name((const char *)sqlite3_column_text(st, 2), &u->role);
  u->password_hash = g_strdup((const char *)sqlite3_column_text(st, 3));
  u->disabled = sqlite3_column_int(st, 4) != 0;
  u->valid_until_90k = sqlite3_column_int64(st, 5);
  u->failed_logins = sqlite3_column_int(st, 6);
  u->locked_until_90k = sqlite3_column_int64(st, 7);
  u->areas = g_ptr_array_new_with_free_func((GDestroyNotify)authorisation_free);
  return u;
}

static UkUser *
user_get(UkStore *s, const char *sql, const char *name, gint64 id, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, sql, error);
  if (!st)
    return NULL;
  if (name)
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_int64(st, 1, id);
  g_autoptr(UkUser) u = NULL;
  if (sqlite3_step(st) == SQLITE_ROW)
    u = user_from_stmt(st);
  sqlite3_reset(st);
  if (!u) {
    if (name)
      g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no user '%s'", name);
    else
      g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no user %" G_GINT64_FORMAT, id);
    return NULL;
  }
  if (!load_areas(s, u, error))
    return NULL;
  return g_steal_pointer(&u);
}

UkUser *
uk_store_user_get(UkStore *s, const char *name, GError **error)
{
  return user_get(s, "SELECT " USER_COLUMNS " FROM user WHERE name = ?", name, 0, error);
}

UkUser *
uk_store_user_get_by_id(UkStore *s, gint64 id, GError **error)
{
  return user_get(s, "SELECT " USER_COLUMNS " FROM user WHERE id = ?", NULL, id, error);
}

GPtrArray *
uk_store_users(UkStore *s, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, "SELECT " USER_COLUMNS " FROM user ORDER BY name", error);
  if (!st)
    return NULL;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func((GDestroyNotify)uk_user_free);
  while (sqlite3_step(st) == SQLITE_ROW)
    g_ptr_array_add(users, user_from_stmt(st));
  sqlite3_reset(st);
  for (guint i = 0; i < users->len; i++)
    if (!load_areas(s, users->pdata[i], error))
      return NULL;
  return g_steal_pointer(&users);
}

/* Runs an UPDATE of the user @name; not finding the user is an error. */
static gboolean
step_user_update(UkStore *s, sqlite3_stmt *st, const char *name, GError **error)
{
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  if (sqlite3_changes(s->db) == 0) {
    g_set_error(error, UK_STORE_ERROR, UK_STORE_ERROR_NOT_FOUND, "no user '%s'", name);
    return FALSE;
  }
  return TRUE;
}

gboolean
uk_store_user_set_password(UkStore *s, const char *name, const char *password_hash, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "UPDATE user SET password_hash = ?1, failed_logins = 0, locked_until_90k = 0 WHERE name = ?2",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, password_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
  return step_user_update(s, st, name, error);
}

gboolean
uk_store_user_set_disabled(UkStore *s, const char *name, gboolean disabled, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, "UPDATE user SET disabled = ?1 WHERE name = ?2", error);
  if (!st)
    return FALSE;
  sqlite3_bind_int(st, 1, disabled ? 1 : 0);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
  return step_user_update(s, st, name, error);
}

gint64
uk_store_user_sessions_end(UkStore *s, gint64 user_id, const guint8 *keep_hash, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "UPDATE session SET ended_90k = ?1 WHERE user_id = ?2 AND "
                                   "ended_90k IS NULL AND expires_90k > ?1 AND "
                                   "(?3 IS NULL OR token_hash IS NOT ?3)",
                                   error);
  if (!st)
    return -1;
  sqlite3_bind_int64(st, 1, uk_time_now_90k());
  sqlite3_bind_int64(st, 2, user_id);
  if (keep_hash)
    sqlite3_bind_blob(st, 3, keep_hash, 32, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, 3);
  if (!uk_store_step_done(s, st, error))
    return -1;
  return sqlite3_changes(s->db);
}

gboolean
uk_store_user_login_failed(UkStore *s, gint64 user_id, gint max_failures, gint64 lock_90k,
                           GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s,
      "UPDATE user SET failed_logins = failed_logins + 1, locked_until_90k = CASE WHEN "
      "failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until_90k END WHERE id = ?1",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, user_id);
  sqlite3_bind_int(st, 2, max_failures);
  sqlite3_bind_int64(st, 3, uk_time_now_90k() + lock_90k);
  if (!uk_store_step_done(s, st, error))
    return FALSE;
  /* A lock starts a fresh count for after it ends. */
  st = uk_store_stmt(s, "UPDATE user SET failed_logins = 0 WHERE id = ?1 AND failed_logins >= ?2",
                     error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, user_id);
  sqlite3_bind_int(st, 2, max_failures);
  return uk_store_step_done(s, st, error);
}

gboolean
uk_store_user_login_ok(UkStore *s, gint64 user_id, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s, "UPDATE user SET failed_logins = 0 WHERE id = ?", error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, user_id);
  return uk_store_step_done(s, st, error);
}

gboolean
uk_store_authorise(UkStore *s, gint64 user_id, const char *area, gint64 valid_until_90k,
                   gboolean video, const char *granted_by, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT INTO authorisation (user_id, area, valid_from_90k, "
                                   "valid_until_90k, granted_by, video) VALUES (?, ?, ?, ?, ?, ?)",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, user_id);
  sqlite3_bind_text(st, 2, area, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, uk_time_now_90k());
  if (valid_until_90k)
    sqlite3_bind_int64(st, 4, valid_until_90k);
  else
    sqlite3_bind_null(st, 4);
  sqlite3_bind_text(st, 5, granted_by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 6, video);
  return uk_store_step_done(s, st, error);
}

gint64
uk_store_authorisation_revoke(UkStore *s, gint64 user_id, const char *area, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "UPDATE authorisation SET revoked_90k = ?1 WHERE user_id = ?2 "
                                   "AND area = ?3 AND revoked_90k IS NULL",
                                   error);
  if (!st)
    return -1;
  sqlite3_bind_int64(st, 1, uk_time_now_90k());
  sqlite3_bind_int64(st, 2, user_id);
  sqlite3_bind_text(st, 3, area, -1, SQLITE_TRANSIENT);
  if (!uk_store_step_done(s, st, error))
    return -1;
  return sqlite3_changes(s->db);
}

gboolean
uk_store_session_create(UkStore *s, const guint8 *token_hash, gint64 user_id, gint64 expires_90k,
                        GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(s,
                                   "INSERT INTO session (token_hash, user_id, created_90k, "
                                   "expires_90k) VALUES (?, ?, ?, ?)",
                                   error);
  if (!st)
    return FALSE;
  sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, user_id);
  sqlite3_bind_int64(st, 3, uk_time_now_90k());
  sqlite3_bind_int64(st, 4, expires_90k);
  return uk_store_step_done(s, st, error);
}

gint64
uk_store_session_user(UkStore *s, const guint8 *token_hash, gint64 now_90k, gint64 *expires_90k,
                      GError **error)
{
  sqlite3_stmt *st
      = uk_store_stmt(s,
                      "SELECT user_id, expires_90k FROM session WHERE token_hash = ? AND "
                      "ended_90k IS NULL AND expires_90k > ?",
                      error);
  if (!st)
    return 0;
  sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, now_90k);
  gint64 id = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    id = sqlite3_column_int64(st, 0);
    if (expires_90k)
      *expires_90k = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  return id;
}

gboolean
uk_store_session_end(UkStore *s, const guint8 *token_hash, GError **error)
{
  sqlite3_stmt *st = uk_store_stmt(
      s, "UPDATE session SET ended_90k = ? WHERE token_hash = ? AND ended_90k IS NULL", error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, uk_time_now_90k());
  sqlite3_bind_blob(st, 2, token_hash, 32, SQLITE_TRANSIENT);
  return uk_store_step_done(s, st, error);
}

gchar *
uk_session_token_new(guint8 hash_out[32])
{
  guint8 raw[32];
  char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  if (sodium_init() < 0)
    g_error("libsodium cannot start"); /* no safe way on without a CSPRNG */
  randombytes_buf(raw, sizeof raw);
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  uk_session_token_hash(text, hash_out);
  return g_strdup(text);
}

gboolean
uk_session_token_hash(const char *token, guint8 hash_out[32])
{
  gsize n = token ? strlen(token) : 0;
  if (n != 43)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum(token[i]) && token[i] != '-' && token[i] != '_')
      return FALSE;
  crypto_hash_sha256(hash_out, (const guint8 *)token, n);
  return TRUE;
}

gint64
uk_store_accounts_version(UkStore *s)
{
  sqlite3_stmt *st = uk_store_stmt(s, "SELECT version FROM accounts_version WHERE id = 1", NULL);
  gint64 v = -1;
  if (st && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  if (st)
    sqlite3_reset(st);
  return v;
}
