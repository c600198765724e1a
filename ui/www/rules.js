// uitkijk console: page "Aanwijzingen" (#/designations), the legal basis on
// screen (docs/PROTOCOL.md, "Legal rules"): each area's designations
// (aanwijzingsbesluiten, Gemeentewet art. 151c) with whether they are in
// force and why not, their validity, live-watch windows, DPIA reference and
// signage, and the veiligheidsrisicogebieden (art. 151b), which never enable
// cameras. Every role views them; the privacy officer and the administrator
// also save (designation.save) and withdraw (designation.withdraw) them.
// All text shown is Dutch.
import { date, dateTime, el, fromLocalInput, iso, loadCss, toLocalInput } from './fmt.js';

const reasons = {
  'the designation was withdrawn': 'ingetrokken',
  'the designation is not valid yet': 'nog niet geldig',
  'the designation has expired': 'verlopen',
  'the designation has no DPIA reference': 'geen DPIA-kenmerk',
  'signage is not confirmed for the designation': 'bebording niet bevestigd',
};
const kindText = { standing: 'vast', event: 'evenement' };
const EDIT_ROLES = new Set(['privacy', 'admin']);

const errorNames = {
  bad_json: 'Ongeldig bericht',
  bad_message: 'Ongeldige invoer',
  unknown_type: 'Deze functie kent de server niet',
  not_logged_in: 'Niet aangemeld',
  session_expired: 'De sessie is verlopen; meld opnieuw aan',
  forbidden: 'Geen toegang voor uw rol of gebied',
  not_found: 'Niet gevonden',
  not_allowed: 'Niet toegestaan volgens de wettelijke regels',
  internal: 'Fout in de server',
  closed: 'Geen verbinding met de server',
  message_too_large: 'Het bericht is te groot',
};

/** A server error ({code, message}) in Dutch, with the server's message as detail. */
export function errorText(e) {
  if (!e || typeof e !== 'object') return String(e ?? 'Onbekende fout');
  if (e instanceof Error) return `Fout: ${e.message}`;
  const name = errorNames[e.code] ?? (e.code ? `Fout (${e.code})` : 'Fout');
  return e.message ? `${name}: ${e.message}` : name;
}

/** The areas known to the console: id -> Dutch name (from the cameras, the
 * session and any extra list of {area, name}). */
export function knownAreas(ctx, extra = []) {
  const areas = new Map();
  for (const c of ctx.cameras?.() ?? []) if (c.area) areas.set(c.area, c.area_name ?? areas.get(c.area) ?? c.area);
  for (const a of ctx.session?.()?.areas ?? []) if (a.area && !areas.has(a.area)) areas.set(a.area, a.name ?? a.area);
  for (const a of extra) if (a.area && (!areas.has(a.area) || areas.get(a.area) === a.area)) areas.set(a.area, a.name ?? a.area);
  return areas;
}

/** A labelled form control: <label><span>TEXT</span>CONTROL</label>. */
function field(text, control, hint) {
  const label = el('label', 'field');
  label.append(el('span', 'field-label', text), control);
  if (hint) label.append(el('small', 'muted', hint));
  return label;
}

function input(name, attrs = {}) {
  const i = document.createElement('input');
  i.name = name;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === true) i.setAttribute(k, '');
    else if (v !== false && v != null) i.setAttribute(k, v);
  }
  return i;
}

const minutes = (t) => toLocalInput(t).slice(0, 16);

