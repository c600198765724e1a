/* uk-export: remuxing a wall-clock range of segment files into one MP4.
 *
 * How a clip is made:
 *
 * 1. Plan, from our own reader (uk-fmp4): every frame of every segment with
 *    its wall time (the prft of its fragment), media times, size and key
 *    flag. From these the frames to write, the output timeline, the gaps and
 *    the subtitle cues are decided before the output file exists, so that a
 *    missing or corrupt segment, an empty range or a change of stream
 *    parameters fails without writing anything.
 * 2. Copy: each segment is demuxed with libavformat's mov demuxer (from the
 *    pre-roll keyframe on: it seeks there), its packets matched one for one
 *    (decode time and size) to the planned frames, and written by the mp4
 *    muxer with new timestamps: never decoded. The moov goes in front, in
 *    room the muxer reserves (see "output" below), and the SHA-256 of the
 *    file is taken on a second thread while it is written.
 * 3. Seal: fsync, rename over the output, fsync the folder.
 *
 * Output timeline (decode times in 90 kHz ticks):
 *   - within a segment, and across the boundary of two segments of one run
 *     (the second starts where the first one's last frame ends), sample
 *     durations are the camera's own media durations, as recorded;
 *   - where the recording breaks (a gap between runs, or segments that do not
 *     join up), the step is the wall-clock distance between the two frames,
 *     so the clip shows the gap as time passing, with a "no recording" cue;
 *     if wall time went backwards (a server clock step between runs) the
 *     step is the frame's own duration: timestamps always increase.
 *   - the requested frame gets presentation time 0; the pre-roll frames
 *     (from the keyframe before it) get negative times and the mp4 muxer's
 *     edit list hides them, as `ffmpeg -ss T -i in -c copy` does.
 * Frame wall times are in the subtitle track, not in the sample timing: the
 * clip's time (camera media time) can differ from wall time by the camera's
 * drift (tens to hundreds of ppm, docs/TIME.md), while each cue says exactly
 * when its frame was shown. */
#include "uk-export.h"
#include "uk-sha256.h"

#include "uk-fmp4.h"
#include "uk-segment.h"
#include "uk-time.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

GQuark
uk_export_error_quark(void)
{
  return g_quark_from_static_string("uk-export-error-quark");
}

#define TIMESCALE 90000
#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC / 10)
/* Share of the progress bar for writing and hashing; the rest is syncing. */
#define PROGRESS_SHARE 0.98
#define HASH_CHUNK (1024 * 1024)
#define COMMENT "uitkijk export, original stream, not transcoded"
#define LOCAL_ZONE "Europe/Amsterdam"

/* ---- planning ---- */

typedef struct {
  const char *path;
  UkFmp4Contents *contents;
} Segment;

/* A frame of some segment: which one, and where. */
typedef struct {
  guint seg;
  guint index;
} Ref;

typedef struct {
  GArray *segs;       /* (element-type Segment) */
  GArray *refs;       /* (element-type Ref) every frame of every segment, in order */
  guint preroll;      /* refs index of the first frame written (a keyframe, normally) */
  guint first;        /* ... of the first frame shown (on screen at from_90k) */
  guint last;         /* ... of the last frame shown (the last before to_90k) */
  gint64 *dts;        /* output decode time of refs[preroll + k]; the first shown has pts 0 */
  gint64 nominal_90k; /* median frame duration of the written frames */
} Plan;

static void
plan_clear(Plan *p)
{
  if (p->segs) {
    for (guint i = 0; i < p->segs->len; i++)
      uk_fmp4_contents_free(g_array_index(p->segs, Segment, i).contents);
    g_array_unref(p->segs);
  }
  if (p->refs)
    g_array_unref(p->refs);
  g_free(p->dts);
  *p = (Plan){ 0 };
}

static const UkFrame *
frame_of(const Plan *p, guint i)
{
  const Ref *r = &g_array_index(p->refs, Ref, i);
  const Segment *s = &g_array_index(p->segs, Segment, r->seg);
  return &g_array_index(s->contents->frames, UkFrame, r->index);
}

static guint
seg_of(const Plan *p, guint i)
{
  return g_array_index(p->refs, Ref, i).seg;
}

static gint64
duration_of(const UkFrame *f)
{
  return MAX((gint64)f->duration_90k, 1);
}

/* Whether refs[i + 1] follows refs[i] without a break: in the same segment,
 * or first of a segment that starts where the previous one's last frame ends
 * (consecutive segments of a run share that instant; media and wall durations
 * differ by the clock map's rate, well under half a frame). */
static gboolean
joined(const Plan *p, guint i)
{
  if (seg_of(p, i) == seg_of(p, i + 1))
    return TRUE;
  const UkFrame *a = frame_of(p, i), *b = frame_of(p, i + 1);
  gint64 off = b->wall_90k - (a->wall_90k + duration_of(a));
  return ABS(off) <= MAX(duration_of(a) / 2, 90);
}

/* Until when refs[i] is on screen (as app/uk-locate.c decides). */
static gint64
shown_until(const Plan *p, guint i)
{
  const UkFrame *a = frame_of(p, i);
  if (i + 1 < p->refs->len && joined(p, i))
    return frame_of(p, i + 1)->wall_90k;
  return a->wall_90k + duration_of(a);
}

/* Output decode-time step from refs[i] to refs[i + 1]. */
static gint64
step_after(const Plan *p, guint i)
{
  const UkFrame *a = frame_of(p, i), *b = frame_of(p, i + 1);
  if (seg_of(p, i) == seg_of(p, i + 1))
    return MAX(b->dts_90k - a->dts_90k, 1);
  if (joined(p, i))
    return duration_of(a);
  return MAX(b->wall_90k - a->wall_90k, duration_of(a));
}

/* The span with no recording between refs[i] and refs[i + 1], if any:
 * any break between segments, or more than UK_EXPORT_MISSING_90K of missing
 * frames inside one. */
static gboolean
gap_after(const Plan *p, guint i, UkExportGap *gap)
{
  const UkFrame *a = frame_of(p, i), *b = frame_of(p, i + 1);
  if (seg_of(p, i) == seg_of(p, i + 1)) {
    if (b->wall_90k - a->wall_90k <= UK_EXPORT_MISSING_90K)
      return FALSE;
    gap->start_90k = a->wall_90k + p->nominal_90k;
  } else {
    if (joined(p, i))
      return FALSE;
    gap->start_90k = a->wall_90k + duration_of(a);
  }
  gap->end_90k = b->wall_90k;
  return gap->end_90k > gap->start_90k;
}

