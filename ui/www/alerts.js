// uitkijk console: the "Meldingen" list (alerts), newest first.
//
// Two sources:
//  - the server's alert events (docs/PROTOCOL.md, "event: alert"):
//    {"type":"event","event":"alert","alert":{alert, kind, camera, areas,
//    message, raised, resolved, active, ...}} (at and area are taken too). An
//    alert sent again as resolved (active false) marks its entry resolved
//    instead of adding one (camera.up comes resolved: it is news and always
//    makes an entry); alerts.list fills the list at login;
//  - the camera.state events themselves: a camera going down, and coming back
//    after that, makes an entry too (also for servers without alerts).
// The same camera and kind within DEDUPE_MS (as received) make one entry; the
// server's text wins over the console's own.

const DEDUPE_MS = 1000;
const MAX_ENTRIES = 200;

const clock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

export class Alerts {
  /** @param list the <ul role="log"> to fill; @param empty shown while there is none */
  constructor(list, empty) {
    this.list = list;
    this.empty = empty;
    this.recent = new Map(); // camera + kind -> {at (performance.now()), li, fromServer}
    this.byId = new Map();   // the server's alert id -> li
    this.known = new Set();  // cameras whose state we know (from a list or an event)
    this.down = new Set();   // cameras down since their last entry: up again makes one
  }

  /** The server's alert (the event's "alert" object). */
  fromServer(a) {
    // camera.up comes resolved at once: it is news, not a resolution.
    const resolved = a.kind !== 'camera.up' && (a.active === false || a.resolved != null);
    const old = a.alert != null ? this.byId.get(a.alert) : null;
    if (resolved) {
      if (old) this.markResolved(old, a.resolved);
      return old ?? null;
    }
    if (old) return old;
    const li = this.add({
      kind: a.kind, camera: a.camera, area: a.area ?? (Array.isArray(a.areas) ? a.areas.join(' ') : null),
      message: a.message, at: a.at ?? a.raised, fromServer: true,
    });
    if (a.alert != null) {
      this.byId.set(a.alert, li);
      li.dataset.alert = String(a.alert);
    }
    if (a.severity) li.dataset.severity = a.severity;
    return li;
  }

  markResolved(li, when) {
    if (li.classList.contains('alert-resolved')) return;
    li.classList.add('alert-resolved');
    const t = when ? new Date(when) : new Date();
    const note = document.createElement('span');
    note.className = 'alert-note';
    note.textContent = ` (opgelost ${clock.format(t)})`;
    li.append(note);
  }

  /** A camera.state event; @name is the camera's display name. */
  fromCameraState(ev, name) {
    const wasDown = this.down.has(ev.camera);
    this.known.add(ev.camera);
    if (ev.state === 'down' && !wasDown) {
      this.down.add(ev.camera);
      this.add({ kind: 'camera.down', camera: ev.camera, area: ev.area,
        message: `Camera ${name} is uitgevallen${ev.reason ? ` (${ev.reason})` : ''}` });
    } else if (ev.state === 'recording' && wasDown) {
      this.down.delete(ev.camera);
      this.add({ kind: 'camera.up', camera: ev.camera, area: ev.area, message: `Camera ${name} is weer in beeld` });
    }
  }

  /** Learns from a cameras.list which cameras are down already (no entry for those). */
  knowStates(cameras) {
    for (const c of cameras) {
      if (this.known.has(c.camera)) continue;
      this.known.add(c.camera);
      if (c.state === 'down') this.down.add(c.camera);
    }
  }

  add({ kind, camera, area, message, at, fromServer = false }) {
    const key = `${camera ?? ''}\u0000${kind ?? ''}`;
    const now = performance.now();
    const seen = this.recent.get(key);
    if (seen && now - seen.at < DEDUPE_MS && seen.li.isConnected) {
      if (fromServer && !seen.fromServer) {
        seen.fromServer = true;
        if (message) seen.li.querySelector('.alert-text').textContent = message;
      }
      return seen.li;
    }
    let when = at ? new Date(at) : new Date();
    if (Number.isNaN(when.getTime())) when = new Date();
    const li = document.createElement('li');
    li.className = `alert alert-${String(kind ?? 'other').replace(/[^a-z0-9]+/gi, '-')}`;
    li.dataset.kind = kind ?? '';
    if (camera) li.dataset.camera = camera;
    if (area) li.dataset.area = area;
    const time = document.createElement('time');
    time.dateTime = when.toISOString();
    time.textContent = clock.format(when);
    const text = document.createElement('span');
    text.className = 'alert-text';
    text.textContent = message ?? kind ?? '';
    li.append(time, ' ', text);
    this.list.prepend(li);
    this.list.scrollTop = 0; // the newest on top, in view
    while (this.list.children.length > MAX_ENTRIES) this.list.lastElementChild.remove();
    if (this.empty) this.empty.hidden = true;
    this.recent.set(key, { at: now, li, fromServer });
    return li;
  }
}
