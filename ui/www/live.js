// uitkijk console: live view (docs/PROTOCOL.md, "live.start, live.stop" and
// "Binary messages: live video").
//
// Every watched camera gets a tile with a <video> fed through Media Source
// Extensions. The server sends, per camera, an init segment (`ftyp moov`) and
// then one frame per binary message (`prft moof mdat`), each with the frame's
// wall-clock time. The player:
//   - appends in order through one queue per tile (a SourceBuffer takes one
//     operation at a time); frames before the first init segment are ignored;
//   - after a new init segment (the camera reconnected; decode times restart)
//     shifts the new frames with timestampOffset so the timeline runs on, and
//     switches codec with changeType (or rebuilds the MediaSource);
//   - stays at the live edge: more than SOFT_LAG_S behind the newest frame
//     it plays slightly faster until it is within TARGET_LAG_S again; more
//     than MAX_LAG_S behind it seeks to the newest keyframe (see
//     followLiveEdge: seeks cost decoding); it
//     removes what is more than KEEP_S old, and on QuotaExceededError removes
//     what it can and skips to the next keyframe;
//   - shows the wall-clock time (Europe/Amsterdam) of the frame actually on
//     screen: a map from presentation time (parsed from each fragment's tfdt
//     and trun, in the init segment's mdhd timescale) to the message's wall
//     time, looked up with requestVideoFrameCallback's mediaTime.
//
// Hooks for tests and benchmarks (window.__uk, set by app.js):
//   __uk.tiles          Map camera id -> Tile (below), in the order opened
//   __uk.grid           the LiveGrid (layout, selected tile)
//   __uk.captureScan    set to true before watching: every frame's mdat is
//                       scanned for the simulated cameras' SEI
//                       "capture_us=N", and each presented frame's
//                       glass-to-glass latency (display time - capture time,
//                       ms) is pushed to tile.glass, and each frame's capture
//                       to arrival time to tile.arrival (bench/glass.py)
// Each tile element carries data-camera, data-state (the camera's state),
// data-status (starting | waiting | playing | notice | error),
// data-frame-wall-ms (wall time in ms since 1970 of the frame on screen) and
// data-frames-presented (frames presented so far).

const MAX_LAG_S = 0.5;     // further behind the newest frame than this: jump
const TARGET_LAG_S = 0.12; // where a jump lands, behind the newest frame
const SOFT_LAG_S = 0.2;    // further behind than this: play at CATCHUP_RATE
const CATCHUP_RATE = 1.1;  // ... until back within TARGET_LAG_S
const FAST_CATCHUP_RATE = 1.5; // ... while more than a second behind
const HARD_LAG_S = 3;      // further behind than a GOP (2 s) and no keyframe to seek to
const JUMP_EVERY_MS = 2000;
const KEEP_S = 10;         // buffered media kept behind the play position
const TRIM_EVERY_S = 5;    // trim once this much more than KEEP_S is buffered
const MAX_QUEUE = 150;     // queued appends (6 s at 25 fps): drop to a keyframe
const STALE_MS = 3000;     // no new frame on screen for this long: mark stale
const MAX_FRAMES = 3000;   // frame times kept at most (2 min at 25 fps)
const MAX_ERRORS = 5;      // decoder errors within ERROR_WINDOW_MS: give up, say so
const ERROR_WINDOW_MS = 60_000;

const KIND_INIT = 1;
const KIND_FRAME = 2;

export const stateText = {
  recording: 'neemt op',
  connecting: 'Verbinden…',
  down: 'Camera valt uit',
  stopped: 'Gestopt',
};

// ---- binary messages and MP4 boxes ----

const textDecoder = new TextDecoder();

/** Splits one binary video message (an ArrayBuffer). Returns null when it is too short. */
export function parseVideoMessage(buffer) {
  const u8 = new Uint8Array(buffer);
  if (u8.length < 3) return null;
  const kind = u8[0];
  const key = (u8[1] & 1) === 1;
  const idlen = u8[2];
  const head = 3 + idlen + 8;
  if (u8.length < head) return null;
  const camera = textDecoder.decode(u8.subarray(3, 3 + idlen));
  const wall90k = Number(new DataView(buffer, 3 + idlen, 8).getBigInt64(0, false));
  return { kind, key, camera, wallMs: wall90k / 90, mp4: u8.subarray(head) };
}