static gint
compare_gint64(gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

static gboolean
same_bytes(GBytes *a, GBytes *b)
{
  if (!a || !b)
    return a == b;
  return g_bytes_equal(a, b);
}

/* Reads every segment's frames and decides what the clip holds. */
static gboolean
plan_make(const UkExportOptions *o, Plan *p, GError **error)
{
  p->segs = g_array_new(FALSE, TRUE, sizeof(Segment));
  p->refs = g_array_new(FALSE, FALSE, sizeof(Ref));
  for (guint s = 0; o->segments[s]; s++) {
    g_autoptr(GError) local = NULL;
    Segment seg = { o->segments[s], uk_fmp4_read_file(o->segments[s], &local) };
    if (!seg.contents) {
      /* Its message names the file. */
      g_set_error_literal(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_SEGMENT, local->message);
      return FALSE;
    }
    g_array_append_val(p->segs, seg);
    for (guint k = 0; k < seg.contents->frames->len; k++) {
      Ref r = { p->segs->len - 1, k };
      g_array_append_val(p->refs, r);
    }
  }
  guint n = p->refs->len;
  g_autofree gchar *from_s = uk_time_format_rfc3339(o->from_90k);
  g_autofree gchar *to_s = uk_time_format_rfc3339(o->to_90k);

  /* The first frame shown: the last one at or before from_90k, if it is
   * still on screen then; else the first one after (from_90k in a gap). */
  guint first = 0;
  for (guint i = 0; i < n; i++) {
    if (frame_of(p, i)->wall_90k > o->from_90k)
      break;
    first = o->from_90k < shown_until(p, i) ? i : i + 1;
  }
  if (first >= n || frame_of(p, first)->wall_90k >= o->to_90k) {
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_EMPTY,
                "no recorded frame between %s and %s", from_s, to_s);
    return FALSE;
  }
  guint last = first;
  while (last + 1 < n && frame_of(p, last + 1)->wall_90k < o->to_90k)
    last++;
  /* Pre-roll: back to a keyframe, without crossing a break. Segments start
   * with a keyframe, so this stays in the first frame's segment. */
  guint preroll = first;
  while (!frame_of(p, preroll)->key && preroll > 0 && joined(p, preroll - 1))
    preroll--;
  p->preroll = preroll;
  p->first = first;
  p->last = last;

  /* One sample description for the whole clip: the stream must not change. */
  const UkTrackInfo *t0 = &g_array_index(p->segs, Segment, seg_of(p, preroll)).contents->track;
  for (guint s = seg_of(p, preroll) + 1; s <= seg_of(p, last); s++) {
    const Segment *seg = &g_array_index(p->segs, Segment, s);
    const UkTrackInfo *t = &seg->contents->track;
    if (seg->contents->frames->len == 0)
      continue;
    if (t->codec != t0->codec || t->width != t0->width || t->height != t0->height
        || !same_bytes(t->codec_data, t0->codec_data)) {
      const UkFrame *f = &g_array_index(seg->contents->frames, UkFrame, 0);
      g_autofree gchar *at = uk_time_format_rfc3339(f->wall_90k);
      g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_STREAM,
                  "the camera's stream changed at %s (%s %ux%u to %s %ux%u, or its parameter "
                  "sets; segment %s): export the ranges before and after it separately",
                  at, uk_codec_name(t0->codec), t0->width, t0->height, uk_codec_name(t->codec),
                  t->width, t->height, seg->path);
      return FALSE;
    }
  }

  guint count = last - preroll + 1;
  g_autofree gint64 *durations = g_new(gint64, count);
  for (guint k = 0; k < count; k++)
    durations[k] = duration_of(frame_of(p, preroll + k));
  qsort(durations, count, sizeof(gint64), compare_gint64);
  p->nominal_90k = durations[count / 2];

  p->dts = g_new(gint64, count);
  p->dts[0] = 0;
  for (guint k = 1; k < count; k++)
    p->dts[k] = p->dts[k - 1] + step_after(p, preroll + k - 1);
  const UkFrame *ff = frame_of(p, first);
  gint64 shift = p->dts[first - preroll] + ff->cts_90k;
  for (guint k = 0; k < count; k++)
    p->dts[k] -= shift;
  return TRUE;
}

/* Gaps inside [from, to): before the first frame, between frames, after the last. */
static void
plan_gaps(const Plan *p, const UkExportOptions *o, GArray *gaps)
{
  UkExportGap gap;
  const UkFrame *ff = frame_of(p, p->first), *lf = frame_of(p, p->last);
  GArray *all = g_array_new(FALSE, FALSE, sizeof(UkExportGap));
  if (ff->wall_90k > o->from_90k) {
    gap = (UkExportGap){ o->from_90k, ff->wall_90k };
    g_array_append_val(all, gap);
  }
  for (guint i = p->first; i <= p->last && i + 1 < p->refs->len; i++)
    if (gap_after(p, i, &gap))
      g_array_append_val(all, gap);
  if (p->last + 1 >= p->refs->len) {
    gap = (UkExportGap){ lf->wall_90k + duration_of(lf), o->to_90k };
    g_array_append_val(all, gap);
  }
  for (guint i = 0; i < all->len; i++) {
    gap = g_array_index(all, UkExportGap, i);
    gap.start_90k = MAX(gap.start_90k, o->from_90k);
    gap.end_90k = MIN(gap.end_90k, o->to_90k);
    if (gap.end_90k > gap.start_90k)
      g_array_append_val(gaps, gap);
  }
  g_array_unref(all);
}

/* ---- subtitle text ---- */

typedef struct {
  GTimeZone *zone;
  gint64 second; /* the Unix second the strings below are for */
  gchar *date_time;
  gchar *offset;
} LocalClock;

static void
local_clock_init(LocalClock *c)
{
  c->zone = g_time_zone_new_identifier(LOCAL_ZONE);
  if (!c->zone) /* no tzdata: say UTC rather than guess */
    c->zone = g_time_zone_new_utc();
  c->second = G_MININT64;
}

