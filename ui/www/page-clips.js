// uitkijk console: police clip requests and evidence holds (docs/PROTOCOL.md,
// "Clips" and "Legal rules"). Route #/clips.
//
// - police: "Beelden opvragen" (clip.request), their requests (clips.list)
//   following clip.* events live, with the downloads and SHA-256 once ready;
//   "Bewaring (bewijs)" (hold.request) and their holds (holds.list,
//   hold.release).
// - supervisor: "Goedkeuren": pending clip and hold requests of their areas
//   (clip.decide, hold.decide; four eyes: never their own), then the lists.
// - privacy: both lists, read-only.
// All text shown is Dutch; times in Europe/Amsterdam, 24-hour.
import { dateTime, toLocalInput, fromLocalInput, iso, el, loadCss } from './fmt.js';

const MAX_CLIP_MS = 24 * 3600 * 1000;

const basisText = {
  'wpg-15-16': 'Wpg art. 15/16 (camera art. 151c Gemeentewet)',
  'sv-126nd': 'Vordering art. 126nd Sv',
};
const clipStateText = {
  requested: 'aangevraagd', approved: 'goedgekeurd', rejected: 'geweigerd', exporting: 'wordt gemaakt',
  ready: 'klaar', expired: 'verlopen', failed: 'mislukt',
};
const clipStateBadge = {
  requested: 'warn', approved: 'ok', rejected: 'danger', exporting: 'warn', ready: 'ok', expired: '', failed: 'danger',
};
const exportStateText = { waiting: 'wacht', exporting: 'wordt gemaakt', ready: 'klaar', failed: 'mislukt', expired: 'verlopen' };
const holdStateText = {
  requested: 'aangevraagd', approved: 'goedgekeurd', rejected: 'geweigerd', released: 'vrijgegeven', expired: 'verlopen',
};
const holdStateBadge = { requested: 'warn', approved: 'ok', rejected: 'danger', released: '', expired: '' };

/** A Dutch sentence for a server error (plus the server's message as
 * detail). @what: the action, for codes whose meaning depends on it. */
function errorText(err, what) {
  const code = err?.code;
  if (code === 'not_allowed') {
    if (what === 'hold.request') {
      return 'Beelden mogen alleen langer dan de bewaartermijn worden bewaard voor de opsporing van een strafbaar feit '
        + '(Gemeentewet art. 151c lid 9); openbare orde alleen is geen grond.';
    }
    if (what === 'clip.decide' || what === 'hold.decide') {
      return 'Vier-ogenprincipe: een aanvraag wordt beoordeeld door een ander dan de aanvrager.';
    }
    return 'De wettelijke regels staan dit niet toe.';
  }
  const texts = {
    bad_message: {
      'clip.request': 'De aanvraag is onvolledig of onjuist: kies camera\'s, een periode van ten hoogste 24 uur die niet in de toekomst ligt, '
        + 'een zaaknummer, een doel en bij een vordering het kenmerk.',
      'hold.request': 'De aanvraag is onvolledig of onjuist: kies camera\'s, een periode die niet in de toekomst begint, '
        + 'een zaaknummer en het verdachte strafbare feit.',
      'clip.decide': 'Geef een reden voor het besluit.',
    }[what] ?? 'Het verzoek is onvolledig of onjuist.',
    forbidden: what === 'hold.release'
      ? 'U mag alleen bewaringen vrijgeven die u zelf hebt aangevraagd.'
      : 'U bent hiervoor niet bevoegd (rol of gebied).',
    not_found: 'Niet gevonden: de aanvraag bestaat niet (meer) of is al beoordeeld.',
    not_logged_in: 'U bent niet aangemeld.',
    session_expired: 'Uw sessie is verlopen; meld u opnieuw aan.',
    internal: 'De server kon het verzoek niet verwerken.',
    closed: 'Geen verbinding met de server.',
  };
  return texts[code] ?? 'Het verzoek is mislukt.';
}

/** <tag> with attributes/properties and children. */
function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function field(label, control, hint) {
  return h('label', { class: 'clips-field' }, h('span', { class: 'clips-label' }, label), control,
    hint ? h('span', { class: 'muted clips-hint' }, hint) : null);
}

/** A datetime-local input (whole seconds, Europe/Amsterdam) with the value
 * echoed in Dutch 24-hour form below it: browsers in other locales show the
 * field itself with AM/PM. */
function dateField(label, name, { required = false, hint } = {}) {
  const input = h('input', { type: 'datetime-local', name, step: 1, required });
  const echo = h('span', { class: 'muted clips-echo', 'aria-hidden': 'true' });
  input.addEventListener('input', () => syncEcho(input));
  input.clipsEcho = echo;
  return h('label', { class: 'clips-field' }, h('span', { class: 'clips-label' }, label), input, echo,
    hint ? h('span', { class: 'muted clips-hint' }, hint) : null);
}

