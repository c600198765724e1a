/* uk-test-util: helpers shared by the test programs and the fuzz targets
 * (header only: each test is a program of its own). */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

/* Removes @path and everything under it (a test's temporary folder). */
static inline void
ukt_remove_tree(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      g_autofree gchar *child = g_build_filename(path, name, NULL);
      ukt_remove_tree(child);
    }
    g_dir_close(d);
  }
  g_remove(path);
}