static void
local_clock_clear(LocalClock *c)
{
  g_clear_pointer(&c->zone, g_time_zone_unref);
  g_clear_pointer(&c->date_time, g_free);
  g_clear_pointer(&c->offset, g_free);
}

/* "YYYY-MM-DD HH:MM:SS.mmm +01:00": local time, milliseconds rounded up as
 * uk_time_format_rfc3339 does (so the time read back lies in the frame). */
static void
local_clock_format(LocalClock *c, gint64 t_90k, GString *out)
{
  gint64 ticks = t_90k % TIMESCALE;
  gint64 second = t_90k / TIMESCALE;
  if (ticks < 0) {
    ticks += TIMESCALE;
    second--;
  }
  gint64 ms = (ticks + 89) / 90;
  if (ms == 1000) {
    ms = 0;
    second++;
  }
  if (second != c->second) {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(second);
    g_autoptr(GDateTime) local = utc ? g_date_time_to_timezone(utc, c->zone) : NULL;
    g_free(c->date_time);
    g_free(c->offset);
    c->date_time = local ? g_date_time_format(local, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
    c->offset = local ? g_date_time_format(local, "%:z") : g_strdup("");
    c->second = second;
  }
  g_string_append_printf(out, "%s.%03d %s", c->date_time, (int)ms, c->offset);
}

/* The tx3g sample description after its data-reference index (3GPP TS 26.245
 * 5.16), as FFmpeg's mov_text encoder writes it: bottom centre, white. */
static const guint8 tx3g_description[] = {
  0x00, 0x00, 0x00, 0x00,                         /* displayFlags */
  0x01,                                           /* horizontal-justification: centre */
  0xff,                                           /* vertical-justification: bottom */
  0x00, 0x00, 0x00, 0x00,                         /* background-color-rgba */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* BoxRecord: top, left, bottom, right */
  0x00, 0x00, 0x00, 0x00,                         /* StyleRecord: startChar, endChar */
  0x00, 0x01,                                     /* font-ID */
  0x00,                                           /* face-style-flags */
  0x12,                                           /* font-size */
  0xff, 0xff, 0xff, 0xff,                         /* text-color-rgba */
  0x00, 0x00, 0x00, 0x12, 'f',  't',  'a',  'b',  /* FontTableBox */
  0x00, 0x01,                                     /* entry-count */
  0x00, 0x01, 0x05, 'S',  'e',  'r',  'i',  'f',  /* font 1, "Serif" */
};

/* ---- output: the muxer's file, and its hash while it is written ----
 *
 * The mp4 muxer writes the moov last. To have it in front without the
 * faststart pass (which reads and rewrites the whole file), the muxer
 * reserves room for it (its moov_size option), sized by a dry run; a second
 * dry run with exactly that room gives the final bytes of the file's head
 * (ftyp, moov, free, mdat header) before the real run starts. The real run
 * then writes the head's room, then the media data strictly in order, then
 * the head: so the SHA-256 can take the known head first and the media data
 * as it is written, on a second thread, from the page cache. At the end the
 * head the real run wrote is compared with the dry run's; if it differs (or
 * the data was not written in order) the file is simply read back and
 * hashed. The fsync runs while the hashing thread catches up (SHA-256 with
 * the CPU's SHA instructions: uk-sha256.h). */

#define SINK_BUFFER (1024 * 1024)

typedef struct {
  gboolean ready;   /* initialised (a zeroed Sink is not) */
  int fd;           /* -1 in a dry run: nothing is written */
  gint64 pos;       /* where the muxer writes next */
  gint64 size;      /* bytes in the file */
  gint64 head_end;  /* the media data starts here (0: not known yet) */
  GByteArray *head; /* what was written below head_capture, as it stands */
  gint64 head_capture;
  int write_errno;

  /* The hashing thread and what it shares with the muxer. */
  GThread *thread;
  UkSha256 *sum; /* the thread's, until it is joined */
  GMutex lock;
  GCond cond;
  gint64 written_to; /* media data [head_end, written_to) is in the file */
  gint64 hashed_to;
  gboolean hash_done;    /* the thread has finished */
  gboolean abort;        /* stop hashing (cancelled) */
  GCond progress;        /* hashed_to or hash_done changed */
  gboolean finished;     /* no more data is coming */
  gboolean out_of_order; /* media data was written other than in order */
  gboolean read_failed;
} Sink;

static void
sink_init(Sink *k, int fd, gint64 head_capture)
{
  *k = (Sink){ .ready = TRUE, .fd = fd, .head_capture = head_capture };
  k->head = g_byte_array_new();
  g_mutex_init(&k->lock);
  g_cond_init(&k->cond);
  g_cond_init(&k->progress);
}

static gpointer
sink_hash_thread(gpointer data)
{
  Sink *k = data;
  g_autofree guint8 *buf = g_malloc(HASH_CHUNK);
  gint64 at = k->head_end;
  gboolean failed = FALSE, done = FALSE;
  while (!done) {
    /* A chunk at a time, or what is left once the muxer has finished. */
    g_mutex_lock(&k->lock);
    while (!k->finished && !k->abort && k->written_to - at < HASH_CHUNK)
      g_cond_wait(&k->cond, &k->lock);
    gint64 to = MIN(k->written_to, at + HASH_CHUNK);
    gboolean last = k->finished && to == k->written_to;
    gboolean abort = k->abort;
    g_mutex_unlock(&k->lock);
    while (at < to && !failed && !abort) {
      ssize_t n = pread(k->fd, buf, to - at, at);
      if (n < 0 && errno == EINTR)
        continue;
      failed = n <= 0;
      if (!failed) {
        uk_sha256_update(k->sum, buf, n);
        at += n;
      }
    }
    done = last || failed || abort;
    g_mutex_lock(&k->lock);
    k->hashed_to = at;
    k->read_failed = failed || abort;
    k->hash_done = done;
    g_cond_broadcast(&k->progress);
    g_mutex_unlock(&k->lock);
  }
  return NULL;
}

/* Starts hashing: @head (the file's head, from the dry run) first, then the
 * media data from @head_end on as it is written. */
static void
sink_start_hashing(Sink *k, GByteArray *head, gint64 head_end)
{
  k->sum = uk_sha256_new();
  uk_sha256_update(k->sum, head->data, head_end);
  k->head_end = head_end;
  k->written_to = head_end;
  k->thread = g_thread_new("uk-export-hash", sink_hash_thread, k);
}

/* Stops the hashing thread; TRUE when it hashed the whole file, in order. */
static gboolean
sink_stop_hashing(Sink *k)
{
  if (!k->thread)
    return FALSE;
  g_mutex_lock(&k->lock);
  k->finished = TRUE;
  g_cond_signal(&k->cond);
  g_mutex_unlock(&k->lock);
  g_thread_join(g_steal_pointer(&k->thread));
  return !k->out_of_order && !k->read_failed && k->hashed_to == k->size;
}

static void
sink_clear(Sink *k)
{
  if (!k->ready)
    return;
  g_mutex_lock(&k->lock);
  k->abort = TRUE; /* if still hashing, the export failed: stop at once */
  g_mutex_unlock(&k->lock);
  sink_stop_hashing(k);
  g_clear_pointer(&k->sum, uk_sha256_free);
  g_clear_pointer(&k->head, g_byte_array_unref);
  g_mutex_clear(&k->lock);
  g_cond_clear(&k->cond);
  g_cond_clear(&k->progress);
  k->ready = FALSE;
}

static int
sink_write(void *opaque, uint8_t *buf, int n)
{
  Sink *k = opaque;
  gint64 at = k->pos, end = at + n;
  if (at < k->head_capture) {
    gint64 upto = MIN(end, k->head_capture);
    if ((gint64)k->head->len < upto) {
      guint old = k->head->len;
      g_byte_array_set_size(k->head, upto);
      memset(k->head->data + old, 0, upto - old);
    }
    memcpy(k->head->data + at, buf, upto - at);
  }
  for (gint64 done = 0; k->fd >= 0 && done < n;) {
    ssize_t w = pwrite(k->fd, buf + done, n - done, at + done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      k->write_errno = errno;
      return AVERROR(errno);
    }
    done += w;
  }
  k->pos = end;
  k->size = MAX(k->size, end);
  if (k->thread && end > k->head_end) {
    g_mutex_lock(&k->lock);
    if (MAX(at, k->head_end) != k->written_to)
      k->out_of_order = TRUE;
    else
      k->written_to = end;
    g_cond_signal(&k->cond);
    g_mutex_unlock(&k->lock);
  }
  return n;
}

static int64_t
sink_seek(void *opaque, int64_t offset, int whence)
{
  Sink *k = opaque;
  if (whence & AVSEEK_SIZE)
    return k->size;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET:
      k->pos = offset;
      break;
    case SEEK_CUR:
      k->pos += offset;
      break;
    case SEEK_END:
      k->pos = k->size + offset;
      break;
    default:
      return AVERROR(EINVAL);
  }
  return k->pos;
}