function fourcc(u8, at) {
  return String.fromCharCode(u8[at], u8[at + 1], u8[at + 2], u8[at + 3]);
}

/** The boxes in u8[start, end): [{type, start, body, end}] (body: after the header). */
function boxes(u8, start = 0, end = u8.length) {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const out = [];
  let at = start;
  while (at + 8 <= end) {
    let size = dv.getUint32(at);
    const type = fourcc(u8, at + 4);
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > end) break;
      size = Number(dv.getBigUint64(at + 8));
      body = at + 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < body - at || at + size > end) break; // torn or corrupt
    out.push({ type, start: at, body, end: at + size });
    at += size;
  }
  return out;
}

function child(u8, parent, type, skip = 0) {
  return boxes(u8, parent.body + skip, parent.end).find((b) => b.type === type) ?? null;
}

function path(u8, parent, ...types) {
  let box = parent;
  for (const t of types) {
    box = box ? child(u8, box, t) : null;
  }
  return box;
}

const hex2 = (v) => v.toString(16).padStart(2, '0');

/**
 * Reads an init segment: the track's timescale (mdhd) and its codec string for
 * MediaSource.isTypeSupported. codec is null when it is not H.264 (hevc is
 * true for H.265, which this console does not try to play).
 */
export function parseInit(u8) {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const moov = boxes(u8).find((b) => b.type === 'moov');
  const mdia = moov && path(u8, moov, 'trak', 'mdia');
  const mdhd = mdia && child(u8, mdia, 'mdhd');
  if (!mdhd) return null;
  const timescale = dv.getUint32(mdhd.body + (u8[mdhd.body] === 1 ? 20 : 12));
  const stsd = path(u8, mdia, 'minf', 'stbl', 'stsd');
  // stsd: version/flags and entry count (8 bytes), then the sample entries.
  const entry = stsd ? boxes(u8, stsd.body + 8, stsd.end)[0] : null;
  let codec = null;
  let hevc = false;
  if (entry && (entry.type === 'avc1' || entry.type === 'avc3')) {
    // A visual sample entry's fields take 78 bytes before its child boxes.
    const avcC = child(u8, entry, 'avcC', 78);
    if (avcC) codec = `${entry.type}.${hex2(u8[avcC.body + 1])}${hex2(u8[avcC.body + 2])}${hex2(u8[avcC.body + 3])}`;
  } else if (entry && (entry.type === 'hvc1' || entry.type === 'hev1')) {
    hevc = true;
  }
  return { timescale, codec, hevc, mime: codec ? `video/mp4; codecs="${codec}"` : null };
}

/**
 * Reads one fragment (prft moof mdat, one frame): the first sample's decode
 * time, duration and composition offset in the track's timescale, and where
 * the frame's data is.
 */
export function parseFragment(u8) {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const top = boxes(u8);
  const moof = top.find((b) => b.type === 'moof');
  const traf = moof && child(u8, moof, 'traf');
  if (!traf) return null;
  const tfhd = child(u8, traf, 'tfhd');
  const tfdt = child(u8, traf, 'tfdt');
  const trun = child(u8, traf, 'trun');
  if (!tfdt || !trun) return null;
  const dts = u8[tfdt.body] === 1 ? Number(dv.getBigUint64(tfdt.body + 4)) : dv.getUint32(tfdt.body + 4);
  let duration = 0;
  if (tfhd) {
    const f = dv.getUint32(tfhd.body) & 0xffffff;
    let at = tfhd.body + 8; // version/flags, track id
    if (f & 0x1) at += 8;   // base data offset
    if (f & 0x2) at += 4;   // sample description index
    if (f & 0x8) duration = dv.getUint32(at);
  }
  const version = u8[trun.body];
  const flags = dv.getUint32(trun.body) & 0xffffff;
  let at = trun.body + 8; // version/flags, sample count
  if (flags & 0x1) at += 4;
  if (flags & 0x4) at += 4;
  if (flags & 0x100) { duration = dv.getUint32(at); at += 4; }
  if (flags & 0x200) at += 4;
  if (flags & 0x400) at += 4;
  let cto = 0;
  if (flags & 0x800) cto = version === 1 ? dv.getInt32(at) : dv.getUint32(at);
  const mdat = top.find((b) => b.type === 'mdat');
  return { dts, duration, cto, data: mdat ? u8.subarray(mdat.body, mdat.end) : new Uint8Array(0) };
}

