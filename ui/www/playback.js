// uitkijk console: playback (docs/PROTOCOL.md, "Playback").
//
// The recording itself, not transcoded: `playback.open` grants this browser
// the segment files of a range; they are fetched in byte ranges from
// /files/pb/... and appended to a Media Source Extensions buffer, each file
// shifted (timestampOffset) to its wall-clock place, so the media time is
// "seconds since the playback's base instant" and the time on screen is
// base + currentTime. A timeline (`timeline`) shows recorded spans, gaps and
// incidents; clicking it jumps there. Speeds x1..x8 and frame steps are the
// video element's own. All text shown is Dutch.

import { toLocalInput, fromLocalInput } from './fmt.js';

const CHUNK = 1 << 20;          // bytes per Range request
const AHEAD_S = 20;             // keep this much buffered ahead
const BEHIND_S = 30;            // and drop what is further behind
const FRAME_S = 0.04;           // a frame at 25 fps, for the step buttons

const clock = new Intl.DateTimeFormat('nl-NL', {
  timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false,
});

function waitEvent(target, name) {
  return new Promise((resolve) => target.addEventListener(name, resolve, { once: true }));
}

export class Playback {
  /** @param root the section holding the player; ctx {request, cameras()} */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.video = root.querySelector('video');
    this.timeEl = root.querySelector('.pb-time');
    this.statusEl = root.querySelector('.pb-status');
    this.bar = root.querySelector('.pb-timeline');
    this.session = 0; // bumps on every open: stale loads stop
    root.querySelector('.pb-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      const at = fromLocalInput(f.get('at'));
      if (Number.isNaN(at)) { this.status('Onjuiste datum en tijd.'); return; }
      this.open(f.get('camera'), at).catch((x) => this.status(`Mislukt: ${x.message}`));
    });
    for (const b of root.querySelectorAll('[data-speed]')) {
      b.addEventListener('click', () => { this.video.playbackRate = Number(b.dataset.speed); this.video.play().catch(() => {}); });
    }
    root.querySelector('.pb-pause').addEventListener('click', () => (this.video.paused ? this.video.play() : this.video.pause()));
    root.querySelector('.pb-back').addEventListener('click', () => this.step(-1));
    root.querySelector('.pb-next').addEventListener('click', () => this.step(1));
    this.bar.addEventListener('click', (e) => {
      if (!this.tl) return;
      const r = this.bar.getBoundingClientRect();
      const t = this.tl.from + (this.tl.to - this.tl.from) * ((e.clientX - r.left) / r.width);
      this.open(this.camera, t).catch(() => {});
    });
    this.video.addEventListener('timeupdate', () => this.tick());
    // Paused seeks (frame steps, an incident's frame): the time of the frame shown.
    this.video.addEventListener('seeked', () => {
      if (this.base == null || !this.video.paused) return;
      const ms = this.base + this.video.currentTime * 1000;
      this.root.dataset.frameWallMs = String(Math.round(ms));
      this.timeEl.textContent = clock.format(new Date(ms));
    });
    this.video.requestVideoFrameCallback?.(this.onFrame.bind(this));
  }

  status(text) { this.statusEl.textContent = text; }

  fillCameras() {
    const sel = this.root.querySelector('select[name=camera]');
    if (sel.options.length) return;
    for (const c of this.ctx.cameras()) sel.append(new Option(c.name, c.camera));
  }

  /** The page becomes visible (the console shows the section). */
  show() {
    this.fillCameras();
    const input = this.root.querySelector('input[name=at]');
    if (!input.value) input.value = toLocalInput(Date.now() - 60e3);
  }

  /** The page is hidden: pause. */
  hide() {
    this.video.pause();
  }

  /** The wall time (ms) on screen. */
  wallMs() { return this.base + this.video.currentTime * 1000; }

  onFrame(now, meta) {
    if (this.base != null) {
      // Paused (a seek, a frame step): the frame shown is the one at currentTime.
      const t = this.video.paused && !this.video.seeking ? this.video.currentTime : meta.mediaTime;
      const ms = this.base + t * 1000;
      this.root.dataset.frameWallMs = String(Math.round(ms));
      this.root.dataset.framesPresented = String(Number(this.root.dataset.framesPresented ?? 0) + 1);
      this.timeEl.textContent = clock.format(new Date(ms));
    }
    this.video.requestVideoFrameCallback(this.onFrame.bind(this));
  }

  step(dir) {
    this.video.pause();
    this.video.currentTime = Math.max(0, this.video.currentTime + dir * FRAME_S);
  }

  async drawTimeline(camera, at) {
    const from = at - 30 * 60e3, to = at + 30 * 60e3; /* an hour around the instant */
    const r = await this.ctx.request('timeline', { camera, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    this.tl = { from, to };
    const pct = (t) => `${(100 * (new Date(t).getTime() - from)) / (to - from)}%`;
    const width = (a, b) => `${(100 * (new Date(b).getTime() - new Date(a).getTime())) / (to - from)}%`;
    this.bar.replaceChildren();
    for (const s of r.recorded) {
      const d = document.createElement('div');
      d.className = 'pb-span';
      d.style.left = pct(s.start);
      d.style.width = width(s.start, s.end);
      this.bar.append(d);
    }
    for (const g of r.gaps) {
      const d = document.createElement('div');
      d.className = 'pb-gap';
      d.style.left = pct(g.start);
      d.style.width = width(g.start, g.end ?? new Date(to).toISOString());
      d.title = `Geen opname: ${g.reason}`;
      this.bar.append(d);
    }
    for (const i of r.incidents) {
      const d = document.createElement('div');
      d.className = `pb-incident sev-${i.severity}`;
      d.style.left = pct(i.time);
      d.title = `Incident ${i.incident}: ${i.category}`;
      this.bar.append(d);
    }
    const now = document.createElement('div');
    now.className = 'pb-cursor';
    now.style.left = pct(new Date(at).toISOString());
    this.bar.append(now);
    this.cursor = now;
  }

  /**
   * Plays @camera from wall time @at (ms). With @opts.hold (a text), it stops
   * at that frame instead, saying @opts.hold (an incident: its frame first).
   */
  async open(camera, at, opts = {}) {
    const session = ++this.session;
    this.hold = opts.hold ?? null;
    this.show();
    this.camera = camera;
    const sel = this.root.querySelector('select[name=camera]');
    if ([...sel.options].some((o) => o.value === camera)) sel.value = camera;
    this.root.querySelector('input[name=at]').value = toLocalInput(at);
    this.status('Laden…');
    this.root.dataset.camera = camera;
    this.root.dataset.framesPresented = '0';
    delete this.root.dataset.frameWallMs;
    await this.drawTimeline(camera, at).catch(() => {});
    const r = await this.ctx.request('playback.open', {
      camera, from: new Date(at).toISOString(), to: new Date(at + 3600e3).toISOString(),
    });
    if (session !== this.session) return;
    if (!r.segments.length) { this.status('Geen opname op dit moment.'); return; }
    const first = r.segments[0];
    if (first.codec === 'h265') { this.status('H.265: wordt opgenomen, maar deze browser kan het niet afspelen.'); return; }
    this.segments = r.segments;
    this.base = new Date(first.start).getTime();
    this.target = at;
    const ms = new MediaSource();
    this.video.src = URL.createObjectURL(ms);
    await waitEvent(ms, 'sourceopen');
    if (session !== this.session) return;
    this.ms = ms;
    this.sb = null;
    this.next = 0;
    this.loading = false;
    this.started = false;
    await this.fill(session);
  }

  async append(buf) {
    this.sb.appendBuffer(buf);
    await waitEvent(this.sb, 'updateend');
  }

  /** Appends the next segment(s) while less than AHEAD_S is buffered. */
  async fill(session) {
    if (this.loading) return;
    this.loading = true;
    try {
      while (session === this.session && this.next < this.segments.length) {
        const end = this.sb && this.sb.buffered.length ? this.sb.buffered.end(this.sb.buffered.length - 1) : 0;
        if (this.started && end - this.video.currentTime > AHEAD_S) break;
        const seg = this.segments[this.next++];
        const head = await fetch(seg.url, { method: 'HEAD', credentials: 'same-origin' });
        if (!head.ok) throw new Error(`segment ${head.status}`);
        const size = Number(head.headers.get('Content-Length'));
        for (let off = 0; off < size && session === this.session; off += CHUNK) {
          const res = await fetch(seg.url, { credentials: 'same-origin', headers: { Range: `bytes=${off}-${Math.min(size, off + CHUNK) - 1}` } });
          if (res.status !== 206 && res.status !== 200) throw new Error(`segment ${res.status}`);
          const buf = await res.arrayBuffer();
          if (!this.sb) {
            this.sb = this.ms.addSourceBuffer(seg.mime ?? 'video/mp4; codecs="avc1.64001f"');
            this.sb.mode = 'segments';
          }
          if (off === 0) this.sb.timestampOffset = (new Date(seg.start).getTime() - this.base) / 1000;
          await this.append(buf);
          if (!this.started && this.sb.buffered.length && this.sb.buffered.end(this.sb.buffered.length - 1) * 1000 + this.base > this.target) {
            this.started = true;
            this.video.currentTime = (this.target - this.base) / 1000;
            if (this.hold) {
              this.video.pause();
              this.status(this.hold);
            } else {
              this.video.play().catch(() => {});
              this.status('');
            }
          }
        }
      }
      // Memory: drop what is far behind.
      if (this.sb && this.video.currentTime > BEHIND_S && !this.sb.updating) {
        this.sb.remove(0, this.video.currentTime - BEHIND_S);
        await waitEvent(this.sb, 'updateend');
      }
    } catch (x) {
      if (session === this.session) this.status(`Afspelen mislukt: ${x.message}`);
    } finally {
      this.loading = false;
    }
  }

  tick() {
    if (this.base == null) return;
    if (this.cursor && this.tl) {
      this.cursor.style.left = `${(100 * (this.wallMs() - this.tl.from)) / (this.tl.to - this.tl.from)}%`;
    }
    this.fill(this.session);
  }
}