/* ---- muxing ---- */

typedef struct {
  const UkExportOptions *o;
  Plan plan;
  LocalClock clock;
  AVCodecParameters *video; /* from the first segment's demuxer */
  AVRational frame_rate;
  gchar *part_path;
  int part_fd;
  gboolean part_created;
  AVFormatContext *oc; /* the muxer of the current pass */
  gboolean dry;        /* that pass is a dry run */
  Sink sink;           /* and its output */
  guint8 *zeros;       /* a dry run's packet data */
  AVPacket *pkt;
  GString *text;
  guint frames_written;
  guint frames_total;
  gint64 expected_bytes; /* the file's size, from the dry run */
  gint64 last_progress_us;
} Export;

static void
close_output(Export *e)
{
  if (e->oc) {
    AVIOContext *pb = e->oc->pb;
    avformat_free_context(e->oc);
    e->oc = NULL;
    if (pb) {
      av_freep(&pb->buffer);
      avio_context_free(&pb);
    }
  }
  sink_clear(&e->sink);
}

static void
export_clear(Export *e)
{
  close_output(e);
  if (e->part_fd >= 0)
    close(e->part_fd);
  if (e->part_created)
    g_unlink(e->part_path);
  av_packet_free(&e->pkt);
  avcodec_parameters_free(&e->video);
  g_free(e->zeros);
  plan_clear(&e->plan);
  local_clock_clear(&e->clock);
  g_clear_pointer(&e->part_path, g_free);
  if (e->text)
    g_string_free(g_steal_pointer(&e->text), TRUE);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Export, export_clear)

static gboolean set_av_error(GError **error, gint code, int averr, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean
set_av_error(GError **error, gint code, int averr, const char *fmt, ...)
{
  char msg[AV_ERROR_MAX_STRING_SIZE] = "";
  av_strerror(averr, msg, sizeof msg);
  va_list ap;
  va_start(ap, fmt);
  g_autofree gchar *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, UK_EXPORT_ERROR, code, "%s: %s", what, msg);
  return FALSE;
}

static gboolean
set_output_error(Export *e, int averr, GError **error)
{
  if (e->sink.write_errno) {
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_OUTPUT, "cannot write %s: %s", e->part_path,
                g_strerror(e->sink.write_errno));
    return FALSE;
  }
  return set_av_error(error, UK_EXPORT_ERROR_OUTPUT, averr, "cannot write %s", e->part_path);
}

static void
report_progress(Export *e, double fraction, gboolean force)
{
  if (!e->o->progress)
    return;
  gint64 now = g_get_monotonic_time();
  if (!force && now - e->last_progress_us < PROGRESS_INTERVAL_US)
    return;
  e->last_progress_us = now;
  e->o->progress(CLAMP(fraction, 0.0, 1.0), e->o->progress_data);
}

/* While muxing: the frames written, or the bytes hashed if that is less
 * (hashing is the slower part). */
static void
report_mux_progress(Export *e)
{
  if (!e->o->progress || g_get_monotonic_time() - e->last_progress_us < PROGRESS_INTERVAL_US)
    return;
  double f = (double)e->frames_written / e->frames_total;
  if (e->sink.thread) {
    g_mutex_lock(&e->sink.lock);
    f = MIN(f, (double)e->sink.hashed_to / MAX(e->expected_bytes, 1));
    g_mutex_unlock(&e->sink.lock);
  }
  report_progress(e, PROGRESS_SHARE * f, FALSE);
}