const CAPTURE = new TextEncoder().encode('capture_us=');

/** The simulated cameras' SEI capture time (µs since 1970) in a frame's data, or null. */
export function findCaptureUs(data) {
  const n = Math.min(data.length, 4096) - CAPTURE.length;
  outer: for (let i = 0; i < n; i++) {
    for (let k = 0; k < CAPTURE.length; k++) {
      if (data[i + k] !== CAPTURE[k]) continue outer;
    }
    let v = 0;
    let j = i + CAPTURE.length;
    for (; j < data.length && data[j] >= 48 && data[j] <= 57; j++) v = v * 10 + (data[j] - 48);
    return j > i + CAPTURE.length ? v : null;
  }
  return null;
}

// ---- time display ----

const hms = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
let hmsSecond = NaN;
let hmsText = '';

/** "HH:MM:SS.mmm" in Europe/Amsterdam for ms since 1970. */
export function formatFrameTime(ms) {
  const s = Math.floor(ms / 1000);
  if (s !== hmsSecond) { hmsSecond = s; hmsText = hms.format(new Date(s * 1000)); }
  return `${hmsText}.${String(Math.floor(ms - s * 1000)).padStart(3, '0')}`;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- one tile ----

export class Tile {
  constructor(grid, camera, name, state) {
    this.grid = grid;
    this.camera = camera;
    this.name = name;
    this.framesPresented = 0;
    this.frameWallMs = null;
    this.lastPresentedAt = 0;
    this.glass = [];        // bench: glass-to-glass latencies (ms)
    this.arrival = [];      // bench: capture to arrival in the page (ms)
    this.ignored = 0;       // frames that came before any init segment
    this.dropped = 0;       // frames dropped to catch up (queue full, quota)
    this.jumps = 0;         // seeks to keep up with the live edge
    this.element = el('article', 'tile');
    this.element.dataset.camera = camera;
    this.element.dataset.framesPresented = '0';
    const head = el('header', 'tile-head');
    head.append(el('span', 'tile-name', name));
    this.stopButton = el('button', 'tile-stop', 'Stoppen');
    this.stopButton.type = 'button';
    this.stopButton.setAttribute('aria-label', `Stoppen: ${name}`);
    this.stopButton.addEventListener('click', () => grid.stop(camera));
    head.append(this.stopButton);
    this.video = el('video', 'tile-video');
    this.video.muted = true;
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.setAttribute('muted', '');
    this.video.setAttribute('playsinline', '');
    this.video.setAttribute('aria-label', `Live beeld ${name}`);
    this.video.addEventListener('error', () => this.onVideoError());
    const overlay = el('div', 'tile-overlay');
    this.timeEl = el('span', 'tile-time', '--:--:--.---');
    this.stateEl = el('span', 'tile-state');
    overlay.append(this.timeEl, this.stateEl);
    this.noticeEl = el('p', 'tile-notice');
    this.noticeEl.hidden = true;
    const screen = el('div', 'tile-screen');
    screen.append(this.video, overlay, this.noticeEl);
    this.element.append(head, screen);
    this.resetMedia();
    this.setStatus('starting');
    this.setState(state ?? null, null);
  }

  resetMedia() {
    this.ms = null;
    this.sb = null;
    this.url = null;
    this.mime = null;
    this.timescale = 90000;
    this.ops = [];
    this.initBytes = null;  // the current init segment, to rebuild after an error
    this.haveInit = false;
    this.needKey = true;
    this.pendingOffset = true;
    this.offset = 0;        // seconds added to the stream's times (timestampOffset)
    this.nextTime = 0;      // end of what was appended, on the video's timeline
    this.frames = [];       // [{t, wallMs, captureUs}] by presentation time
    this.inflight = null;   // the operation the SourceBuffer is busy with
    this.lastKeyTime = null; // presentation time of the newest keyframe appended
    this.lastJumpAt = -Infinity;
    this.catchingUp = false;
  }

  setStatus(status, notice) {
    this.status = status;
    this.element.dataset.status = status;
    if (notice !== undefined) {
      this.notice = notice;
      this.noticeEl.textContent = notice ?? '';
      this.noticeEl.hidden = !notice;
    }
  }

  /** Shows @text instead of video (never a silent black tile). */
  showNotice(text, status = 'notice') {
    this.teardown();
    this.video.hidden = true;
    this.setStatus(status, text);
  }

  /** This browser cannot show the camera's video: say so, and stop its stream (nobody sees it). */
  cannotPlay(text, status = 'notice') {
    this.showNotice(text, status);
    this.grid.release(this);
  }

  setState(state, reason) {
    this.state = state;
    if (state) this.element.dataset.state = state; else delete this.element.dataset.state;
    let text = stateText[state] ?? (state ?? '');
    if (state === 'down' && reason) text += `: ${reason}`;
    this.stateEl.textContent = text;
    this.stateEl.className = `tile-state state-${state ?? 'unknown'}`;
    this.element.classList.toggle('tile-down', state === 'down');
  }

  /** The reply to live.start. */
  started(reply) {
    if (reply.playable === false) {
      this.cannotPlay(reply.notice || 'Deze camera kan in deze browser niet live worden getoond.');
      return;
    }
    if (typeof MediaSource === 'undefined') {
      this.cannotPlay('Deze browser kan geen live beeld tonen (geen Media Source Extensions).');
      return;
    }
    if (reply.mime && !MediaSource.isTypeSupported(reply.mime)) {
      this.cannotPlay(`Deze browser kan dit videoformaat niet tonen (${reply.mime}).`);
      return;
    }
    if (this.status === 'starting') this.setStatus('waiting', 'Wachten op beeld…');
    this.openMediaSource();
    this.watchFrames();
  }

  openMediaSource() {
    this.ms = new MediaSource();
    this.url = URL.createObjectURL(this.ms);
    this.ms.addEventListener('sourceopen', () => this.pump(), { once: true });
    this.video.hidden = false;
    this.video.src = this.url;
  }

  teardown() {
    if (this.url) {
      URL.revokeObjectURL(this.url);
      this.video.removeAttribute('src');
      this.video.load();
    }
    this.resetMedia();
  }

  /** Rebuilds the MediaSource and starts again from the next keyframe with the last init segment. */
  rebuild() {
    const init = this.initBytes;
    this.teardown();
    this.openMediaSource();
    if (init) this.onInit(init);
  }

  watchFrames() {
    if (this.watching) return;
    this.watching = true;
    const v = this.video;
    if (typeof v.requestVideoFrameCallback === 'function') {
      const onFrame = (now, md) => {
        if (!this.watching) return;
        this.presented(md.mediaTime, md.expectedDisplayTime ?? now);
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    } else {
      // Coarser: the time of the current position, a few times a second.
      v.addEventListener('timeupdate', () => this.presented(v.currentTime, performance.now()));
    }
  }

  /** A frame with presentation time @mediaTime went on screen at @displayNow (performance.now() clock). */
  presented(mediaTime, displayNow) {
    const f = this.frameAt(mediaTime);
    this.framesPresented++;
    this.lastPresentedAt = performance.now();
    this.element.dataset.framesPresented = String(this.framesPresented);
    if (this.stale) { this.stale = false; this.element.classList.remove('tile-stale'); }
    if (this.status !== 'playing') this.setStatus('playing', null);
    if (!f) return;
    this.frameWallMs = f.wallMs;
    this.element.dataset.frameWallMs = String(Math.round(f.wallMs));
    this.timeEl.textContent = formatFrameTime(f.wallMs);
    if (f.captureUs != null && this.grid.hooks.captureScan && this.glass.length < 1e6) {
      this.glass.push(performance.timeOrigin + displayNow - f.captureUs / 1000);
    }
  }

  /** The frame whose presentation time is @t (the last one at or before it). */
  frameAt(t) {
    const a = this.frames;
    let lo = 0;
    let hi = a.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].t <= t + 0.0005) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 && t - a[found].t < 1 ? a[found] : null;
  }

  // ---- data from the server ----

  onInit(mp4) {
    if (!this.ms) return; // not started, or a notice is shown
    const info = parseInit(mp4);
    if (!info) { this.showNotice('Onleesbaar beeld van de server (init-segment).', 'error'); return; }
    if (info.hevc) { this.cannotPlay('H.265: wordt opgenomen, maar deze browser kan het niet live tonen'); return; }
    if (!info.mime || !MediaSource.isTypeSupported(info.mime)) {
      this.cannotPlay(`Deze browser kan dit videoformaat niet tonen (${info.mime ?? 'onbekend'}).`);
      return;
    }
    this.initBytes = mp4.slice();
    if (this.mime && this.mime !== info.mime) {
      if (this.sb && typeof this.sb.changeType === 'function') {
        this.ops.push({ op: 'changeType', mime: info.mime });
      } else {
        this.mime = null;
        this.rebuild();
        return;
      }
    }
    this.mime = info.mime;
    this.timescale = info.timescale;
    this.ops.push({ op: 'append', data: this.initBytes });
    this.haveInit = true;
    this.needKey = true;
    this.pendingOffset = true; // a new stream: its decode times start anew
    this.pump();
  }

  onFrame(key, wallMs, mp4) {
    if (!this.haveInit || !this.ms) { this.ignored++; return; }
    if (this.needKey && !key) { this.dropped++; return; }
    const frag = parseFragment(mp4);
    if (!frag) return;
    if (this.ops.length > MAX_QUEUE) {
      // The decoder falls behind (a hidden tab, a slow machine): drop what
      // waits and go on from the next keyframe rather than lag ever more.
      this.dropQueuedFrames();
      if (!key) return;
    }
    this.needKey = false;
    const ts = this.timescale;
    const op = { op: 'append', data: mp4 };
    if (this.pendingOffset) {
      this.offset = this.nextTime - frag.dts / ts;
      op.offset = this.offset;
      this.pendingOffset = false;
    }
    const t = (frag.dts + frag.cto) / ts + this.offset;
    if (key) op.keyTime = t;
    this.nextTime = Math.max(this.nextTime, (frag.dts + frag.duration) / ts + this.offset);
    const entry = { t, wallMs };
    if (this.grid.hooks.captureScan) {
      entry.captureUs = findCaptureUs(frag.data);
      if (entry.captureUs != null && this.arrival.length < 1e6) this.arrival.push(Date.now() - entry.captureUs / 1000);
    }
    const a = this.frames;
    if (a.length && a[a.length - 1].t >= t) {
      // Not after the last one (should not happen): keep the list sorted.
      while (a.length && a[a.length - 1].t >= t) a.pop();
    }
    a.push(entry);
    this.ops.push(op);
    this.pump();
  }

  dropQueuedFrames() {
    const before = this.ops.length;
    this.ops = this.ops.filter((o) => o.op !== 'append' || o.data === this.initBytes || o.offset !== undefined);
    this.dropped += before - this.ops.length;
    this.needKey = true;
  }

  pump() {
    const sb = this.ensureSourceBuffer();
    if (!sb || sb.updating || !this.ops.length) return;
    const o = this.ops.shift();
    this.inflight = o;
    try {
      if (o.op === 'append') {
        if (o.offset !== undefined) sb.timestampOffset = o.offset;
        sb.appendBuffer(o.data);
      } else if (o.op === 'remove') {
        sb.remove(o.start, o.end);
      } else if (o.op === 'changeType') {
        sb.changeType(o.mime);
        this.pump();
      }
    } catch (e) {
      if (e.name === 'QuotaExceededError' && o.op === 'append') {
        this.onQuotaExceeded(o);
      } else {
        console.warn('live', this.camera, e);
        this.rebuild();
      }
    }
  }

  ensureSourceBuffer() {
    if (this.sb) return this.sb;
    if (!this.ms || this.ms.readyState !== 'open' || !this.mime) return null;
    try {
      this.sb = this.ms.addSourceBuffer(this.mime);
    } catch (e) {
      this.cannotPlay(`Deze browser kan dit videoformaat niet tonen (${this.mime}).`);
      return null;
    }
    this.sb.mode = 'segments';
    this.sb.addEventListener('updateend', () => {
      if (this.inflight?.keyTime !== undefined) this.lastKeyTime = this.inflight.keyTime;
      this.inflight = null;
      this.followLiveEdge();
      this.pump();
    });
    this.sb.addEventListener('error', () => { console.warn('live', this.camera, 'SourceBuffer error'); });
    return this.sb;
  }

  /** The decoder failed: start again from the next keyframe, unless it keeps failing. */
  onVideoError() {
    if (!this.url) return; // not ours (torn down)
    const err = this.video.error;
    console.warn('live', this.camera, 'video error', err && err.message);
    const now = performance.now();
    this.errors = (this.errors ?? []).filter((t) => now - t < ERROR_WINDOW_MS);
    this.errors.push(now);
    if (this.errors.length >= MAX_ERRORS) {
      this.cannotPlay(`Het beeld van deze camera kan niet worden afgespeeld (${err?.message || 'decoderfout'}).`, 'error');
      return;
    }
    this.rebuild();
  }

  /** The buffer is full: free what is behind the play position and go on from the next keyframe. */
  onQuotaExceeded(o) {
    this.dropped++;
    const cut = this.video.currentTime - 0.5;
    if (o.data === this.initBytes) this.ops.unshift(o); // the init segment is needed
    this.dropQueuedFrames();
    if (cut > 0) this.ops.unshift({ op: 'remove', start: 0, end: cut });
    else this.rebuild();
    this.pump();
  }

  /**
   * Keeps the play position near the newest frame. A seek makes the decoder
   * start again at the keyframe before the new position and decode every
   * frame up to it (up to a GOP's worth), so seeks are kept rare: a little
   * behind, play faster; far behind, seek to the newest keyframe (nothing to
   * decode in vain) and catch up from there; only when no keyframe helps and
   * the lag is beyond a GOP, seek to the live edge itself, at most every
   * JUMP_EVERY_MS.
   */
  followLiveEdge() {
    const v = this.video;
    const b = v.buffered;
    if (!b.length) return;
    const start = b.start(b.length - 1);
    const end = b.end(b.length - 1);
    const t = v.currentTime;
    const lag = end - t;
    const now = performance.now();
    if (t < start - 0.001) {
      // Before the newest range: starting, or after a gap (frames dropped).
      this.seek(Math.max(start, end - TARGET_LAG_S), now);
    } else if (lag > MAX_LAG_S) {
      const k = this.lastKeyTime;
      if (k != null && k >= start && k > t + 0.05) this.seek(k, now);
      else if (lag > HARD_LAG_S && now - this.lastJumpAt > JUMP_EVERY_MS) this.seek(end - TARGET_LAG_S, now);
      this.catchingUp = true;
    } else if (lag > SOFT_LAG_S) {
      this.catchingUp = true;
    } else if (lag <= TARGET_LAG_S) {
      this.catchingUp = false;
    }
    const rate = !this.catchingUp ? 1 : v.buffered.end(b.length - 1) - v.currentTime > 1 ? FAST_CATCHUP_RATE : CATCHUP_RATE;
    if (v.playbackRate !== rate) v.playbackRate = rate;
    if (v.paused) v.play().catch(() => {});
  }

  seek(to, now) {
    this.video.currentTime = to;
    this.lastJumpAt = now;
    this.jumps++;
  }

  /** Every quarter second (grid timer). */
  tick(now) {
    if (!this.sb) return;
    const v = this.video;
    const b = v.buffered;
    // Keep KEEP_S behind the play position, and never more than 3 KEEP_S
    // behind the newest frame (a hidden tab may not play at all).
    const keepFrom = b.length ? Math.max(v.currentTime, b.end(b.length - 1) - 2 * KEEP_S) - KEEP_S : null;
    if (b.length && !this.ops.some((o) => o.op === 'remove') && keepFrom - b.start(0) > TRIM_EVERY_S) {
      this.ops.push({ op: 'remove', start: 0, end: keepFrom });
      this.pump();
    }
    let drop = 0;
    if (keepFrom !== null) while (drop < this.frames.length && this.frames[drop].t < keepFrom - 2) drop++;
    drop = Math.max(drop, this.frames.length - MAX_FRAMES);
    if (drop > 0) this.frames.splice(0, drop);
    this.followLiveEdge();
    const stale = this.status === 'playing' && now - this.lastPresentedAt > STALE_MS;
    if (stale !== !!this.stale) {
      this.stale = stale;
      this.element.classList.toggle('tile-stale', stale);
    }
  }

  close() {
    this.watching = false;
    this.teardown();
    this.element.remove();
  }
}