export class Rules {
  constructor(root, ctx) {
    // The old console passed the request function itself.
    if (typeof ctx === 'function') ctx = { request: ctx };
    this.root = root;
    this.ctx = ctx;
    root.replaceChildren();
    this.list = null;
    loadCss('page-rules.css');
    root.classList.add('page-rules');
    root.setAttribute('aria-labelledby', 'rules-title');

    const head = el('div', 'toolbar');
    head.append(el('h2', null, 'Aanwijzingen'));
    head.firstChild.id = 'rules-title';
    this.refreshButton = el('button', null, 'Vernieuwen');
    this.refreshButton.type = 'button';
    this.refreshButton.addEventListener('click', () => this.load());
    head.append(this.refreshButton);
    root.append(head);
    root.append(el('p', 'muted rules-intro',
      'Camera\'s nemen alleen op en mogen alleen live bekeken worden zolang hun gebied een aanwijzing van de '
      + 'burgemeester heeft die van kracht is (Gemeentewet art. 151c): binnen de geldigheid, niet ingetrokken, '
      + 'met een DPIA-kenmerk en bevestigde bebording.'));
    this.error = el('p', 'error');
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    root.append(this.error);

    const rows = el('ul', 'plans designations');
    rows.id = 'designation-rows';
    this.rows = rows;
    root.append(rows);

    root.append(el('h3', null, 'Veiligheidsrisicogebieden (art. 151b)'));
    root.append(el('p', 'muted', 'Een veiligheidsrisicogebied (preventief fouilleren) is een ander besluit en is nooit een grond voor camera\'s.'));
    const risks = el('ul', 'plans risk-areas');
    risks.id = 'risk-rows';
    this.risks = risks;
    root.append(risks);

    this.editor = el('div', 'rules-editor');
    this.editor.hidden = true;
    this.buildSaveForm();
    this.buildWithdrawForm();
    root.append(this.editor);

    rows.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-act]');
      if (!b) return;
      const d = this.list?.designations.find((x) => x.designation === b.dataset.designation);
      if (!d) return;
      if (b.dataset.act === 'edit') this.edit(d);
      else if (b.dataset.act === 'withdraw') this.askWithdraw(d);
    });
  }

  get canEdit() {
    return EDIT_ROLES.has(this.ctx.session?.()?.role);
  }

  buildSaveForm() {
    const f = el('form', 'rules-form designation-form');
    f.noValidate = false;
    const legend = el('h3', null, 'Aanwijzing vastleggen of wijzigen');
    legend.id = 'designation-form-title';
    f.setAttribute('aria-labelledby', legend.id);
    this.areaList = document.createElement('datalist');
    this.areaList.id = 'rules-area-list';
    const kind = document.createElement('select');
    kind.name = 'kind';
    for (const [v, t] of [['standing', 'Vast (doorlopend)'], ['event', 'Evenement']]) {
      const o = el('option', null, t);
      o.value = v;
      kind.append(o);
    }
    const decision = document.createElement('textarea');
    decision.name = 'decision';
    decision.required = true;
    decision.maxLength = 2000;
    decision.rows = 2;
    decision.placeholder = 'Aanwijzingsbesluit cameratoezicht …, kenmerk …';
    const signage = input('signage', { type: 'checkbox' });
    const signageLabel = el('label', 'field check');
    signageLabel.append(signage, el('span', null, 'Bebording is geplaatst en bevestigd (art. 151c lid 6)'));
    const grid = el('div', 'form-grid');
    grid.append(
      field('Kenmerk (id)', input('designation', { required: true, maxlength: 32, pattern: '[a-z0-9_\\-]{1,32}',
        placeholder: 'kermis-2026', autocomplete: 'off' }), 'a-z, 0-9, - en _; bestaand kenmerk = wijzigen'),
      field('Gebied', input('area', { required: true, list: this.areaList.id, maxlength: 32, autocomplete: 'off' })),
      field('Soort', kind),
      field('Besloten door', input('decided_by', { maxlength: 200, value: 'burgemeester' })),
      field('Geldig vanaf', input('valid_from', { type: 'datetime-local', required: true })),
      field('Geldig tot', input('valid_until', { type: 'datetime-local', required: true })),
      field('DPIA-kenmerk', input('dpia', { maxlength: 200, placeholder: 'DPIA-EV-2026-3', autocomplete: 'off' })),
      field('Live uitkijken (vensters)', input('live_watch', { maxlength: 2000, placeholder: 'fri-sat 22:00-04:00; daily 07:00-09:00',
        autocomplete: 'off' }), 'Dagen (mon … sun, daily) en tijden, gescheiden door ";"; leeg = geen'),
    );
    const wide = field('Besluit', decision);
    wide.classList.add('wide');
    grid.append(wide, signageLabel);
    this.saveError = el('p', 'error');
    this.saveError.setAttribute('role', 'alert');
    const buttons = el('div', 'toolbar');
    const submit = el('button', 'primary', 'Aanwijzing opslaan');
    submit.type = 'submit';
    const reset = el('button', null, 'Leegmaken');
    reset.type = 'button';
    reset.addEventListener('click', () => this.resetSaveForm());
    buttons.append(submit, reset);
    f.append(legend, grid, this.areaList, this.saveError, buttons);
    f.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    this.saveForm = f;
    this.editor.append(f);
    this.resetSaveForm();
  }

  resetSaveForm() {
    const f = this.saveForm;
    f.reset();
    const now = Date.now();
    f.elements.valid_from.value = minutes(now);
    f.elements.valid_until.value = minutes(now + 365 * 86400e3);
    f.elements.decided_by.value = 'burgemeester';
    this.saveError.textContent = '';
  }

  buildWithdrawForm() {
    const f = el('form', 'rules-form withdraw-form');
    f.hidden = true;
    const title = el('h3', null, 'Aanwijzing intrekken');
    title.id = 'withdraw-form-title';
    f.setAttribute('aria-labelledby', title.id);
    this.withdrawWhat = el('p', 'withdraw-what');
    const reason = document.createElement('textarea');
    reason.name = 'reason';
    reason.required = true;
    reason.maxLength = 2000;
    reason.rows = 2;
    reason.placeholder = 'Besluit van de burgemeester tot intrekking, kenmerk …';
    this.withdrawError = el('p', 'error');
    this.withdrawError.setAttribute('role', 'alert');
    const buttons = el('div', 'toolbar');
    const submit = el('button', 'danger', 'Nu intrekken');
    submit.type = 'submit';
    const cancel = el('button', null, 'Annuleren');
    cancel.type = 'button';
    cancel.addEventListener('click', () => { f.hidden = true; });
    buttons.append(submit, cancel);
    f.append(title, this.withdrawWhat,
      el('p', 'muted', 'Intrekken stopt direct de opname en elk live beeld van de camera\'s in dit gebied (art. 151c lid 5).'),
      field('Reden', reason), this.withdrawError, buttons);
    f.addEventListener('submit', (e) => { e.preventDefault(); this.withdraw(); });
    f.addEventListener('keydown', (e) => { if (e.key === 'Escape') f.hidden = true; });
    this.withdrawForm = f;
    this.editor.append(f);
  }

  async show() {
    await this.load();
  }

  /** Kept for the old console: same as show(). */
  load() {
    this.root.hidden = false;
    return this.reload();
  }

  onEvent(msg) {
    if (typeof msg?.event === 'string' && (msg.event.startsWith('designation') || msg.event === 'live.ended')) {
      this.reload().catch(() => {});
    }
  }

  async reload() {
    let r;
    try {
      r = await this.ctx.request('designations.list', {});
    } catch (e) {
      this.error.textContent = `Aanwijzingen niet geladen. ${errorText(e)}`;
      this.error.hidden = false;
      return;
    }
    this.error.hidden = true;
    this.list = r;
    this.areas = knownAreas(this.ctx, [...r.designations, ...r.risk_areas].map((x) => ({ area: x.area })));
    this.render();
  }

  areaName(id) {
    const n = this.areas?.get(id);
    return n && n !== id ? `${n} (${id})` : id;
  }

  render() {
    const r = this.list;
    const edit = this.canEdit;
    this.editor.hidden = !edit;
    this.rows.replaceChildren();
    for (const d of r.designations) {
      const li = el('li', `designation ${d.active ? 'designation-active' : 'designation-inactive'}`);
      li.dataset.designation = d.designation;
      const head = el('div', 'designation-head');
      head.append(el('strong', null, this.areaName(d.area)), ' ',
        el('span', 'muted', `${d.designation} · ${kindText[d.kind] ?? d.kind}`), ' ',
        el('span', d.active ? 'badge ok state' : `badge ${d.withdrawn ? 'danger' : 'warn'} state`,
          d.active ? 'van kracht' : `niet van kracht: ${reasons[d.inactive_reason] ?? d.inactive_reason ?? 'onbekend'}`));
      if (d.live_watch_now) head.append(' ', el('span', 'badge must', 'nu live uitkijken'));
      li.append(head, el('div', 'decision', d.decision));
      const facts = el('dl', 'facts');
      const fact = (k, v, cls) => { facts.append(el('dt', null, k)); facts.append(el('dd', cls, v)); };
      fact('Geldig', `${dateTime(d.valid_from)} – ${dateTime(d.valid_until)}`);
      fact('Besloten door', d.decided_by ?? '—');
      fact('Live uitkijken', d.live_watch_text || d.live_watch || 'geen vensters');
      fact('DPIA', d.dpia || 'ontbreekt', d.dpia ? null : 'warn-text');
      fact('Bebording', d.signage ? 'bevestigd' : 'niet bevestigd', d.signage ? null : 'warn-text');
      if (d.withdrawn) {
        const why = d.withdraw_reason ?? d.withdrawn_reason ?? d.reason;
        fact('Ingetrokken', `${dateTime(d.withdrawn)} door ${d.withdrawn_by ?? '—'}${why ? ` — reden: ${why}` : ''}`, 'danger-text withdrawn');
      }
      fact('Gewijzigd', `${dateTime(d.changed)} door ${d.changed_by ?? '—'}${d.source === 'config' ? ' (configuratiebestand)' : ''}`);
      li.append(facts);
      if (edit) {
        const act = el('div', 'toolbar actions');
        const change = el('button', null, 'Wijzigen');
        change.type = 'button';
        change.dataset.act = 'edit';
        change.dataset.designation = d.designation;
        act.append(change);
        if (!d.withdrawn) {
          const w = el('button', 'danger', 'Intrekken');
          w.type = 'button';
          w.dataset.act = 'withdraw';
          w.dataset.designation = d.designation;
          act.append(w);
        }
        li.append(act);
      }
      this.rows.append(li);
    }
    if (!r.designations.length) this.rows.append(el('li', 'muted empty', 'Geen aanwijzingsbesluiten.'));
    if (!this.withdrawForm.hidden) this.placeWithdrawForm();
    this.risks.replaceChildren();
    for (const x of r.risk_areas) {
      const li = el('li', 'risk-area');
      li.dataset.riskArea = x.risk_area;
      li.append(el('strong', null, this.areaName(x.area)), ' ',
        el('span', x.active ? 'badge' : 'badge muted', x.active ? 'geldig' : 'niet geldig'), ' ',
        el('span', 'badge', 'geen grond voor camera\'s'),
        el('div', 'decision', x.decision),
        el('div', 'muted', `${date(x.valid_from)} – ${date(x.valid_until)} · officier van justitie: ${x.prosecutor ?? '—'}`));
      this.risks.append(li);
    }
    if (!r.risk_areas.length) this.risks.append(el('li', 'muted empty', 'Geen veiligheidsrisicogebieden.'));
    this.areaList.replaceChildren();
    for (const [id, name] of this.areas) {
      const o = document.createElement('option');
      o.value = id;
      o.label = name;
      this.areaList.append(o);
    }
  }

  edit(d) {
    const f = this.saveForm.elements;
    f.designation.value = d.designation;
    f.area.value = d.area;
    f.kind.value = d.kind;
    f.decision.value = d.decision ?? '';
    f.decided_by.value = d.decided_by ?? '';
    f.valid_from.value = minutes(d.valid_from);
    f.valid_until.value = minutes(d.valid_until);
    f.dpia.value = d.dpia ?? '';
    f.live_watch.value = d.live_watch ?? '';
    f.signage.checked = !!d.signage;
    this.saveError.textContent = '';
    this.saveForm.scrollIntoView({ block: 'nearest' });
    f.decision.focus();
  }

  async save() {
    const f = this.saveForm.elements;
    const from = fromLocalInput(f.valid_from.value);
    const until = fromLocalInput(f.valid_until.value);
    if (Number.isNaN(from) || Number.isNaN(until) || until <= from) {
      this.saveError.textContent = 'Vul een geldige periode in: "geldig tot" na "geldig vanaf".';
      return;
    }
    const fields = {
      designation: f.designation.value.trim(), area: f.area.value.trim(), kind: f.kind.value,
      decision: f.decision.value.trim(), decided_by: f.decided_by.value.trim() || undefined,
      valid_from: iso(from), valid_until: iso(until), signage: f.signage.checked,
    };
    if (f.dpia.value.trim()) fields.dpia = f.dpia.value.trim();
    if (f.live_watch.value.trim()) fields.live_watch = f.live_watch.value.trim();
    this.saveError.textContent = '';
    try {
      const r = await this.ctx.request('designation.save', fields);
      const d = r.designation;
      this.ctx.notify?.(`Aanwijzing ${d.designation} opgeslagen: ${d.active ? 'van kracht' : `niet van kracht (${reasons[d.inactive_reason] ?? d.inactive_reason})`}.`, 'ok');
      this.resetSaveForm();
    } catch (e) {
      this.saveError.textContent = e?.code === 'not_allowed'
        ? `Niet toegestaan: een aanwijzing die nu geldt moet een DPIA-kenmerk en bevestigde bebording hebben. (${e.message})`
        : errorText(e);
      return;
    }
    await this.reload();
  }

  askWithdraw(d) {
    this.withdrawing = d;
    this.withdrawWhat.textContent = `${d.designation} — ${this.areaName(d.area)}: ${d.decision}`;
    this.withdrawForm.elements.reason.value = '';
    this.withdrawError.textContent = '';
    this.placeWithdrawForm();
    this.withdrawForm.hidden = false;
    this.withdrawForm.scrollIntoView({ block: 'nearest' });
    this.withdrawForm.elements.reason.focus();
  }

  /** The withdrawal form sits in the designation's own entry. */
  placeWithdrawForm() {
    const li = this.withdrawing && this.rows.querySelector(`li[data-designation="${CSS.escape(this.withdrawing.designation)}"]`);
    if (li) li.append(this.withdrawForm);
    else this.withdrawForm.hidden = true;
  }

  async withdraw() {
    const d = this.withdrawing;
    const reason = this.withdrawForm.elements.reason.value.trim();
    if (!d || !reason) return;
    try {
      const r = await this.ctx.request('designation.withdraw', { designation: d.designation, reason });
      const stored = r.designation?.withdraw_reason ?? r.designation?.withdrawn_reason ?? r.designation?.reason;
      this.ctx.notify?.(`Aanwijzing ${d.designation} ingetrokken.${stored ? '' : ' Let op: de server legt de reden niet vast; noteer die ook in het besluit.'}`, stored ? 'ok' : 'warn');
      this.withdrawForm.hidden = true;
    } catch (e) {
      this.withdrawError.textContent = errorText(e);
      return;
    }
    await this.reload();
  }
}