/* After muxing: lets the hashing thread finish, reporting its progress. */
static void
wait_for_hash(Export *e)
{
  Sink *k = &e->sink;
  if (!k->thread)
    return;
  g_mutex_lock(&k->lock);
  k->finished = TRUE;
  g_cond_signal(&k->cond);
  while (!k->hash_done) {
    if (g_cancellable_is_cancelled(e->o->cancellable)) {
      k->abort = TRUE;
      g_cond_signal(&k->cond);
    }
    g_cond_wait_until(&k->progress, &k->lock, g_get_monotonic_time() + PROGRESS_INTERVAL_US);
    double f = (double)k->hashed_to / MAX(k->size, 1);
    g_mutex_unlock(&k->lock);
    report_progress(e, PROGRESS_SHARE * f, FALSE);
    g_mutex_lock(&k->lock);
  }
  g_mutex_unlock(&k->lock);
}

static int
interrupt_cb(void *data)
{
  return data && g_cancellable_is_cancelled(data);
}

/* ---- input: a segment file for the mov demuxer ----
 *
 * Read through our own AVIOContext: pread at the demuxer's position, with the
 * file's size known once (the file protocol asks fstat for it at every
 * top-level box: three times a frame), and a small buffer, since the
 * demuxer reads ~150 bytes of boxes per fragment and then skips the data
 * (packets larger than the buffer are read straight into the packet). */

#define INPUT_BUFFER 4096

typedef struct {
  AVFormatContext *ic;
  AVIOContext *pb;
  int fd;
  gint64 pos, size;
} Input;

static int
input_read(void *opaque, uint8_t *buf, int n)
{
  Input *in = opaque;
  if (in->pos >= in->size)
    return AVERROR_EOF;
  ssize_t r;
  do
    r = pread(in->fd, buf, n, in->pos);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return AVERROR(errno);
  if (r == 0)
    return AVERROR_EOF;
  in->pos += r;
  return r;
}

static int64_t
input_seek(void *opaque, int64_t offset, int whence)
{
  Input *in = opaque;
  if (whence & AVSEEK_SIZE)
    return in->size;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET:
      in->pos = offset;
      break;
    case SEEK_CUR:
      in->pos += offset;
      break;
    case SEEK_END:
      in->pos = in->size + offset;
      break;
    default:
      return AVERROR(EINVAL);
  }
  return in->pos;
}

static void
input_close(Input *in)
{
  avformat_close_input(&in->ic);
  if (in->pb) {
    av_freep(&in->pb->buffer);
    avio_context_free(&in->pb);
  }
  if (in->fd >= 0)
    close(in->fd);
  in->fd = -1;
}

/* Opens @path with the mov demuxer: packets as stored, no parser, no
 * timestamp guessing. @in must stay where it is until input_close(). */
static gboolean
input_open(Input *in, const char *path, GCancellable *cancellable, GError **error)
{
  *in = (Input){ .fd = open(path, O_RDONLY | O_CLOEXEC) };
  struct stat st;
  if (in->fd < 0 || fstat(in->fd, &st) != 0) {
    int err = errno;
    input_close(in);
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_SEGMENT, "cannot read %s: %s", path,
                g_strerror(err));
    return FALSE;
  }
  in->size = st.st_size;
  guint8 *buffer = av_malloc(INPUT_BUFFER);
  in->pb = buffer ? avio_alloc_context(buffer, INPUT_BUFFER, 0, in, input_read, NULL, input_seek)
                  : NULL;
  in->ic = in->pb ? avformat_alloc_context() : NULL;
  if (!in->ic) {
    if (!in->pb)
      av_free(buffer);
    input_close(in);
    return set_av_error(error, UK_EXPORT_ERROR_SEGMENT, AVERROR(ENOMEM), "segment %s", path);
  }
  in->ic->pb = in->pb;
  in->ic->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_NOPARSE | AVFMT_FLAG_NOFILLIN;
  in->ic->interrupt_callback.callback = interrupt_cb;
  in->ic->interrupt_callback.opaque = cancellable;
  int ret = avformat_open_input(&in->ic, path, av_find_input_format("mov"), NULL);
  if (ret < 0) {
    input_close(in);
    return set_av_error(error, UK_EXPORT_ERROR_SEGMENT, ret, "segment %s", path);
  }
  return TRUE;
}

/* Reads the stream parameters from the first segment written. */
static gboolean
probe_video(Export *e, GError **error)
{
  const Segment *seg = &g_array_index(e->plan.segs, Segment, seg_of(&e->plan, e->plan.preroll));
  Input in;
  if (!input_open(&in, seg->path, e->o->cancellable, error))
    return FALSE;
  AVFormatContext *ic = in.ic;
  AVStream *ist = ic->nb_streams > 0 ? ic->streams[0] : NULL;
  gboolean ok = ist && ist->codecpar->codec_type == AVMEDIA_TYPE_VIDEO
                && (ist->codecpar->codec_id == AV_CODEC_ID_H264
                    || ist->codecpar->codec_id == AV_CODEC_ID_HEVC);
  if (ok) {
    e->video = avcodec_parameters_alloc();
    ok = e->video && avcodec_parameters_copy(e->video, ist->codecpar) >= 0;
    e->frame_rate = ist->avg_frame_rate.num ? ist->avg_frame_rate : ist->r_frame_rate;
  }
  input_close(&in);
  if (!ok)
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_SEGMENT,
                "segment %s: no H.264 or H.265 video track", seg->path);
  return ok;
}

/* Sets up a muxer writing to the sink (with @fd; -1 for a dry run), with room
 * for a moov of @reserve bytes in front, and writes the header. */
