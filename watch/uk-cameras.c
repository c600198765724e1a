/* uk-cameras: the board of camera statuses. */
#include "uk-cameras.h"

struct _UkCameraBoard {
  GPtrArray *cameras; /* (element-type UkCameraStatus) in config order */
  GHashTable *by_id;  /* id -> UkCameraStatus (borrowed from cameras) */
};

static void
status_free(UkCameraStatus *s)
{
  g_free(s->id);
  g_free(s->area);
  g_free(s->name);
  g_free(s->location);
  g_free(s->state);
  g_free(s->codec);
  g_free(s->last_error);
  g_free(s->blocked);
  g_free(s);
}

UkCameraBoard *
uk_camera_board_new(void)
{
  UkCameraBoard *b = g_new0(UkCameraBoard, 1);
  b->cameras = g_ptr_array_new_with_free_func((GDestroyNotify)status_free);
  b->by_id = g_hash_table_new(g_str_hash, g_str_equal);
  return b;
}

void
uk_camera_board_free(UkCameraBoard *b)
{
  if (!b)
    return;
  g_hash_table_destroy(b->by_id);
  g_ptr_array_unref(b->cameras);
  g_free(b);
}

void
uk_camera_board_add(UkCameraBoard *b, const char *id, const char *area, const char *name,
                    const char *location)
{
  UkCameraStatus *s = g_new0(UkCameraStatus, 1);
  s->id = g_strdup(id);
  s->area = g_strdup(area);
  s->name = g_strdup(name ? name : id);
  s->location = g_strdup(location);
  s->state = g_strdup("stopped");
  g_ptr_array_add(b->cameras, s);
  g_hash_table_insert(b->by_id, s->id, s);
}

UkCameraStatus *
uk_camera_board_get(UkCameraBoard *b, const char *id)
{
  return id ? g_hash_table_lookup(b->by_id, id) : NULL;
}

gboolean
uk_camera_status_set(gchar **field, const char *value)
{
  if (g_strcmp0(*field, value) == 0)
    return FALSE;
  g_free(*field);
  *field = g_strdup(value);
  return TRUE;
}

const GPtrArray *
uk_camera_board_list(UkCameraBoard *b)
{
  return b->cameras;
}