// ---- the grid of tiles ----

export const LAYOUTS = [1, 4, 9, 16];

export class LiveGrid {
  /**
   * @param container element that holds the tiles
   * @param api {request(type, fields) -> Promise, cameraName(id), cameraState(id), cameras() -> [{camera, name}], onChange()}
   * @param hooks object shared with tests (window.__uk): gets .tiles
   *
   * The grid shows LAYOUTS[i] places (1, 4, 9 or 16: 1x1 to 4x4); places
   * without a camera offer one. Watching a camera when every place is taken
   * moves to the next larger layout (at 16, the oldest tile is stopped);
   * choosing a smaller layout stops the tiles that no longer fit. One tile
   * is selected (click or keyboard focus): the incident form starts with
   * its camera. The container's data-layout says the layout.
   */
  constructor(container, api, hooks = {}) {
    this.container = container;
    this.api = api;
    this.hooks = hooks;
    this.tiles = new Map();
    this.selected = null;
    hooks.tiles = this.tiles;
    let saved = NaN;
    try { saved = Number(localStorage.getItem('uk.layout')); } catch { /* no storage */ }
    this.layout = LAYOUTS.includes(saved) ? saved : 4;
    this.timer = setInterval(() => {
      const now = performance.now();
      for (const t of this.tiles.values()) t.tick(now);
    }, 250);
    container.addEventListener('focusin', (e) => {
      const t = e.target.closest('.tile');
      if (t) this.select(t.dataset.camera);
    });
    container.addEventListener('pointerdown', (e) => {
      const t = e.target.closest('.tile');
      if (t) this.select(t.dataset.camera);
    });
    container.addEventListener('change', (e) => {
      const sel = e.target.closest('select.slot-camera');
      if (sel && sel.value) this.watch(sel.value).then(() => this.tiles.get(sel.value)?.element.focus()).catch(() => {});
    });
    this.renderSlots();
  }

