/* ws-incidents: N websocket consoles logging incidents as fast as they can.
 *
 * A small, single-threaded websocket client (RFC 6455, text frames only) so
 * that the clients cost far less CPU than the daemon they measure: on a
 * 2-core machine, Python clients took a whole core. Each console logs in,
 * waits for every other console, then sends incident.create and waits for
 * its acknowledgement (sent only once the incident is durable) before the
 * next one. Live pushes of other consoles' incidents are read and counted.
 *
 *   ws-incidents PORT CONSOLES SECONDS [RATE] [USER_PREFIX] [CAMERA]
 *
 * RATE 0 (default): each console sends its next incident as soon as the last
 * is acknowledged (flat out: the figure is the maximum throughput). RATE > 0:
 * each console logs RATE incidents per second at evenly spaced instants (the
 * consoles' phases spread out); latency then counts from the instant an
 * incident was due, so a slow acknowledgement that delays the next one is
 * charged to it too (no coordinated omission).
 *
 * Users are USER_PREFIX0..N-1 (default "u") with password "wachtwoord-" +
 * user. Prints one JSON line: acknowledged, seconds, p50_ms, p99_ms,
 * max_ms, pushes (incident events received), errors. The first 2 s are a
 * warm-up: their requests are sent but not counted. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  int state; /* 0 handshake, 1 hello, 2 login sent, 3 ready, 4 request in flight, 5 done */
  char *in;
  size_t in_len, in_cap;
  long next_id;
  double sent_at; /* when the request in flight was sent, or due (paced) */
  double due;     /* paced: when the next one is due */
  int in_flight;
  char user[64];
} Console;

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
wall_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
  fprintf(stderr, "ws-incidents: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void
send_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      die("send");
    p += n;
    len -= (size_t)n;
  }
}

/* One masked text frame. */
static void
send_text(int fd, const char *text)
{
  size_t len = strlen(text);
  unsigned char hdr[14];
  size_t h = 0;
  hdr[h++] = 0x81;
  if (len < 126) {
    hdr[h++] = 0x80 | (unsigned char)len;
  } else if (len < 65536) {
    hdr[h++] = 0x80 | 126;
    hdr[h++] = (unsigned char)(len >> 8);
    hdr[h++] = (unsigned char)len;
  } else {
    hdr[h++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--)
      hdr[h++] = (unsigned char)((uint64_t)len >> (8 * i));
  }
  unsigned char mask[4] = { (unsigned char)rand(), (unsigned char)rand(), (unsigned char)rand(),
                            (unsigned char)rand() };
  memcpy(hdr + h, mask, 4);
  h += 4;
  char *frame = malloc(h + len);
  memcpy(frame, hdr, h);
  for (size_t i = 0; i < len; i++)
    frame[h + i] = text[i] ^ mask[i & 3];
  send_all(fd, frame, h + len);
  free(frame);
}

