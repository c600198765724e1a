/* uk-segment: crash-safe writer of one fragmented-MP4 segment file. */
#include "uk-segment.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/uio.h>
#include <unistd.h>

struct _UkSegment {
  gchar *path;
  int fd; /* -1 once finished */
  gsize init_size;
  guint64 size;          /* bytes written so far */
  GArray *frames;        /* (element-type UkFrame) */
  gint64 synced_dts_90k; /* dts of the last frame covered by a sync */
};

static gboolean
set_errno_error(GError **error, int e, const char *what, const char *path)
{
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s %s: %s", what, path, g_strerror(e));
  return FALSE;
}

gboolean
uk_fsync_dir(const char *dir, GError **error)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error(error, errno, "cannot open folder", dir);
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0)
    return set_errno_error(error, e, "cannot fsync folder", dir);
  return TRUE;
}

static gboolean
write_all(int fd, struct iovec *iov, int n, GError **error, const char *path)
{
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return set_errno_error(error, errno, "cannot write", path);
    }
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (guint8 *)iov->iov_base + w;
      iov->iov_len -= w;
    }
  }
  return TRUE;
}

UkSegment *
uk_segment_create(const char *path, const UkTrackInfo *track, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0750) != 0) {
    set_errno_error(error, errno, "cannot create folder", dir);
    return NULL;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    set_errno_error(error, errno, "cannot create", path);
    return NULL;
  }
  g_autoptr(UkSegment) seg = g_new0(UkSegment, 1);
  seg->path = g_strdup(path);
  seg->fd = fd;
  seg->frames = g_array_new(FALSE, FALSE, sizeof(UkFrame));

  g_autoptr(GBytes) init = uk_fmp4_init_segment(track);
  gsize n;
  const void *data = g_bytes_get_data(init, &n);
  struct iovec iov = { (void *)data, n };
  if (!write_all(fd, &iov, 1, error, path))
    return NULL;
  if (fdatasync(fd) != 0) {
    set_errno_error(error, errno, "cannot sync", path);
    return NULL;
  }
  /* The file's name must survive a power cut too. */
  if (!uk_fsync_dir(dir, error))
    return NULL;
  seg->init_size = n;
  seg->size = n;
  return g_steal_pointer(&seg);
}

gboolean
uk_segment_write(UkSegment *seg, UkFrame *frame, const guint8 *data, GError **error)
{
  g_return_val_if_fail(seg->fd >= 0, FALSE);
  guint8 header[UK_FMP4_FRAME_HEADER_SIZE];
  uk_fmp4_frame_header(header, seg->frames->len + 1, frame);
  frame->offset = seg->size + UK_FMP4_FRAME_HEADER_SIZE;
  struct iovec iov[2] = { { header, sizeof header }, { (void *)data, frame->size } };
  if (!write_all(seg->fd, iov, 2, error, seg->path))
    return FALSE;
  seg->size += UK_FMP4_FRAME_HEADER_SIZE + frame->size;
  if (seg->frames->len == 0)
    seg->synced_dts_90k = frame->dts_90k;
  g_array_append_val(seg->frames, *frame);
  if (frame->dts_90k - seg->synced_dts_90k >= UK_SEGMENT_SYNC_90K) {
    if (fdatasync(seg->fd) != 0)
      return set_errno_error(error, errno, "cannot sync", seg->path);
    seg->synced_dts_90k = frame->dts_90k;
  }
  return TRUE;
}

gboolean
uk_segment_finish(UkSegment *seg, GError **error)
{
  if (seg->fd < 0)
    return TRUE;
  int fd = seg->fd;
  seg->fd = -1;
  if (fdatasync(fd) != 0) {
    int e = errno;
    close(fd);
    return set_errno_error(error, e, "cannot sync", seg->path);
  }
  if (close(fd) != 0)
    return set_errno_error(error, errno, "cannot close", seg->path);
  return TRUE;
}

const char *
uk_segment_path(UkSegment *seg)
{
  return seg->path;
}

const GArray *
uk_segment_frames(UkSegment *seg)
{
  return seg->frames;
}

gsize
uk_segment_init_size(UkSegment *seg)
{
  return seg->init_size;
}

guint64
uk_segment_bytes(UkSegment *seg)
{
  return seg->size;
}

void
uk_segment_free(UkSegment *seg)
{
  if (!seg)
    return;
  if (seg->fd >= 0)
    close(seg->fd);
  g_array_unref(seg->frames);
  g_free(seg->path);
  g_free(seg);
}