  watching(camera) {
    return this.tiles.has(camera);
  }

  /** Sets the layout (1, 4, 9 or 16 places); tiles beyond it are stopped. */
  setLayout(n) {
    if (!LAYOUTS.includes(n)) return;
    this.layout = n;
    try { localStorage.setItem('uk.layout', String(n)); } catch { /* no storage */ }
    const extra = [...this.tiles.keys()].slice(n);
    for (const camera of extra) this.stop(camera);
    this.renderSlots();
    this.api.onChange();
  }

  /** The layout's columns, the empty places with a camera chooser. */
  renderSlots() {
    const c = this.container;
    for (const n of LAYOUTS) c.classList.toggle(`layout-${n}`, n === this.layout);
    c.dataset.layout = String(this.layout);
    for (const s of [...c.querySelectorAll('.tile-slot')]) s.remove();
    const free = this.layout - this.tiles.size;
    const options = (this.api.cameras?.() ?? []).filter((x) => !this.tiles.has(x.camera));
    for (let i = 0; i < free; i++) {
      // The same geometry as a tile: a head and a 16:9 screen.
      const slot = el('div', 'tile-slot');
      const head = el('div', 'tile-head');
      head.append(el('span', 'tile-name muted', `Plek ${this.tiles.size + i + 1}`));
      const screen = el('div', 'slot-screen');
      const label = el('label', 'slot-label');
      label.append(el('span', 'muted', 'Lege plek'));
      const sel = el('select', 'slot-camera');
      sel.append(new Option('Kies een camera…', ''));
      for (const o of options) sel.append(new Option(o.name, o.camera));
      sel.setAttribute('aria-label', `Camera voor lege plek ${this.tiles.size + i + 1}`);
      label.append(sel);
      screen.append(label);
      slot.append(head, screen);
      c.append(slot);
    }
  }