static gboolean
open_output(Export *e, int fd, gint reserve, GError **error)
{
  const UkExportOptions *o = e->o;
  sink_init(&e->sink, fd, 32 + reserve + 4096);
  int ret = avformat_alloc_output_context2(&e->oc, NULL, "mp4", NULL);
  if (ret < 0)
    return set_av_error(error, UK_EXPORT_ERROR_OUTPUT, ret, "cannot set up the mp4 muxer");
  AVFormatContext *oc = e->oc;
  guint8 *buffer = av_malloc(SINK_BUFFER);
  oc->pb = buffer
               ? avio_alloc_context(buffer, SINK_BUFFER, 1, &e->sink, NULL, sink_write, sink_seek)
               : NULL;
  if (!oc->pb) {
    av_free(buffer);
    return set_av_error(error, UK_EXPORT_ERROR_OUTPUT, AVERROR(ENOMEM), "cannot set up output");
  }
  oc->flags |= AVFMT_FLAG_CUSTOM_IO;
  oc->flush_packets = 0; /* write in SINK_BUFFER pieces, not a syscall per packet */
  /* A dry run's media data need not pass through the buffer. */
  oc->pb->direct = fd < 0;

  AVStream *vs = avformat_new_stream(oc, NULL);
  AVStream *ss = avformat_new_stream(oc, NULL);
  if (!vs || !ss || avcodec_parameters_copy(vs->codecpar, e->video) < 0)
    return set_av_error(error, UK_EXPORT_ERROR_OUTPUT, AVERROR(ENOMEM), "cannot add streams");
  vs->time_base = (AVRational){ 1, TIMESCALE };
  vs->avg_frame_rate = e->frame_rate;
  vs->disposition = AV_DISPOSITION_DEFAULT;

  AVCodecParameters *sp = ss->codecpar;
  sp->codec_type = AVMEDIA_TYPE_SUBTITLE;
  sp->codec_id = AV_CODEC_ID_MOV_TEXT;
  sp->width = e->video->width;
  sp->height = e->video->height;
  sp->extradata = av_mallocz(sizeof tx3g_description + AV_INPUT_BUFFER_PADDING_SIZE);
  if (!sp->extradata)
    return set_av_error(error, UK_EXPORT_ERROR_OUTPUT, AVERROR(ENOMEM), "cannot add streams");
  memcpy(sp->extradata, tx3g_description, sizeof tx3g_description);
  sp->extradata_size = sizeof tx3g_description;
  ss->time_base = (AVRational){ 1, TIMESCALE };
  ss->disposition = AV_DISPOSITION_DEFAULT;
  av_dict_set(&ss->metadata, "handler_name", "Wall clock (" LOCAL_ZONE ")", 0);

  const UkFrame *ff = frame_of(&e->plan, e->plan.first);
  gint64 us = uk_time_us_from_90k(ff->wall_90k);
  g_autoptr(GDateTime) created = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  if (created) {
    g_autofree gchar *s = g_date_time_format(created, "%Y-%m-%dT%H:%M:%S");
    g_autofree gchar *iso = g_strdup_printf("%s.%06dZ", s, (int)(us % G_USEC_PER_SEC));
    av_dict_set(&oc->metadata, "creation_time", iso, 0);
  }
  av_dict_set(&oc->metadata, "comment", COMMENT, 0);
  if (o->title && *o->title)
    av_dict_set(&oc->metadata, "title", o->title, 0);

  AVDictionary *opts = NULL;
  av_dict_set_int(&opts, "moov_size", reserve, 0);
  av_dict_set(&opts, "use_editlist", "1", 0);
  ret = avformat_write_header(oc, &opts);
  av_dict_free(&opts);
  if (ret < 0)
    return set_output_error(e, ret, error);
  avio_flush(oc->pb);
  if (oc->pb->error < 0)
    return set_output_error(e, oc->pb->error, error);
  e->sink.head_end = e->sink.pos; /* ftyp, the room, the mdat header */
  return TRUE;
}

/* Writes the trailer (the moov into its room) and flushes. */
static gboolean
finish_output(Export *e, GError **error)
{
  int ret = av_write_trailer(e->oc);
  if (ret >= 0) {
    avio_flush(e->oc->pb);
    ret = e->oc->pb->error;
  }
  if (ret < 0) {
    if (g_cancellable_set_error_if_cancelled(e->o->cancellable, error))
      return FALSE;
    return set_output_error(e, ret, error);
  }
  return TRUE;
}

static gboolean
write_cue(Export *e, gint64 pts, gint64 duration, GError **error)
{
  AVStream *ss = e->oc->streams[1];
  gsize len = MIN(e->text->len, G_MAXUINT16);
  int ret = av_new_packet(e->pkt, 2 + len);
  if (ret < 0)
    return set_output_error(e, ret, error);
  e->pkt->data[0] = len >> 8;
  e->pkt->data[1] = len & 0xff;
  memcpy(e->pkt->data + 2, e->text->str, len);
  e->pkt->stream_index = 1;
  e->pkt->pts = e->pkt->dts = pts;
  e->pkt->duration = MAX(duration, 1);
  e->pkt->flags = AV_PKT_FLAG_KEY;
  av_packet_rescale_ts(e->pkt, (AVRational){ 1, TIMESCALE }, ss->time_base);
  ret = av_write_frame(e->oc, e->pkt);
  av_packet_unref(e->pkt);
  if (ret < 0)
    return set_output_error(e, ret, error);
  return TRUE;
}

/* Writes the planned frame refs[i], whose data is in e->pkt, and its cues.
 * Everything but the data comes from the plan, so that a dry run and the
 * real one give the muxer the same packets. */
static gboolean
write_frame(Export *e, guint i, GError **error)
{
  Plan *p = &e->plan;
  const UkFrame *f = frame_of(p, i);
  guint k = i - p->preroll;
  gint64 dts = p->dts[k];
  gint64 duration = i < p->last ? p->dts[k + 1] - dts : duration_of(f);
  AVPacket *pkt = e->pkt;
  pkt->stream_index = 0;
  pkt->dts = dts;
  pkt->pts = dts + f->cts_90k;
  pkt->duration = duration;
  pkt->pos = -1;
  pkt->flags = f->key ? AV_PKT_FLAG_KEY : 0;
  av_packet_rescale_ts(pkt, (AVRational){ 1, TIMESCALE }, e->oc->streams[0]->time_base);
  int ret = av_write_frame(e->oc, pkt);
  av_packet_unref(pkt);
  if (ret < 0)
    return set_output_error(e, ret, error);
  e->frames_written++;
  if (i < p->first)
    return TRUE;

  /* The frame's cue lasts until the next frame, or until a gap starts; the
   * gap gets its own cue. */
  gint64 pts = dts + f->cts_90k;
  UkExportGap gap;
  gboolean has_gap = i < p->last && gap_after(p, i, &gap);
  gint64 cue = has_gap ? CLAMP(gap.start_90k - f->wall_90k, 1, duration) : duration;
  g_string_truncate(e->text, 0);
  local_clock_format(&e->clock, f->wall_90k, e->text);
  if (!write_cue(e, pts, cue, error))
    return FALSE;
  if (has_gap && cue < duration) {
    g_string_assign(e->text, "no recording from ");
    local_clock_format(&e->clock, gap.start_90k, e->text);
    g_string_append(e->text, " to ");
    local_clock_format(&e->clock, gap.end_90k, e->text);
    if (!write_cue(e, pts + cue, duration - cue, error))
      return FALSE;
  }
  return TRUE;
}