static void
send_create(Console *c, const char *camera)
{
  char pos[96], msg[512];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  time_t t = ts.tv_sec - 2; /* two seconds ago: recorded by now */
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(pos, sizeof pos, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
  c->next_id++;
  snprintf(msg, sizeof msg,
           "{\"type\":\"incident.create\",\"id\":%ld,\"camera\":\"%s\",\"position\":\"%s\","
           "\"source\":\"live\",\"category\":\"overlast\",\"description\":\"bench %s %ld\"}",
           c->next_id, camera, pos, c->user, c->next_id);
  c->sent_at = now_s();
  send_text(c->fd, msg);
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: ws-incidents PORT CONSOLES SECONDS [RATE] [USER_PREFIX] [CAMERA]\n");
    return 2;
  }
  int port = atoi(argv[1]), n = atoi(argv[2]);
  double seconds = atof(argv[3]);
  double rate = argc > 4 ? atof(argv[4]) : 0;
  /* UK_BENCH_SLOW_MS: print each acknowledgement slower than that (when). */
  double slow_ms = getenv("UK_BENCH_SLOW_MS") ? atof(getenv("UK_BENCH_SLOW_MS")) : 0;
  /* Acknowledgements of requests sent in the first WARMUP_S seconds are not
   * counted (connections, caches and the group commit settle). */
  double warmup = 2.0;
  const char *prefix = argc > 5 ? argv[5] : "u";
  const char *camera = argc > 6 ? argv[6] : "cam1";
  srand((unsigned)time(NULL));

  Console *cs = calloc((size_t)n, sizeof *cs);
  struct pollfd *pfd = calloc((size_t)n, sizeof *pfd);
  size_t lat_cap = 1 << 20, lat_len = 0;
  double *lat = malloc(lat_cap * sizeof *lat);
  long pushes = 0, errors = 0;

  for (int i = 0; i < n; i++) {
    Console *c = &cs[i];
    snprintf(c->user, sizeof c->user, "%s%d", prefix, i);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
      die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0)
      die("connect");
    char req[512];
    snprintf(req, sizeof req,
             "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: uitkijk.v1\r\n\r\n",
             port);
    send_all(c->fd, req, strlen(req));
    c->in_cap = 1 << 16;
    c->in = malloc(c->in_cap);
    pfd[i].fd = c->fd;
    pfd[i].events = POLLIN;
  }

  int ready = 0, done = 0;
  double start = 0, end = 0;
  while (done < n) {
    int timeout_ms = 10000;
    if (rate > 0 && start > 0) { /* paced: send what is due, sleep until the next */
      double t = now_s(), next = t + 10;
      for (int k = 0; k < n; k++) {
        Console *c = &cs[k];
        if (c->state != 4 || c->in_flight)
          continue;
        if (c->due >= end) {
          c->state = 5;
          done++;
          continue;
        }
        if (c->due <= t) {
          send_create(c, camera);
          c->sent_at = c->due;
          c->in_flight = 1;
        } else if (c->due < next) {
          next = c->due;
        }
      }
      if (done == n)
        break;
      timeout_ms = (int)((next - t) * 1000) + 1;
    }
    int pr = poll(pfd, (nfds_t)n, timeout_ms);
    if (pr < 0 || (pr == 0 && timeout_ms == 10000)) {
      fprintf(stderr, "ws-incidents: no answer for 10 s\n");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      Console *c = &cs[i];
      if (c->in_cap - c->in_len < 65536) {
        c->in_cap *= 2;
        c->in = realloc(c->in, c->in_cap);
      }
      ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
      if (r <= 0) {
        fprintf(stderr, "ws-incidents: %s: connection closed\n", c->user);
        return 1;
      }
      c->in_len += (size_t)r;
      size_t off = 0;
      if (c->state == 0) {
        char *eoh = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        if (!eoh)
          continue;
        if (strncmp(c->in, "HTTP/1.1 101", 12) != 0) {
          fprintf(stderr, "ws-incidents: handshake refused: %.*s\n", (int)(eoh - c->in), c->in);
          return 1;
        }
        off = (size_t)(eoh + 4 - c->in);
        c->state = 1;
      }
      /* Whole frames (the server does not fragment or mask). */
      for (;;) {
        unsigned char *p = (unsigned char *)c->in + off;
        size_t avail = c->in_len - off;
        if (avail < 2)
          break;
        uint64_t len = p[1] & 0x7f;
        size_t h = 2;
        if (len == 126) {
          if (avail < 4)
            break;
          len = ((uint64_t)p[2] << 8) | p[3];
          h = 4;
        } else if (len == 127) {
          if (avail < 10)
            break;
          len = 0;
          for (int k = 0; k < 8; k++)
            len = (len << 8) | p[2 + k];
          h = 10;
        }
        if (avail < h + len)
          break;
        const char *m = (const char *)p + h;
        int opcode = p[0] & 0x0f;
        off += h + (size_t)len;
        if (opcode == 9) { /* ping: answer pong */
          unsigned char pong[6] = { 0x8a, 0x80, 0, 0, 0, 0 };
          send_all(c->fd, pong, sizeof pong);
          continue;
        }
        if (opcode != 1)
          continue;
        if (len > 15 && !strncmp(m, "{\"type\":\"event\"", 15)) {
          pushes++;
          continue;
        }
        if (len > 16 && !strncmp(m, "{\"type\":\"events\"", 16)) {
          /* a batch: count its incidents */
          for (const char *q = m;
               (q = memmem(q, (size_t)(m + len - q), "\"event\":\"incident.", 18)); q += 18)
            pushes++;
          continue;
        }
        if (c->state == 1) { /* hello */
          char msg[256];
          snprintf(msg, sizeof msg,
                   "{\"type\":\"login\",\"id\":0,\"user\":\"%s\",\"password\":\"wachtwoord-%s\"}",
                   c->user, c->user);
          send_text(c->fd, msg);
          c->state = 2;
          continue;
        }
        int is_result = len > 16 && !strncmp(m, "{\"type\":\"result\"", 16);
        if (c->state == 2) {
          if (!is_result) {
            fprintf(stderr, "ws-incidents: %s: login failed: %.*s\n", c->user, (int)len, m);
            return 1;
          }
          c->state = 3;
          if (++ready == n) { /* everybody is in: go */
            fprintf(stderr, "ws-incidents: %d consoles logged in, go\n", n);
            start = now_s();
            end = start + seconds;
            for (int k = 0; k < n; k++) {
              cs[k].state = 4;
              if (rate > 0) {
                cs[k].due = start + (double)k / n / rate;
              } else {
                send_create(&cs[k], camera);
                cs[k].in_flight = 1;
              }
            }
          }
          continue;
        }
        if (c->state != 4 || !c->in_flight)
          continue;
        /* {"type":"result","id":K,... or {"type":"error","id":K,... */
        const char *idp = memmem(m, (size_t)len < 40 ? (size_t)len : 40, "\"id\":", 5);
        if (!idp || strtol(idp + 5, NULL, 10) != c->next_id)
          continue;
        double t = now_s();
        if (!is_result) {
          if (errors++ < 3)
            fprintf(stderr, "ws-incidents: %s: %.*s\n", c->user, (int)len, m);
        } else if (c->sent_at >= start + warmup) { /* the first seconds warm up */
          if (lat_len == lat_cap) {
            lat_cap *= 2;
            lat = realloc(lat, lat_cap * sizeof *lat);
          }
          lat[lat_len++] = t - c->sent_at;
          if (slow_ms > 0 && (t - c->sent_at) * 1000 > slow_ms)
            fprintf(stderr, "slow: %.3f s after start (wall %.3f): %.1f ms\n", c->sent_at - start,
                    wall_s() + (c->sent_at - t), (t - c->sent_at) * 1000);
        }
        c->in_flight = 0;
        if (rate > 0) {
          c->due += 1 / rate;
        } else if (t < end) {
          send_create(c, camera);
          c->in_flight = 1;
        } else {
          c->state = 5;
          done++;
        }
      }
      memmove(c->in, c->in + off, c->in_len - off);
      c->in_len -= off;
    }
  }
  double took = now_s() - start - warmup;
  qsort(lat, lat_len, sizeof *lat, cmp_double);
  double p50 = lat_len ? lat[lat_len / 2] : 0, p99 = lat_len ? lat[(size_t)(lat_len * 0.99)] : 0;
  double mx = lat_len ? lat[lat_len - 1] : 0;
  printf("{\"acknowledged\":%zu,\"seconds\":%.3f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
         "\"pushes\":%ld,\"errors\":%ld}\n",
         lat_len, took, p50 * 1000, p99 * 1000, mx * 1000, pushes, errors);
  for (int i = 0; i < n; i++)
    close(cs[i].fd);
  return 0;
}