  /** Marks @camera's tile as the selected one. */
  select(camera) {
    if (!this.tiles.has(camera)) return;
    this.selected = camera;
    for (const t of this.tiles.values()) t.element.classList.toggle('tile-selected', t.camera === camera);
  }

  /** The selected tile's camera, else the first watched one, else null. */
  current() {
    if (this.selected && this.tiles.has(this.selected)) return this.selected;
    return this.tiles.keys().next().value ?? null;
  }

  /** Wall time (ms) of the frame on screen in each playing tile: Map camera -> ms. */
  frameTimes() {
    const m = new Map();
    for (const t of this.tiles.values()) {
      if (t.status === 'playing' && t.frameWallMs != null && !t.stale) m.set(t.camera, t.frameWallMs);
    }
    return m;
  }

  async watch(camera) {
    if (this.tiles.has(camera)) return this.tiles.get(camera);
    if (this.tiles.size >= this.layout) {
      const bigger = LAYOUTS.find((n) => n > this.tiles.size);
      if (bigger) this.layout = bigger;
      else this.stop(this.tiles.keys().next().value);
      try { localStorage.setItem('uk.layout', String(this.layout)); } catch { /* no storage */ }
    }
    const tile = new Tile(this, camera, this.api.cameraName(camera), this.api.cameraState(camera));
    tile.element.tabIndex = 0;
    tile.element.setAttribute('aria-label', `Camera ${tile.name}`);
    this.tiles.set(camera, tile);
    const firstSlot = this.container.querySelector('.tile-slot');
    this.container.insertBefore(tile.element, firstSlot);
    this.renderSlots();
    if (!this.selected || !this.tiles.has(this.selected)) this.select(camera);
    this.api.onChange();
    await this.start(tile);
    return tile;
  }