/* Demuxes segment @s and writes its planned frames refs[@from..@to]. */
static gboolean
copy_segment(Export *e, guint s, guint from, guint to, GError **error)
{
  Plan *p = &e->plan;
  const Segment *seg = &g_array_index(p->segs, Segment, s);
  guint first_index = g_array_index(p->refs, Ref, from).index;
  guint last_index = g_array_index(p->refs, Ref, to).index;

  Input in;
  if (!input_open(&in, seg->path, e->o->cancellable, error))
    return FALSE;
  AVFormatContext *ic = in.ic;
  int ret;
  gboolean ok = FALSE;
  AVStream *ist = ic->nb_streams > 0 ? ic->streams[0] : NULL;
  if (!ist || ist->codecpar->codec_type != AVMEDIA_TYPE_VIDEO
      || ist->codecpar->codec_id != e->video->codec_id) {
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_SEGMENT, "segment %s: no %s video track",
                seg->path, e->video->codec_id == AV_CODEC_ID_HEVC ? "H.265" : "H.264");
    goto out;
  }
  for (guint n = 1; n < ic->nb_streams; n++)
    ic->streams[n]->discard = AVDISCARD_ALL;

  const GArray *frames = seg->contents->frames;
  /* Start at the pre-roll keyframe rather than read what comes before it:
   * the mov demuxer has indexed every fragment of the (seekable) file while
   * opening it. If it cannot seek, it reads from the start. */
  gboolean seeked = FALSE;
  if (first_index > 0) {
    gint64 ts = av_rescale_q(g_array_index(frames, UkFrame, first_index).dts_90k,
                             (AVRational){ 1, TIMESCALE }, ist->time_base);
    seeked = av_seek_frame(ic, 0, ts, AVSEEK_FLAG_BACKWARD) >= 0;
  }
  for (guint k = 0; k <= last_index;) {
    if (g_cancellable_set_error_if_cancelled(e->o->cancellable, error))
      goto out;
    ret = av_read_frame(ic, e->pkt);
    if (ret == AVERROR_EOF) {
      g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_SEGMENT,
                  "segment %s ends after %u frames; its index has %u", seg->path, k, frames->len);
      goto out;
    }
    if (ret < 0) {
      set_av_error(error, UK_EXPORT_ERROR_SEGMENT, ret, "segment %s, frame %u", seg->path, k);
      goto out;
    }
    if (e->pkt->stream_index != 0) {
      av_packet_unref(e->pkt);
      continue;
    }
    gint64 dts = av_rescale_q(e->pkt->dts, ist->time_base, (AVRational){ 1, TIMESCALE });
    if (seeked) {
      /* Where the seek landed: the frame with this decode time, at or before the pre-roll. */
      seeked = FALSE;
      while (k < first_index && g_array_index(frames, UkFrame, k + 1).dts_90k <= dts)
        k++;
    }
    const UkFrame *f = &g_array_index(frames, UkFrame, k);
    if (dts != f->dts_90k || (guint)e->pkt->size != f->size) {
      g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_SEGMENT,
                  "segment %s, frame %u: the demuxer read decode time %" G_GINT64_FORMAT
                  " and %d bytes, the file's index says %" G_GINT64_FORMAT " and %u",
                  seg->path, k, dts, e->pkt->size, f->dts_90k, f->size);
      av_packet_unref(e->pkt);
      goto out;
    }
    if (k < first_index) {
      av_packet_unref(e->pkt);
      k++;
      continue;
    }
    if (!write_frame(e, from + (k - first_index), error))
      goto out;
    k++;
    report_mux_progress(e);
  }
  ok = TRUE;
out:
  input_close(&in);
  return ok;
}

/* Muxes the whole clip: for real, from the segments; in a dry run, packets
 * of the planned sizes with no data worth reading. */
static gboolean
mux_clip(Export *e, GError **error)
{
  Plan *p = &e->plan;
  e->frames_written = 0;
  for (guint i = p->preroll; i <= p->last;) {
    guint s = seg_of(p, i), j = i;
    while (j < p->last && seg_of(p, j + 1) == s)
      j++;
    if (!e->dry) {
      if (!copy_segment(e, s, i, j, error))
        return FALSE;
    } else {
      for (guint k = i; k <= j; k++) {
        e->pkt->data = e->zeros;
        e->pkt->size = frame_of(p, k)->size;
        if (!write_frame(e, k, error))
          return FALSE;
      }
    }
    i = j + 1;
  }
  return finish_output(e, error);
}

static guint32
read_be32(const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

/* A dry run with room @reserve for the moov: fills @head with the file's
 * head as it will be (up to where the media data starts, *@head_end) and
 * *@moov_size. (transfer full) */
static gboolean
dry_run(Export *e, gint reserve, GByteArray **head, gint64 *head_end, gint *moov_size,
        GError **error)
{
  e->dry = TRUE;
  gboolean ok = open_output(e, -1, reserve, error) && mux_clip(e, error);
  e->dry = FALSE;
  if (ok) {
    /* ftyp, then the moov at the front of its room. */
    const guint8 *d = e->sink.head->data;
    gsize len = e->sink.head->len;
    guint32 ftyp = len >= 8 ? read_be32(d) : 0;
    ok = ftyp + 8 <= len && memcmp(d + ftyp + 4, "moov", 4) == 0 && (gint64)len >= e->sink.head_end;
    if (ok) {
      *moov_size = read_be32(d + ftyp);
      *head_end = e->sink.head_end;
      e->expected_bytes = e->sink.size;
      *head = g_byte_array_ref(e->sink.head);
    } else {
      g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_OUTPUT,
                  "the mp4 muxer did not put the moov where it was asked to");
    }
  }
  close_output(e);
  return ok;
}

/* Room for the moov in a first dry run: more than it can take (sample
 * tables at most ~44 bytes a sample, plus boxes and metadata). */
static gint
moov_bound(const Export *e)
{
  guint64 samples = 2 * (guint64)(e->plan.last - e->plan.preroll + 1) + 16;
  guint64 bound = 65536 + 64 * samples + (e->video ? e->video->extradata_size : 0)
                  + (e->o->title ? strlen(e->o->title) : 0);
  return (gint)MIN(bound, (guint64)G_MAXINT / 2);
}

