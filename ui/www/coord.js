// uitkijk console: coordination (docs/PROTOCOL.md, "Coordination").
//
// Who watches which camera: the "Toezicht" cell of each camera row (holder,
// live viewers, must-watch), claim / release / handover, the handover note a
// colleague sends, and the supervisor's plans (station shifts, events).
// All text shown is Dutch.

import { dateTime, toLocalInput, fromLocalInput } from './fmt.js';

const fmt = { format: (d) => dateTime(d).slice(0, -3) }; // "28-11-2026 21:04"

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** datetime-local value (Europe/Amsterdam wall time) -> RFC 3339. */
function localToIso(value) {
  const ms = fromLocalInput(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function isoToLocalInput(d) {
  return toLocalInput(d).slice(0, 16);
}

export class Coordination {
  /**
   * @param ctx {request, session(), cameraName(id), cameras(), onChange(), notify(text, kind)}
   */
  constructor(ctx) {
    this.ctx = ctx;
    this.presence = new Map(); // camera -> presence entry
    this.plans = [];
    this.dialog = null;
  }

  get me() { return this.ctx.session()?.user ?? null; }
  get role() { return this.ctx.session()?.role ?? null; }
  get canClaim() { return this.role === 'operator' || this.role === 'supervisor'; }

  async load() {
    if (!this.canClaim) return;
    const r = await this.ctx.request('presence');
    this.presence.clear();
    for (const c of r.cameras) this.presence.set(c.camera, c);
    await this.loadPlans();
    this.ctx.onChange();
  }

  async loadPlans() {
    const r = await this.ctx.request('plans.list');
    this.plans = r.plans;
    this.renderPlans();
  }

  onEvent(msg) {
    if (msg.event === 'presence') {
      for (const c of msg.cameras) this.presence.set(c.camera, c);
      this.ctx.onChange();
    } else if (msg.event === 'handover') {
      const names = msg.cameras.map((id) => this.ctx.cameraName(id)).join(', ');
      const text = msg.to === this.me
        ? `Overdracht van ${msg.from}: ${names}${msg.note ? ` — ${msg.note}` : ''}`
        : `Overgedragen aan ${msg.to}: ${names}`;
      this.ctx.notify(text, 'handover');
    } else if (msg.event === 'plan.created' || msg.event === 'plan.cancelled') {
      this.loadPlans().catch(() => {});
    }
  }

  /** The "Toezicht" cell for a camera row. */
  cell(camera) {
    const td = el('td', { class: 'coord' });
    const p = this.presence.get(camera);
    if (!p) return td;
    const parts = [];
    if (p.claimed_by) {
      parts.push(el('span', { class: p.claimant_online ? 'claim' : 'claim claim-away' },
        p.claimed_by === this.me ? 'door u' : p.claimed_by,
        p.claimant_online ? '' : ' (niet verbonden)'));
    }
    const viewers = p.viewers.filter((v) => v !== p.claimed_by);
    if (viewers.length) parts.push(el('span', { class: 'viewers' }, `kijkt: ${viewers.join(', ')}`));
    if (p.must_watch) {
      parts.push(el('span', { class: p.watched ? 'badge must' : 'badge must unwatched' },
        p.watched ? 'verplicht' : 'verplicht — niemand kijkt'));
    }
    if (!parts.length) parts.push(el('span', { class: 'muted' }, '—'));
    td.append(...parts.flatMap((x) => [x, ' ']));
    if (this.canClaim) {
      const mine = p.claimed_by === this.me;
      if (!mine) {
        td.append(el('button', { type: 'button', class: 'small claim-btn', dataset: { camera } }, 'Claimen'));
      } else {
        td.append(el('button', { type: 'button', class: 'small release-btn', dataset: { camera } }, 'Vrijgeven'),
          ' ', el('button', { type: 'button', class: 'small handover-btn', dataset: { camera } }, 'Overdragen'));
      }
    }
    return td;
  }

  /** Clicks inside the camera table. */
  async onClick(target) {
    const b = target.closest('button');
    if (!b) return false;
    const camera = b.dataset.camera;
    try {
      if (b.classList.contains('claim-btn')) {
        await this.ctx.request('camera.claim', { camera });
      } else if (b.classList.contains('release-btn')) {
        await this.ctx.request('camera.release', { camera });
      } else if (b.classList.contains('handover-btn')) {
        this.openHandover(camera);
      } else {
        return false;
      }
    } catch (e) {
      this.ctx.notify(e.code === 'claimed' ? `Al geclaimd: ${e.message}` : `Mislukt: ${e.message}`, 'error');
    }
    return true;
  }

  colleagues() {
    const names = new Set();
    for (const p of this.presence.values()) {
      if (p.claimed_by && p.claimant_online) names.add(p.claimed_by);
      for (const v of p.viewers) names.add(v);
    }
    for (const plan of this.plans) for (const o of plan.operators) names.add(o);
    names.delete(this.me);
    return [...names].sort();
  }

  openHandover(camera) {
    let d = document.getElementById('handover');
    if (!d) {
      d = el('dialog', { id: 'handover' },
        el('form', { method: 'dialog', class: 'dialog-form' },
          el('h2', {}, 'Camera overdragen'),
          el('p', { class: 'handover-cams' }),
          el('label', {}, 'Aan (gebruikersnaam)', el('input', { name: 'to', list: 'colleagues', required: true, autocomplete: 'off' })),
          el('datalist', { id: 'colleagues' }),
          el('label', {}, 'Overdrachtsnotitie', el('textarea', { name: 'note', rows: '3', maxlength: '2000' })),
          el('p', { class: 'dialog-error', role: 'alert' }),
          el('div', { class: 'dialog-buttons' },
            el('button', { type: 'submit', value: 'ok' }, 'Overdragen'),
            el('button', { type: 'button', class: 'cancel' }, 'Annuleren'))));
      document.body.append(d);
      d.querySelector('.cancel').addEventListener('click', () => d.close());
      d.querySelector('form').addEventListener('submit', async (e) => {
        e.preventDefault();
        const f = new FormData(e.target);
        try {
          await this.ctx.request('camera.handover', {
            cameras: JSON.parse(d.dataset.cameras), to: f.get('to'), note: f.get('note') || null,
          });
          d.close();
        } catch (err) {
          d.querySelector('.dialog-error').textContent = `Overdracht mislukt: ${err.message}`;
        }
      });
    }
    const mine = [...this.presence.values()].filter((p) => p.claimed_by === this.me).map((p) => p.camera);
    const cameras = mine.includes(camera) ? [camera] : [camera];
    d.dataset.cameras = JSON.stringify(cameras);
    d.querySelector('.handover-cams').textContent = cameras.map((c) => this.ctx.cameraName(c)).join(', ');
    d.querySelector('.dialog-error').textContent = '';
    d.querySelector('form').reset();
    d.querySelector('#colleagues').replaceChildren(...this.colleagues().map((n) => el('option', { value: n })));
    d.showModal();
  }

  // ---- plans (shifts and events) ----

  renderPlans() {
    const section = document.getElementById('plans');
    if (!section) return;
    const list = section.querySelector('#plan-rows');
    list.replaceChildren();
    if (!this.plans.length) list.append(el('li', { class: 'muted' }, 'Geen diensten of evenementen gepland.'));
    for (const p of this.plans) {
      const cams = p.cameras.map((c) => `${this.ctx.cameraName(c.camera)}${c.must_watch ? ' (verplicht)' : ''}`).join(', ');
      const li = el('li', { class: `plan${p.active ? ' plan-active' : ''}${p.cancelled ? ' plan-cancelled' : ''}`, dataset: { plan: String(p.plan) } },
        el('strong', {}, p.name), ' ',
        el('span', { class: 'muted' }, `${p.kind === 'event' ? 'evenement' : 'dienst'}, ${fmt.format(new Date(p.start))} – ${fmt.format(new Date(p.end))}`),
        p.cancelled ? el('span', { class: 'badge' }, 'geannuleerd') : p.active ? el('span', { class: 'badge ok' }, 'nu') : null,
        el('div', {}, `Camera's: ${cams}`),
        p.operators.length ? el('div', {}, `Operators: ${p.operators.join(', ')}`) : null,
        p.note ? el('div', { class: 'muted' }, p.note) : null);
      if (this.role === 'supervisor' && !p.cancelled) {
        li.append(el('button', { type: 'button', class: 'small plan-cancel', dataset: { plan: String(p.plan) } }, 'Annuleren'));
      }
      list.append(li);
    }
    const form = section.querySelector('#plan-form');
    form.hidden = this.role !== 'supervisor';
    if (!form.hidden && !form.dataset.ready) this.setupPlanForm(form);
  }

  setupPlanForm(form) {
    form.dataset.ready = '1';
    const now = new Date();
    form.elements.start.value = isoToLocalInput(now);
    form.elements.end.value = isoToLocalInput(new Date(now.getTime() + 8 * 3600e3));
    const box = form.querySelector('.plan-cameras');
    box.replaceChildren(box.querySelector('legend') ?? '', ...this.ctx.cameras().map((c) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', name: 'camera', value: c.camera }), ` ${c.name}`)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      const cameras = f.getAll('camera');
      const err = form.querySelector('.dialog-error');
      try {
        await this.ctx.request('plan.create', {
          kind: f.get('kind'), name: f.get('name'), start: localToIso(f.get('start')), end: localToIso(f.get('end')),
          cameras, operators: (f.get('operators') || '').split(',').map((s) => s.trim()).filter(Boolean),
          note: f.get('note') || null,
        });
        err.textContent = '';
        form.elements.name.value = '';
        await this.loadPlans();
      } catch (x) {
        err.textContent = `Niet opgeslagen: ${x.message}`;
      }
    });
    document.getElementById('plan-rows').addEventListener('click', async (e) => {
      const b = e.target.closest('button.plan-cancel');
      if (!b) return;
      await this.ctx.request('plan.cancel', { plan: Number(b.dataset.plan) }).catch((x) => this.ctx.notify(`Mislukt: ${x.message}`, 'error'));
      await this.loadPlans();
    });
  }
}