  async start(tile) {
    try {
      const r = await this.api.request('live.start', { camera: tile.camera });
      if (this.tiles.get(tile.camera) !== tile) return; // stopped meanwhile
      tile.started(r);
    } catch (e) {
      if (this.tiles.get(tile.camera) !== tile) return;
      const text = e.code === 'forbidden' ? 'Geen toestemming om deze camera live te bekijken.'
        : e.code === 'not_found' ? 'Deze camera bestaat niet (meer).'
          : e.code === 'not_allowed' ? `Mag nu niet live bekeken worden: ${e.message}`
            : e.code === 'closed' ? 'Verbinding met de server verbroken; opnieuw verbinden…'
              : `Live beeld niet beschikbaar: ${e.message ?? e.code ?? e}`;
      tile.showNotice(text, 'error');
    }
  }

  async stop(camera) {
    const tile = this.tiles.get(camera);
    if (!tile) return;
    const hadFocus = tile.element.contains(document.activeElement);
    this.tiles.delete(camera);
    tile.close();
    if (this.selected === camera) this.selected = null;
    this.renderSlots();
    if (hadFocus) (this.tiles.values().next().value?.element ?? this.container.querySelector('select'))?.focus();
    this.api.onChange();
    try { await this.api.request('live.stop', { camera }); } catch { /* closed: the server stops it */ }
  }

