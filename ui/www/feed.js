// uitkijk console: the live incident feed of the user's areas
// (docs/PROTOCOL.md, "incidents.query", "event: incident.created,
// incident.changed"). Loads the newest 20, then puts each created incident on
// top and updates changed ones in place. Every item links to playback at the
// incident's frame. All text shown is Dutch.
import { el, time, date, severityText, statusText } from './fmt.js';

const MAX = 50;

/** The console route that plays @inc back at its frame. */
export function playbackHash(inc) {
  const t = inc.frame_time ?? inc.position;
  return `#/playback?camera=${encodeURIComponent(inc.camera)}&t=${encodeURIComponent(t)}&incident=${inc.incident}`;
}

export class Feed {
  /**
   * @param list the <ol> to fill; @param empty shown while it is empty
   * @param ctx {request, cameraName(id)}
   */
  constructor(list, empty, ctx) {
    this.list = list;
    this.empty = empty;
    this.ctx = ctx;
    this.items = new Map(); // incident number -> li
  }

  async load() {
    const r = await this.ctx.request('incidents.query', { limit: 20 });
    this.list.replaceChildren();
    this.items.clear();
    for (const inc of r.incidents) this.list.append(this.item(inc));
    this.updateEmpty();
  }

  /** An incident.created or incident.changed event (or an own reply). */
  onEvent(msg) {
    if ((msg.event !== 'incident.created' && msg.event !== 'incident.changed') || !msg.incident) return;
    this.put(msg.incident, msg.event === 'incident.created');
  }

  put(inc, fresh = true) {
    const old = this.items.get(inc.incident);
    const li = this.item(inc);
    if (old) {
      old.replaceWith(li);
    } else {
      this.list.prepend(li);
      if (fresh) {
        li.classList.add('feed-new');
        setTimeout(() => li.classList.remove('feed-new'), 4000);
      }
    }
    while (this.list.children.length > MAX) {
      const last = this.list.lastElementChild;
      this.items.delete(Number(last.dataset.incident));
      last.remove();
    }
    this.updateEmpty();
  }

  updateEmpty() {
    if (this.empty) this.empty.hidden = this.list.children.length > 0;
  }

  item(inc) {
    const li = el('li', `feed-item sev-${inc.severity} status-${inc.status}`);
    li.dataset.incident = String(inc.incident);
    const a = el('a', 'feed-link');
    a.href = playbackHash(inc);
    a.title = 'Terugkijken vanaf dit beeld';
    const when = inc.frame_time ?? inc.position;
    const today = date(when) === date(Date.now());
    const head = el('span', 'feed-head');
    head.append(el('strong', 'feed-number', `#${inc.incident}`), ' ',
      el('time', 'feed-time', today ? time(when) : `${date(when)} ${time(when)}`), ' ',
      el('span', 'feed-category', inc.category), ' ',
      el('span', `badge ${inc.severity === 'high' ? 'danger' : inc.severity === 'medium' ? 'warn' : ''}`, severityText[inc.severity] ?? inc.severity));
    if (inc.status !== 'open') head.append(' ', el('span', 'badge', statusText[inc.status] ?? inc.status));
    head.querySelector('time').dateTime = when;
    const cams = (inc.cameras?.length ? inc.cameras : [inc.camera]).map((c) => this.ctx.cameraName(c)).join(', ');
    a.append(head, el('span', 'feed-cameras muted', `${cams} · ${inc.area_name ?? inc.area} · ${inc.created_by}`),
      el('span', 'feed-text', inc.description));
    li.append(a);
    this.items.set(inc.incident, li);
    return li;
  }
}