function syncEcho(input) {
  const t = fromLocalInput(input.value);
  if (input.clipsEcho) input.clipsEcho.textContent = Number.isNaN(t) ? '' : `${dateTime(t)} (Nederlandse tijd)`;
}

function period(from, to) {
  const a = dateTime(from);
  const b = dateTime(to);
  // Same day: show the date once.
  return a.slice(0, 10) === b.slice(0, 10) ? `${a} – ${b.slice(11)}` : `${a} – ${b}`;
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toLocaleString('nl-NL', { maximumFractionDigits: 1 })} MB`;
}

export class ClipsPage {
  constructor(root, ctx) {
    loadCss('page-clips.css');
    this.root = root;
    this.ctx = ctx;
    this.clips = new Map(); // id -> clip
    this.holds = new Map(); // id -> hold
    this.progress = new Map(); // clip id -> Map(camera -> fraction)
    this.clipRows = new Map(); // id -> <tr>
    this.holdRows = new Map();
    this.cards = new Map(); // 'clip:ID' / 'hold:ID' -> pending card
    this.built = false;
    root.classList.add('clips-page');
  }

  get role() { return this.ctx.session()?.role; }
  get user() { return this.ctx.session()?.user; }

  /** Cameras of the user's (unexpired) areas. */
  myCameras() {
    const now = Date.now();
    const areas = new Set((this.ctx.session()?.areas ?? [])
      .filter((a) => !a.valid_until || Date.parse(a.valid_until) > now).map((a) => a.area));
    return (this.ctx.cameras() ?? []).filter((c) => areas.has(c.area));
  }

  build() {
    this.built = true;
    this.root.replaceChildren();
    const role = this.role;
    if (role === 'police') {
      this.root.append(
        h('h2', {}, 'Beelden opvragen'),
        h('p', { class: 'muted clips-intro' }, 'Verstrekking van camerabeelden aan de politie (Wpg art. 15/16 of een vordering '
          + 'art. 126nd Sv). Een coördinator van het gebied beoordeelt de aanvraag; daarna wordt de clip gemaakt.'),
        h('div', { class: 'clips-split' },
          this.buildClipForm(),
          h('div', { class: 'clips-split-list' }, h('h3', {}, 'Mijn opvragingen'), this.buildClipTable())),
        h('h2', { class: 'clips-section' }, 'Bewaring (bewijs)'),
        h('p', { class: 'muted clips-intro' }, 'Beelden langer bewaren dan de bewaartermijn, alleen voor de opsporing van een '
          + 'strafbaar feit (Gemeentewet art. 151c lid 9). Een coördinator beoordeelt de aanvraag; tot dan blijven de beelden 3 dagen bewaard.'),
        h('div', { class: 'clips-split' },
          this.buildHoldForm(),
          h('div', { class: 'clips-split-list' }, h('h3', {}, 'Bewaringen'), this.buildHoldTable())));
    } else if (role === 'supervisor') {
      this.pendingClips = h('div', { class: 'clips-cards' });
      this.pendingHolds = h('div', { class: 'clips-cards' });
      this.root.append(
        h('h2', {}, 'Goedkeuren'),
        h('p', { class: 'muted clips-intro' }, 'Vier-ogenprincipe: een aanvraag wordt beoordeeld door een andere coördinator '
          + 'dan de aanvrager; de server weigert een besluit over uw eigen aanvraag.'),
        h('h3', {}, 'Opvragingen van beelden'),
        this.pendingClips,
        h('h3', {}, 'Bewaringen (bewijs)'),
        this.pendingHolds,
        h('h2', { class: 'clips-section' }, 'Alle opvragingen'),
        this.buildClipTable(),
        h('h2', { class: 'clips-section' }, 'Alle bewaringen'),
        this.buildHoldTable());
    } else {
      this.root.append(
        h('h2', {}, 'Opvragingen en bewaringen'),
        h('p', { class: 'muted clips-intro' }, 'Overzicht (alleen lezen) van alle opvragingen van beelden door de politie en alle '
          + 'bewaringen als bewijs.'),
        h('h3', {}, 'Opvragingen van beelden'),
        this.buildClipTable(),
        h('h3', {}, 'Bewaringen (bewijs)'),
        this.buildHoldTable());
    }
  }

  // ---- forms (police) ----

  cameraFieldset(name) {
    const cams = this.myCameras();
    const fs = h('fieldset', { class: 'clips-cameras' }, h('legend', {}, 'Camera\'s'));
    if (!cams.length) fs.append(h('p', { class: 'muted' }, 'Geen camera\'s in uw gebieden.'));
    for (const c of cams) {
      fs.append(h('label', { class: 'clips-check' },
        h('input', { type: 'checkbox', name, value: c.camera, checked: cams.length === 1 }),
        ` ${c.name ?? c.camera}`, h('span', { class: 'muted' }, ` (${c.area_name ?? c.area})`)));
    }
    return fs;
  }

  errorBox() {
    return h('div', { class: 'error clips-error', role: 'alert', hidden: true });
  }

  showError(box, err, what) {
    box.replaceChildren(h('strong', {}, errorText(err, what)),
      err?.message ? h('span', { class: 'clips-detail' }, ` (server: ${err.message})`) : null);
    box.hidden = false;
  }

  showLocalError(box, text) {
    box.replaceChildren(h('strong', {}, text));
    box.hidden = false;
  }

  /** from/to of a form as ms, or an error sentence. */
  readPeriod(form, { maxMs, toNotFuture, fromNotFuture }) {
    const from = fromLocalInput(form.elements.from.value);
    const to = fromLocalInput(form.elements.to.value);
    if (Number.isNaN(from) || Number.isNaN(to)) return { error: 'Vul een begin en een einde in.' };
    if (to <= from) return { error: 'Het einde moet na het begin liggen.' };
    if (maxMs && to - from > maxMs) return { error: 'De periode is ten hoogste 24 uur.' };
    if (toNotFuture && to > Date.now()) return { error: 'Het einde mag niet in de toekomst liggen.' };
    if (fromNotFuture && from > Date.now()) return { error: 'Het begin mag niet in de toekomst liggen.' };
    return { from, to };
  }

  checkedCameras(form, name) {
    return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  }

  defaultPeriod(form) {
    const to = Math.floor(Date.now() / 1000) * 1000;
    form.elements.from.value = toLocalInput(to - 15 * 60 * 1000);
    form.elements.to.value = toLocalInput(to);
    for (const i of form.querySelectorAll('input[type=datetime-local]')) syncEcho(i);
  }

  buildClipForm() {
    const basis = h('select', { name: 'legal_basis', required: true },
      h('option', { value: 'wpg-15-16' }, 'Wpg art. 15/16 — camera cameratoezicht (art. 151c Gemeentewet)'),
      h('option', { value: 'sv-126nd' }, 'Vordering art. 126nd Sv — andere camera'));
    const vordering = h('input', { name: 'vordering_ref', maxLength: 200, autocomplete: 'off' });
    const vorderingField = field('Kenmerk vordering (art. 126nd Sv)', vordering);
    vorderingField.hidden = true;
    basis.addEventListener('change', () => {
      const sv = basis.value === 'sv-126nd';
      vorderingField.hidden = !sv;
      vordering.required = sv;
    });
    const err = this.errorBox();
    const form = h('form', { class: 'clips-form clips-clip-form', 'aria-label': 'Beelden opvragen', novalidate: true },
      this.cameraFieldset('camera'),
      h('div', { class: 'clips-row' },
        dateField('Van', 'from', { required: true }),
        dateField('Tot', 'to', { required: true, hint: 'Ten hoogste 24 uur, niet in de toekomst' })),
      field('Wettelijke grondslag', basis),
      vorderingField,
      field('Zaaknummer (politie)', h('input', { name: 'case_ref', required: true, maxLength: 200, autocomplete: 'off',
        placeholder: 'PL0100-2026123456' })),
      field('Doel / reden', h('textarea', { name: 'purpose', required: true, maxLength: 2000, rows: 2 })),
      h('div', { class: 'clips-buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Aanvragen')),
      err);
    this.defaultPeriod(form);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.submitClip(form, err); });
    this.clipForm = form;
    return form;
  }

  async submitClip(form, err) {
    err.hidden = true;
    const cameras = this.checkedCameras(form, 'camera');
    if (!cameras.length) return this.showLocalError(err, 'Kies ten minste één camera.');
    if (cameras.length > 16) return this.showLocalError(err, 'Ten hoogste 16 camera\'s per aanvraag.');
    const p = this.readPeriod(form, { maxMs: MAX_CLIP_MS, toNotFuture: true });
    if (p.error) return this.showLocalError(err, p.error);
    const f = form.elements;
    const fields = {
      cameras, from: iso(p.from), to: iso(p.to), case_ref: f.case_ref.value.trim(),
      legal_basis: f.legal_basis.value, purpose: f.purpose.value.trim(),
    };
    if (!fields.case_ref) return this.showLocalError(err, 'Vul het zaaknummer in.');
    if (!fields.purpose) return this.showLocalError(err, 'Vul het doel van de opvraging in.');
    if (fields.legal_basis === 'sv-126nd') {
      fields.vordering_ref = f.vordering_ref.value.trim();
      if (!fields.vordering_ref) return this.showLocalError(err, 'Vul het kenmerk van de vordering in.');
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const r = await this.ctx.request('clip.request', fields);
      this.upsertClip(r.clip);
      f.case_ref.value = '';
      f.purpose.value = '';
      f.vordering_ref.value = '';
      this.ctx.notify?.(`Aanvraag ${r.clip.clip} verstuurd; een coördinator beoordeelt hem.`, 'clip-sent');
      this.clipRows.get(r.clip.clip)?.querySelector('.clips-state')?.focus();
    } catch (e) {
      this.showError(err, e, 'clip.request');
    } finally {
      button.disabled = false;
    }
  }

  buildHoldForm() {
    const err = this.errorBox();
    const form = h('form', { class: 'clips-form clips-hold-form', 'aria-label': 'Bewaring aanvragen', novalidate: true },
      this.cameraFieldset('camera'),
      h('div', { class: 'clips-row' },
        dateField('Van', 'from', { required: true, hint: 'Niet in de toekomst' }),
        dateField('Tot', 'to', { required: true }),
        dateField('Bewaren tot (optioneel)', 'keep_until', { hint: 'Leeg: tot vrijgave' })),
      field('Doel', h('select', { name: 'purpose' },
        h('option', { value: 'opsporing' }, 'Opsporing van een strafbaar feit'),
        h('option', { value: 'openbare orde' }, 'Handhaving van de openbare orde'))),
      field('Zaaknummer (politie)', h('input', { name: 'case_ref', maxLength: 200, autocomplete: 'off', placeholder: 'PL0100-2026123456' })),
      field('Verdacht strafbaar feit', h('input', { name: 'offence', maxLength: 200, autocomplete: 'off',
        placeholder: 'mishandeling (art. 300 Sr)' })),
      field('Onderbouwing', h('textarea', { name: 'justification', maxLength: 2000, rows: 2 })),
      h('div', { class: 'clips-buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Bewaring aanvragen')),
      err);
    this.defaultPeriod(form);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.submitHold(form, err); });
    this.holdForm = form;
    return form;
  }

  async submitHold(form, err) {
    err.hidden = true;
    const cameras = this.checkedCameras(form, 'camera');
    if (!cameras.length) return this.showLocalError(err, 'Kies ten minste één camera.');
    const p = this.readPeriod(form, { fromNotFuture: true });
    if (p.error) return this.showLocalError(err, p.error);
    const f = form.elements;
    const fields = {
      cameras, from: iso(p.from), to: iso(p.to), purpose: f.purpose.value, case_ref: f.case_ref.value.trim(),
      offence: f.offence.value.trim(), justification: f.justification.value.trim(),
    };
    if (f.keep_until.value) {
      const keep = fromLocalInput(f.keep_until.value);
      if (Number.isNaN(keep)) return this.showLocalError(err, '"Bewaren tot" is geen geldige tijd.');
      fields.keep_until = iso(keep);
    }
    // The server decides on the purpose (public order is refused there, with
    // its reason); the required fields are checked here too.
    if (fields.purpose === 'opsporing' && (!fields.case_ref || !fields.offence)) {
      return this.showLocalError(err, 'Vul het zaaknummer en het verdachte strafbare feit in.');
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const r = await this.ctx.request('hold.request', fields);
      this.upsertHold(r.hold);
      for (const n of ['case_ref', 'offence', 'justification', 'keep_until']) f[n].value = '';
      syncEcho(f.keep_until);
      this.ctx.notify?.(`Bewaring ${r.hold.hold} aangevraagd; een coördinator beoordeelt haar.`, 'hold-sent');
    } catch (e) {
      this.showError(err, e, 'hold.request');
    } finally {
      button.disabled = false;
    }
  }

  // ---- clip list ----

  buildClipTable() {
    this.clipBody = h('tbody');
    this.clipEmpty = h('p', { class: 'empty muted' }, 'Geen opvragingen.');
    return h('div', { class: 'clips-scroll' },
      h('table', { class: 'data clips-table clips-clip-table' },
        h('thead', {}, h('tr', {}, ['Nr.', 'Aangevraagd', 'Camera\'s', 'Periode', 'Zaak en grondslag', 'Status', 'Bestanden']
          .map((t) => h('th', { scope: 'col' }, t)))),
        this.clipBody),
      this.clipEmpty);
  }

  /** The request's overall state: [key, progress 0..1 or null]. */
  clipState(c) {
    if (c.state !== 'approved') return [c.state, null];
    const now = Date.now();
    const prog = this.progress.get(c.clip);
    const ex = c.exports ?? [];
    const states = ex.map((e) => this.exportState(c, e, now));
    if (states.length && states.every((s) => s === 'ready')) return ['ready', 1];
    if (states.length && states.every((s) => s === 'expired' || s === 'ready')) return ['expired', null];
    const busy = states.some((s) => s === 'exporting') || (prog && states.some((s) => s === 'waiting'));
    if (busy) {
      const sum = ex.reduce((acc, e, i) => acc + (states[i] === 'ready' ? 1 : (prog?.get(e.camera) ?? 0)), 0);
      return ['exporting', ex.length ? sum / ex.length : 0];
    }
    if (states.some((s) => s === 'failed')) return ['failed', null];
    return ['approved', null];
  }

  exportState(c, e, now = Date.now()) {
    if (e.state === 'ready' && e.expires && Date.parse(e.expires) <= now) return 'expired';
    if (e.state === 'waiting' && this.progress.get(c.clip)?.has(e.camera)) return 'exporting';
    return e.state;
  }

  clipRow(c) {
    const [state, prog] = this.clipState(c);
    const mine = c.requested_by === this.user;
    const statusCell = h('td', { class: 'clips-status' },
      h('span', { class: `badge clips-state ${clipStateBadge[state] ?? ''}`, tabindex: -1, dataset: { state } },
        clipStateText[state] ?? state),
      state === 'exporting' ? h('span', { class: 'clips-pct' }, ` ${Math.round((prog ?? 0) * 100)}%`) : null,
      state === 'exporting' ? h('progress', { max: 1, value: prog ?? 0, 'aria-label': 'Voortgang' }) : null,
      c.decided_by ? h('div', { class: 'muted clips-decision' },
        `${c.state === 'rejected' ? 'Geweigerd' : 'Goedgekeurd'} door ${c.decided_by}, ${dateTime(c.decided)}`
        + (c.decision_reason ? `: ${c.decision_reason}` : '')) : null);
    const files = h('td', { class: 'clips-files' });
    const now = Date.now();
    for (const e of c.exports ?? []) {
      const es = this.exportState(c, e, now);
      const div = h('div', { class: 'clips-export', dataset: { camera: e.camera, state: es } },
        h('span', { class: 'clips-export-name' }, this.ctx.cameraName(e.camera)), ' ',
        h('span', { class: 'muted' }, exportStateText[es] ?? es));
      if (es === 'exporting') {
        const f = this.progress.get(c.clip)?.get(e.camera) ?? 0;
        div.append(' ', h('span', { class: 'clips-pct' }, `${Math.round(f * 100)}%`));
      }
      if (e.state === 'ready' && es !== 'expired' && mine && e.video_url) {
        const base = `${e.camera}-${c.case_ref}`.replace(/[^A-Za-z0-9._-]+/g, '_');
        div.append(h('div', { class: 'clips-links' },
          h('a', { href: e.video_url, download: `${base}.mp4`, class: 'clips-video' }, `Video downloaden (${megabytes(e.bytes)})`),
          ' · ',
          h('a', { href: e.manifest_url, download: `${base}.manifest.json`, class: 'clips-manifest' }, 'Manifest (ondertekend)')));
      }
      if (e.sha256) {
        div.append(h('div', { class: 'clips-sha' }, h('span', { class: 'muted' }, 'SHA-256: '),
          h('code', { class: 'clips-sha256' }, e.sha256)));
      }
      if (e.expires && e.state === 'ready') {
        div.append(h('div', { class: 'muted' }, es === 'expired' ? `Verlopen op ${dateTime(e.expires)}` : `Beschikbaar tot ${dateTime(e.expires)}`));
      }
      if (e.error) div.append(h('div', { class: 'error' }, `Fout: ${e.error}`));
      files.append(div);
    }
    const basis = c.legal_basis === 'sv-126nd'
      ? `${basisText['sv-126nd']}${c.vordering_ref ? `, kenmerk ${c.vordering_ref}` : ''}`
      : basisText[c.legal_basis] ?? c.legal_basis;
    return h('tr', { dataset: { clip: c.clip, state } },
      h('td', {}, String(c.clip)),
      h('td', {}, dateTime(c.requested), h('div', { class: 'muted' }, c.requested_by)),
      h('td', {}, (c.exports ?? []).map((e) => this.ctx.cameraName(e.camera)).join(', ')),
      h('td', { class: 'clips-nowrap' }, period(c.from, c.to)),
      h('td', {}, h('div', {}, c.case_ref), h('div', { class: 'muted' }, basis), h('div', { class: 'clips-purpose' }, c.purpose)),
      statusCell,
      files);
  }

  renderClips() {
    if (!this.clipBody) return;
    this.clipRows.clear();
    const rows = [...this.clips.values()].sort((a, b) => b.clip - a.clip).map((c) => {
      const tr = this.clipRow(c);
      this.clipRows.set(c.clip, tr);
      return tr;
    });
    this.clipBody.replaceChildren(...rows);
    this.clipEmpty.hidden = rows.length > 0;
  }

  updateClipRow(id) {
    const c = this.clips.get(id);
    if (!this.clipBody || !c) return;
    const old = this.clipRows.get(id);
    if (!old) { this.renderClips(); return; }
    const hadFocus = old.contains(document.activeElement) ? document.activeElement : null;
    const tr = this.clipRow(c);
    old.replaceWith(tr);
    this.clipRows.set(id, tr);
    if (hadFocus?.classList.contains('clips-state')) tr.querySelector('.clips-state')?.focus();
  }

  upsertClip(c) {
    if (!c) return;
    const had = this.clips.has(c.clip);
    this.clips.set(c.clip, c);
    if (c.state !== 'approved' || (c.exports ?? []).every((e) => e.state !== 'waiting' && e.state !== 'exporting')) {
      this.progress.delete(c.clip);
    }
    if (had) this.updateClipRow(c.clip); else this.renderClips();
    this.syncCard('clip', c);
  }

  // ---- hold list ----

  buildHoldTable() {
    this.holdBody = h('tbody');
    this.holdEmpty = h('p', { class: 'empty muted' }, 'Geen bewaringen.');
    this.holdError = this.errorBox();
    return h('div', { class: 'clips-scroll' },
      h('table', { class: 'data clips-table clips-hold-table' },
        h('thead', {}, h('tr', {}, ['Nr.', 'Aangevraagd', 'Camera\'s', 'Periode', 'Zaak en strafbaar feit', 'Bewaren tot', 'Status', '']
          .map((t) => h('th', { scope: 'col' }, t)))),
        this.holdBody),
      this.holdEmpty, this.holdError);
  }

  mayRelease(x) {
    if (!['requested', 'approved'].includes(x.state)) return false;
    if (this.role === 'supervisor') return true;
    return this.role === 'police' && x.requested_by === this.user;
  }

  holdRow(x) {
    const status = h('td', { class: 'clips-status' },
      h('span', { class: `badge clips-state ${holdStateBadge[x.state] ?? ''}`, dataset: { state: x.state } },
        holdStateText[x.state] ?? x.state),
      x.decided_by ? h('div', { class: 'muted' },
        `${x.state === 'rejected' ? 'Geweigerd' : 'Goedgekeurd'} door ${x.decided_by}, ${dateTime(x.decided)}`
        + (x.decision_note ? `: ${x.decision_note}` : '')) : null,
      x.released_by ? h('div', { class: 'muted' },
        `Vrijgegeven door ${x.released_by}, ${dateTime(x.released)}${x.release_reason ? `: ${x.release_reason}` : ''}`) : null);
    const action = h('td', { class: 'clips-actions' });
    if (this.mayRelease(x)) {
      const b = h('button', { type: 'button', class: 'clips-release' }, 'Vrijgeven');
      b.addEventListener('click', () => this.openRelease(x, action));
      action.append(b);
    }
    return h('tr', { dataset: { hold: x.hold, state: x.state } },
      h('td', {}, String(x.hold)),
      h('td', {}, dateTime(x.requested), h('div', { class: 'muted' }, x.requested_by)),
      h('td', {}, (x.cameras ?? []).map((c) => this.ctx.cameraName(c)).join(', ')),
      h('td', { class: 'clips-nowrap' }, period(x.from, x.to)),
      h('td', {}, h('div', {}, x.case_ref), h('div', { class: 'muted' }, x.offence),
        x.justification ? h('div', { class: 'clips-purpose' }, x.justification) : null),
      h('td', {}, x.keep_until ? dateTime(x.keep_until) : 'tot vrijgave'),
      status, action);
  }

  openRelease(x, cell) {
    const reason = h('input', { name: 'reason', maxLength: 2000, 'aria-label': 'Reden van vrijgave', placeholder: 'Reden (bijv. zaak afgesloten)' });
    const form = h('form', { class: 'clips-inline' }, reason,
      h('button', { type: 'submit', class: 'primary' }, 'Bevestig vrijgeven'),
      h('button', { type: 'button', class: 'clips-cancel' }, 'Annuleren'));
    form.querySelector('.clips-cancel').addEventListener('click', () => {
      this.upsertHold(this.holds.get(x.hold) ?? x);
      this.holdRows.get(x.hold)?.querySelector('.clips-release')?.focus();
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      this.holdError.hidden = true;
      try {
        const r = await this.ctx.request('hold.release', { hold: x.hold, reason: reason.value.trim() });
        this.upsertHold(r.hold);
        this.ctx.notify?.(`Bewaring ${x.hold} vrijgegeven.`, 'hold-released');
      } catch (err) {
        this.showError(this.holdError, err, 'hold.release');
      }
    });
    cell.replaceChildren(form);
    reason.focus();
  }

  renderHolds() {
    if (!this.holdBody) return;
    this.holdRows.clear();
    const rows = [...this.holds.values()].sort((a, b) => b.hold - a.hold).map((x) => {
      const tr = this.holdRow(x);
      this.holdRows.set(x.hold, tr);
      return tr;
    });
    this.holdBody.replaceChildren(...rows);
    this.holdEmpty.hidden = rows.length > 0;
  }

  upsertHold(x) {
    if (!x) return;
    const old = this.holdRows.get(x.hold);
    this.holds.set(x.hold, x);
    if (old && this.holdBody) {
      const tr = this.holdRow(x);
      old.replaceWith(tr);
      this.holdRows.set(x.hold, tr);
    } else this.renderHolds();
    this.syncCard('hold', x);
  }

  // ---- supervisor: pending decisions ----

  syncCard(kind, x) {
    const box = kind === 'clip' ? this.pendingClips : this.pendingHolds;
    if (!box) return;
    const key = `${kind}:${kind === 'clip' ? x.clip : x.hold}`;
    const card = this.cards.get(key);
    if (x.state === 'requested') {
      if (!card) {
        const c = kind === 'clip' ? this.clipCard(x) : this.holdCard(x);
        this.cards.set(key, c);
        box.prepend(c);
      }
    } else if (card) {
      card.remove();
      this.cards.delete(key);
    }
    this.emptyNote(box, kind);
  }

  emptyNote(box, kind) {
    const has = [...box.children].some((c) => c.classList.contains('clips-card'));
    let note = box.querySelector('.empty');
    if (!has && !note) {
      note = h('p', { class: 'empty muted' }, kind === 'clip' ? 'Geen opvragingen te beoordelen.' : 'Geen bewaringen te beoordelen.');
      box.append(note);
    } else if (has && note) note.remove();
  }

  renderCards() {
    if (!this.pendingClips) return;
    this.cards.clear();
    this.pendingClips.replaceChildren();
    this.pendingHolds.replaceChildren();
    for (const c of [...this.clips.values()].sort((a, b) => a.clip - b.clip)) this.syncCard('clip', c);
    for (const x of [...this.holds.values()].sort((a, b) => a.hold - b.hold)) this.syncCard('hold', x);
    this.emptyNote(this.pendingClips, 'clip');
    this.emptyNote(this.pendingHolds, 'hold');
  }

  decideForm(kind, id, own) {
    const what = kind === 'clip' ? 'clip.decide' : 'hold.decide';
    const reason = h('textarea', { name: 'reason', rows: 2, maxLength: 2000, required: kind === 'clip' });
    const err = this.errorBox();
    const approve = h('button', { type: 'submit', class: 'primary clips-approve', value: 'approve' }, 'Goedkeuren');
    const refuse = h('button', { type: 'submit', class: 'clips-refuse', value: 'refuse' }, 'Weigeren');
    const form = h('form', { class: 'clips-decide', novalidate: true },
      field(kind === 'clip' ? 'Reden van het besluit' : 'Toelichting', reason, kind === 'clip' ? 'Verplicht' : 'Optioneel'),
      own ? h('p', { class: 'clips-own' }, 'Dit is uw eigen aanvraag: een andere coördinator moet beslissen (vier ogen).') : null,
      h('div', { class: 'clips-buttons' }, approve, refuse),
      err);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.hidden = true;
      const yes = (e.submitter ?? approve).value === 'approve';
      const text = reason.value.trim();
      if (kind === 'clip' && !text) return this.showLocalError(err, 'Geef een reden voor het besluit.');
      approve.disabled = refuse.disabled = true;
      try {
        const fields = kind === 'clip' ? { clip: id, approve: yes, reason: text } : { hold: id, approve: yes, note: text };
        const r = await this.ctx.request(what, fields);
        if (kind === 'clip') this.upsertClip(r.clip); else this.upsertHold(r.hold);
        this.ctx.notify?.(`${kind === 'clip' ? 'Opvraging' : 'Bewaring'} ${id} ${yes ? 'goedgekeurd' : 'geweigerd'}.`, `${kind}-decided`);
      } catch (ex) {
        this.showError(err, ex, what);
      } finally {
        approve.disabled = refuse.disabled = false;
      }
    });
    return form;
  }

  details(pairs) {
    return h('dl', { class: 'clips-dl' }, pairs.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  clipCard(c) {
    const basis = c.legal_basis === 'sv-126nd'
      ? `${basisText['sv-126nd']}, kenmerk ${c.vordering_ref ?? '—'}` : basisText[c.legal_basis] ?? c.legal_basis;
    return h('article', { class: 'clips-card', dataset: { clip: c.clip }, 'aria-label': `Opvraging ${c.clip}` },
      h('h4', {}, `Opvraging ${c.clip} — ${c.case_ref}`),
      this.details([
        ['Aangevraagd', `${dateTime(c.requested)} door ${c.requested_by}`],
        ['Camera\'s', (c.exports ?? []).map((e) => this.ctx.cameraName(e.camera)).join(', ')],
        ['Periode', period(c.from, c.to)],
        ['Grondslag', basis],
        ['Doel', c.purpose],
      ]),
      this.decideForm('clip', c.clip, c.requested_by === this.user));
  }

  holdCard(x) {
    return h('article', { class: 'clips-card', dataset: { hold: x.hold }, 'aria-label': `Bewaring ${x.hold}` },
      h('h4', {}, `Bewaring ${x.hold} — ${x.case_ref}`),
      this.details([
        ['Aangevraagd', `${dateTime(x.requested)} door ${x.requested_by}`],
        ['Camera\'s', (x.cameras ?? []).map((c) => this.ctx.cameraName(c)).join(', ')],
        ['Periode', period(x.from, x.to)],
        ['Strafbaar feit', x.offence],
        ['Onderbouwing', x.justification],
        ['Bewaren tot', x.keep_until ? dateTime(x.keep_until) : 'tot vrijgave'],
      ]),
      this.decideForm('hold', x.hold, x.requested_by === this.user));
  }

  // ---- page contract ----

  async show() {
    if (!this.built || this.builtFor !== `${this.user}/${this.role}`) {
      this.builtFor = `${this.user}/${this.role}`;
      this.cards.clear();
      this.build();
    }
    if (this.clipForm && !this.clipForm.contains(document.activeElement)) this.defaultPeriod(this.clipForm);
    if (this.holdForm && !this.holdForm.contains(document.activeElement)) this.defaultPeriod(this.holdForm);
    const [clips, holds] = await Promise.allSettled([this.ctx.request('clips.list'), this.ctx.request('holds.list')]);
    if (clips.status === 'fulfilled') {
      this.clips = new Map(clips.value.clips.map((c) => [c.clip, c]));
      this.renderClips();
    } else if (this.clipEmpty) {
      this.clipEmpty.textContent = `Opvragingen niet geladen: ${errorText(clips.reason, 'clips.list')}`;
    }
    if (holds.status === 'fulfilled') {
      this.holds = new Map(holds.value.holds.map((x) => [x.hold, x]));
      this.renderHolds();
    } else if (this.holdEmpty) {
      this.holdEmpty.textContent = `Bewaringen niet geladen: ${errorText(holds.reason, 'holds.list')}`;
    }
    this.renderCards();
    clearInterval(this.timer);
    // Links expire: re-evaluate the states now and then.
    this.timer = setInterval(() => { if (this.root.isConnected) this.renderClips(); }, 60_000);
  }

  hide() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /** A line in the shell's alert bar for what concerns this user. */
  tell(msg) {
    const c = msg.clip;
    const x = msg.hold;
    const me = this.user;
    if (this.role === 'supervisor') {
      if (msg.event === 'clip.requested' && c?.requested_by !== me) {
        this.ctx.notify?.(`Nieuwe opvraging van beelden ${c.clip} (${c.case_ref}) te beoordelen.`, 'clip-requested');
      } else if (msg.event === 'hold.requested' && x?.requested_by !== me) {
        this.ctx.notify?.(`Nieuwe bewaring ${x.hold} (${x.case_ref}) te beoordelen.`, 'hold-requested');
      }
    } else if (this.role === 'police') {
      if (msg.event === 'clip.decided' && c?.requested_by === me) {
        this.ctx.notify?.(`Opvraging ${c.clip} ${c.state === 'rejected' ? 'geweigerd' : 'goedgekeurd'} door ${c.decided_by}.`, 'clip-decided');
      } else if (msg.event === 'clip.exported' && c?.requested_by === me) {
        const ok = (c.exports ?? []).every((e) => e.state === 'ready');
        this.ctx.notify?.(ok ? `Opvraging ${c.clip}: de clip is klaar om te downloaden.`
          : `Opvraging ${c.clip}: het maken van de clip is mislukt.`, ok ? 'clip-ready' : 'error');
      } else if (msg.event === 'hold.decided' && x?.requested_by === me) {
        this.ctx.notify?.(`Bewaring ${x.hold} ${x.state === 'rejected' ? 'geweigerd' : 'goedgekeurd'} door ${x.decided_by}.`, 'hold-decided');
      }
    }
  }

  onEvent(msg) {
    if (msg.clip?.clip || msg.hold?.hold) this.tell(msg);
    switch (msg.event) {
      case 'clip.requested':
      case 'clip.decided':
      case 'clip.exported':
        this.upsertClip(msg.clip);
        break;
      case 'clip.progress': {
        if (!this.progress.has(msg.clip)) this.progress.set(msg.clip, new Map());
        this.progress.get(msg.clip).set(msg.camera, Number(msg.progress) || 0);
        if (this.clips.has(msg.clip)) this.updateClipRow(msg.clip);
        break;
      }
      case 'hold.requested':
      case 'hold.decided':
      case 'hold.released':
        this.upsertHold(msg.hold);
        break;
      default:
    }
  }
}