  /** Stops the server's stream for @tile but keeps the tile (it shows why). */
  release(tile) {
    if (this.tiles.get(tile.camera) !== tile) return;
    this.api.request('live.stop', { camera: tile.camera }).catch(() => {});
  }

  /** A binary websocket message. */
  onBinary(buffer) {
    const m = parseVideoMessage(buffer);
    if (!m) return;
    const tile = this.tiles.get(m.camera);
    if (!tile) return;
    if (m.kind === KIND_INIT) tile.onInit(m.mp4);
    else if (m.kind === KIND_FRAME) tile.onFrame(m.key, m.wallMs, m.mp4);
  }

  /** An event camera.state. */
  onCameraState(ev) {
    this.tiles.get(ev.camera)?.setState(ev.state, ev.reason);
  }

  /** The cameras.list result: states and names (and the empty places' choices). */
  onCameras(cameras) {
    for (const c of cameras) {
      const tile = this.tiles.get(c.camera);
      if (tile && tile.state !== c.state) tile.setState(c.state, c.last_error);
    }
    const key = cameras.map((c) => `${c.camera}\u0000${c.name}`).join('\u0001');
    if (key !== this.camerasKey && !this.container.contains(document.activeElement)) {
      this.camerasKey = key;
      this.renderSlots();
    }
  }

  /** The websocket closed: the server ended our views. */
  connectionLost() {
    for (const t of this.tiles.values()) {
      t.teardown();
      t.setStatus('starting', 'Verbinding met de server verbroken; opnieuw verbinden…');
    }
  }

  /** Logged in again (new websocket): start every open view anew. */
  resume() {
    for (const t of this.tiles.values()) {
      if (t.status === 'starting') {
        t.video.hidden = false;
        t.setStatus('starting', 'Wachten op beeld…');
        this.start(t);
      }
    }
  }

  clear() {
    for (const t of this.tiles.values()) t.close();
    this.tiles.clear();
    this.selected = null;
    this.renderSlots();
    this.api.onChange();
  }
}