/* Hashes a finished file by reading it back (the fallback). */
static gboolean
hash_file(int fd, gint64 size, gchar **sha256)
{
  g_autoptr(UkSha256) sum = uk_sha256_new();
  g_autofree guint8 *buf = g_malloc(HASH_CHUNK);
  for (gint64 at = 0; at < size;) {
    ssize_t n = pread(fd, buf, MIN(HASH_CHUNK, size - at), at);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    uk_sha256_update(sum, buf, n);
    at += n;
  }
  *sha256 = g_strdup(uk_sha256_hex(sum));
  return TRUE;
}

void
uk_export_result_clear(UkExportResult *r)
{
  g_clear_pointer(&r->gaps, g_array_unref);
  g_clear_pointer(&r->sha256, g_free);
  g_clear_pointer(&r->codec, g_free);
}

gboolean
uk_export_clip(const UkExportOptions *o, UkExportResult *r, GError **error)
{
  *r = (UkExportResult){ 0 };
  if (!o->segments || !o->segments[0] || !o->out_path || !*o->out_path
      || o->to_90k <= o->from_90k) {
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_INVALID,
                "an export needs segments, an output path and a range whose end is after its "
                "start");
    return FALSE;
  }
  if (g_cancellable_set_error_if_cancelled(o->cancellable, error))
    return FALSE;
  /* libavformat logs to stderr; keep its chatter out. */
  if (av_log_get_level() == AV_LOG_INFO)
    av_log_set_level(AV_LOG_WARNING);

  g_auto(Export) e = { .o = o, .part_fd = -1 };
  local_clock_init(&e.clock);
  if (!plan_make(o, &e.plan, error) || !probe_video(&e, error))
    return FALSE;
  Plan *p = &e.plan;
  e.part_path = g_strconcat(o->out_path, ".part", NULL);
  e.pkt = av_packet_alloc();
  e.text = g_string_sized_new(128);
  e.frames_total = p->last - p->preroll + 1;
  guint32 biggest = 0;
  for (guint i = p->preroll; i <= p->last; i++)
    biggest = MAX(biggest, frame_of(p, i)->size);
  e.zeros = g_malloc0(biggest + AV_INPUT_BUFFER_PADDING_SIZE);
  report_progress(&e, 0.0, TRUE);

  /* Two dry runs: how big the moov is, then the head with exactly that room. */
  g_autoptr(GByteArray) head = NULL;
  gint64 head_end = 0;
  gint moov = 0;
  if (!dry_run(&e, moov_bound(&e), &head, &head_end, &moov, error))
    return FALSE;
  gint reserve = moov + 8; /* the moov and an empty free box */
  g_clear_pointer(&head, g_byte_array_unref);
  if (!dry_run(&e, reserve, &head, &head_end, &moov, error))
    return FALSE;

  e.part_fd = open(e.part_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (e.part_fd < 0) {
    int err = errno;
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_OUTPUT, "cannot write %s: %s", e.part_path,
                g_strerror(err));
    return FALSE;
  }
  e.part_created = TRUE;
  if (!open_output(&e, e.part_fd, reserve, error))
    return FALSE;
  if (e.sink.head_end == head_end)
    sink_start_hashing(&e.sink, head, head_end);
  if (!mux_clip(&e, error))
    return FALSE;

  /* The file is complete: sync it while the hashing thread catches up. The
   * hash is the dry run's head and the data as written, if the head came out
   * the same; else the file is read back. */
  int sync_errno = fsync(e.part_fd) == 0 ? 0 : errno;
  UkExportResult out = { 0 };
  wait_for_hash(&e);
  if (g_cancellable_set_error_if_cancelled(o->cancellable, error))
    return FALSE;
  gboolean streamed = sink_stop_hashing(&e.sink);
  gint64 size = e.sink.size;
  if (streamed && (gint64)e.sink.head->len >= head_end
      && memcmp(e.sink.head->data, head->data, head_end) == 0)
    out.sha256 = g_strdup(uk_sha256_hex(e.sink.sum));
  if (!sync_errno && !out.sha256 && !hash_file(e.part_fd, size, &out.sha256)) {
    int err = errno;
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_OUTPUT, "cannot read back %s: %s",
                e.part_path, g_strerror(err));
    return FALSE;
  }
  close_output(&e);
  if (sync_errno == 0 && close(e.part_fd) != 0)
    sync_errno = errno;
  e.part_fd = -1;
  if (sync_errno) {
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_OUTPUT, "cannot sync %s: %s", e.part_path,
                g_strerror(sync_errno));
    uk_export_result_clear(&out);
    return FALSE;
  }
  if (g_cancellable_set_error_if_cancelled(o->cancellable, error)) {
    uk_export_result_clear(&out);
    return FALSE;
  }
  if (g_rename(e.part_path, o->out_path) != 0) {
    int err = errno;
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_OUTPUT, "cannot rename %s to %s: %s",
                e.part_path, o->out_path, g_strerror(err));
    uk_export_result_clear(&out);
    return FALSE;
  }
  e.part_created = FALSE;
  g_autofree gchar *dir = g_path_get_dirname(o->out_path);
  g_autoptr(GError) sync_error = NULL;
  if (!uk_fsync_dir(dir, &sync_error)) {
    /* The file is complete and in place; only its durability is in doubt. */
    g_set_error(error, UK_EXPORT_ERROR, UK_EXPORT_ERROR_OUTPUT, "%s", sync_error->message);
    uk_export_result_clear(&out);
    return FALSE;
  }

  const UkFrame *ff = frame_of(p, p->first);
  const UkTrackInfo *track = &g_array_index(p->segs, Segment, seg_of(p, p->first)).contents->track;
  out.first_frame_90k = ff->wall_90k;
  out.end_90k = shown_until(p, p->last);
  out.bytes = size;
  out.frames_shown = p->last - p->first + 1;
  out.frames_written = e.frames_written;
  out.gaps = g_array_new(FALSE, FALSE, sizeof(UkExportGap));
  plan_gaps(p, o, out.gaps);
  out.codec = g_strdup(uk_codec_name(track->codec));
  out.width = track->width;
  out.height = track->height;
  *r = out;
  report_progress(&e, 1.0, TRUE);
  return TRUE;
}
