// uitkijk console: page "Auditlog" (#/audit), the privacy officer's landing
// page. Reads the audit log (audit.query: filters on period, actor, action and
// camera; pages of PAGE rows continued with `after`) and checks its hash chain
// (audit.verify). Reading the log is itself logged (audit_read), which the
// page says. docs/PROTOCOL.md, "Audit log". All text shown is Dutch.
import { dateTime, el, fromLocalInput, iso, loadCss } from './fmt.js';
import { errorText } from './rules.js';

const PAGE = 100;

/** The audit actions (docs/PROTOCOL.md, "Audit log", and the server's code) in Dutch. */
export const actionText = {
  service_started: 'Dienst gestart',
  login: 'Aangemeld',
  login_failed: 'Aanmelden mislukt',
  logout: 'Afgemeld',
  audit_read: 'Auditlog geraadpleegd',
  authorisation_granted: 'Autorisatie verleend',
  authorisation_revoked: 'Autorisatie ingetrokken',
  live_view_start: 'Live beeld gestart',
  live_view_stop: 'Live beeld gestopt',
  playback: 'Beelden teruggekeken',
  camera_claimed: 'Camera in toezicht genomen',
  camera_handover: 'Camera overgedragen',
  camera_released: 'Camera vrijgegeven',
  plan_created: 'Dienst/evenement gepland',
  plan_cancelled: 'Planning geannuleerd',
  incident_created: 'Incident vastgelegd',
  incident_amended: 'Incident aangevuld',
  incident_status: 'Incidentstatus gewijzigd',
  incident_read: 'Incident ingezien',
  incidents_query: 'Incidenten doorzocht',
  incidents_stats: 'Incidentcijfers opgevraagd',
  incidents_export: 'Incidenten geëxporteerd',
  incidents_deleted: 'Incidenten verwijderd',
  designation_declared: 'Aanwijzing vastgelegd',
  designation_changed: 'Aanwijzing gewijzigd',
  designation_withdrawn: 'Aanwijzing ingetrokken',
  hold_requested: 'Bewaarverzoek ingediend',
  hold_approved: 'Bewaarverzoek goedgekeurd',
  hold_rejected: 'Bewaarverzoek afgewezen',
  hold_released: 'Bewaring opgeheven',
  clip_requested: 'Beeldfragment aangevraagd',
  clip_approved: 'Beeldfragment goedgekeurd',
  clip_rejected: 'Beeldfragment afgewezen',
  clip_exported: 'Beeldfragment gemaakt',
  clip_downloaded: 'Beeldfragment gedownload',
  export_key_created: 'Ondertekeningssleutel aangemaakt',
  footage_deleted: 'Beelden vernietigd',
  user_added: 'Gebruiker toegevoegd',
  user_password_set: 'Wachtwoord ingesteld',
  user_disabled: 'Account uitgeschakeld',
  user_enabled: 'Account ingeschakeld',
  test_clock: 'Testklok verzet',
};

const detailKeys = {
  peer: 'adres', reason: 'reden', user: 'gebruiker', filter: 'filter', duration_s: 'duur (s)',
  designation: 'aanwijzing', dpia: 'DPIA', signage: 'bebording', sha256: 'SHA-256', config_sha256: 'configuratie SHA-256',
  incident: 'incident', field: 'veld', status: 'status', hold: 'bewaring', clip: 'fragment', case_ref: 'zaak',
  role: 'rol', areas: 'gebieden', segments: 'segmenten', bytes: 'bytes', note: 'notitie',
  role_areas: 'rol en gebieden', authorisations: 'autorisaties', algorithm: 'algoritme', config: 'configuratie',
  source: 'bron', valid_until: 'geldig tot', camera: 'camera', from: 'van', to: 'tot',
};

function detailText(detail) {
  if (detail == null) return '';
  if (typeof detail !== 'object') return String(detail);
  return Object.entries(detail).filter(([, v]) => v !== '' && v != null).map(([k, v]) => {
    let text;
    if (v === true) text = 'ja';
    else if (v === false) text = 'nee';
    else if (typeof v === 'object') text = JSON.stringify(v);
    else text = String(v);
    return `${detailKeys[k] ?? k}: ${text}`;
  }).join(' · ');
}

function option(value, text) {
  const o = el('option', null, text);
  o.value = value;
  return o;
}

export class AuditPage {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.filters = {};
    this.lastSeq = 0;
    this.badRow = null;
    loadCss('page-audit.css');
    root.classList.add('page-audit');
    root.setAttribute('aria-labelledby', 'audit-title');

    const head = el('div', 'toolbar');
    const h2 = el('h2', null, 'Auditlog');
    h2.id = 'audit-title';
    head.append(h2);
    this.verifyButton = el('button', 'verify', 'Keten controleren');
    this.verifyButton.type = 'button';
    this.verifyButton.title = 'Controleert de hashketen van de hele auditlog (manipulatie of verwijderde regels)';
    this.verifyButton.addEventListener('click', () => this.verify());
    this.verifyResult = el('span', 'verify-result');
    this.verifyResult.setAttribute('role', 'status');
    head.append(this.verifyButton, this.verifyResult);
    root.append(head);
    root.append(el('p', 'audit-note muted',
      'Let op: elke raadpleging van de auditlog wordt zelf ook vastgelegd (handeling "Auditlog geraadpleegd", '
      + 'met uw naam en filter). Gebruik alleen voor rechtmatigheidscontrole, interne controle, beveiliging of '
      + 'strafvorderlijke doeleinden (Wpg art. 32a).'));

    // Filters
    const f = el('form', 'toolbar audit-filters');
    f.setAttribute('aria-label', 'Filters');
    const lab = (text, control) => { const l = el('label', null); l.append(el('span', null, text), control); return l; };
    const from = document.createElement('input');
    from.type = 'datetime-local'; from.name = 'from';
    const to = document.createElement('input');
    to.type = 'datetime-local'; to.name = 'to';
    const actor = document.createElement('input');
    actor.name = 'actor'; actor.autocomplete = 'off'; actor.placeholder = 'gebruikersnaam';
    this.actorList = document.createElement('datalist');
    this.actorList.id = 'audit-actor-list';
    actor.setAttribute('list', this.actorList.id);
    const action = document.createElement('select');
    action.name = 'action';
    action.append(option('', 'alle handelingen'));
    for (const [k, v] of Object.entries(actionText).sort((a, b) => a[1].localeCompare(b[1], 'nl'))) {
      action.append(option(k, v));
    }
    const camera = document.createElement('select');
    camera.name = 'camera';
    this.cameraSelect = camera;
    const search = el('button', 'primary', 'Zoeken');
    search.type = 'submit';
    const clear = el('button', null, 'Wissen');
    clear.type = 'button';
    clear.addEventListener('click', () => { f.reset(); this.query(); });
    f.append(lab('Van', from), lab('Tot', to), lab('Gebruiker', actor), this.actorList, lab('Handeling', action),
      lab('Camera', camera), search, clear);
    f.addEventListener('submit', (e) => { e.preventDefault(); this.query(); });
    this.form = f;
    root.append(f);

    this.error = el('p', 'error');
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    root.append(this.error);

    const wrap = el('div', 'table-wrap');
    const table = el('table', 'data audit-table');
    const thead = el('thead');
    const tr = el('tr');
    for (const t of ['Nr.', 'Tijd', 'Gebruiker', 'Handeling', 'Camera', 'Gebied', 'Van', 'Tot', 'Details']) {
      const th = el('th', null, t);
      th.scope = 'col';
      tr.append(th);
    }
    thead.append(tr);
    this.rows = el('tbody');
    this.rows.id = 'audit-rows';
    table.append(thead, this.rows);
    wrap.append(table);
    root.append(wrap);

    const foot = el('div', 'toolbar audit-foot');
    this.count = el('span', 'muted');
    this.moreButton = el('button', null, 'Meer laden');
    this.moreButton.type = 'button';
    this.moreButton.hidden = true;
    this.moreButton.addEventListener('click', () => this.more());
    foot.append(this.count, this.moreButton);
    root.append(foot);
  }

  async show() {
    this.fillCameras();
    this.ctx.request('users.list', {}).then((r) => {
      this.actorList.replaceChildren(...r.users.map((u) => option(u.user, u.user)));
    }).catch(() => {});
    await this.query();
  }

  fillCameras() {
    const keep = this.cameraSelect.value;
    const opts = [option('', 'alle camera\'s')];
    for (const c of this.ctx.cameras?.() ?? []) opts.push(option(c.camera, `${c.name ?? c.camera} (${c.area_name ?? c.area})`));
    this.cameraSelect.replaceChildren(...opts);
    this.cameraSelect.value = keep;
  }

  readFilters() {
    const f = this.form.elements;
    const filters = {};
    for (const name of ['from', 'to']) {
      if (!f[name].value) continue;
      const t = fromLocalInput(f[name].value);
      if (Number.isNaN(t)) throw new Error(`ongeldige tijd bij "${name === 'from' ? 'Van' : 'Tot'}"`);
      filters[name] = iso(t);
    }
    for (const name of ['actor', 'action', 'camera']) {
      const v = f[name].value.trim();
      if (v) filters[name] = v;
    }
    return filters;
  }

  async query() {
    try {
      this.filters = this.readFilters();
    } catch (e) {
      this.showError(errorText(e));
      return;
    }
    this.lastSeq = 0;
    this.rows.replaceChildren();
    await this.fetchPage();
  }

  more() {
    return this.fetchPage();
  }

  async fetchPage() {
    this.moreButton.disabled = true;
    let r;
    try {
      const fields = { ...this.filters, limit: PAGE };
      if (this.lastSeq) fields.after = this.lastSeq;
      r = await this.ctx.request('audit.query', fields);
    } catch (e) {
      this.showError(`Auditlog niet gelezen. ${errorText(e)}`);
      this.moreButton.disabled = false;
      return;
    }
    this.error.hidden = true;
    for (const row of r.rows) this.rows.append(this.renderRow(row));
    if (r.rows.length) this.lastSeq = r.rows[r.rows.length - 1].seq;
    const shown = this.rows.querySelectorAll('tr[data-seq]').length;
    if (!shown) {
      const tr = el('tr', 'empty-row');
      const td = el('td', 'empty', 'Geen regels gevonden met deze filters.');
      td.colSpan = 9;
      tr.append(td);
      this.rows.replaceChildren(tr);
    }
    this.count.textContent = `${shown} regel${shown === 1 ? '' : 's'} getoond${r.more ? '; er zijn er meer' : ''}.`;
    this.moreButton.hidden = !r.more;
    this.moreButton.disabled = false;
  }

  renderRow(row) {
    const tr = el('tr');
    tr.dataset.seq = row.seq;
    tr.dataset.action = row.action;
    if (this.badRow != null && row.seq >= this.badRow) tr.classList.add(row.seq === this.badRow ? 'bad-row' : 'after-bad');
    const cells = [
      [String(row.seq), 'num'],
      [dateTime(row.time), 'time'],
      [row.actor ?? '—'],
      [actionText[row.action] ?? row.action],
      [row.camera ? this.cameraName(row.camera) : ''],
      [row.area ?? ''],
      [row.from ? dateTime(row.from) : '', 'time'],
      [row.to ? dateTime(row.to) : '', 'time'],
      [detailText(row.detail), 'detail'],
    ];
    for (const [text, cls] of cells) tr.append(el('td', cls, text));
    tr.children[3].title = row.action;
    return tr;
  }

  cameraName(id) {
    const n = this.ctx.cameraName?.(id);
    return n && n !== id ? `${n} (${id})` : id;
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }

  async verify() {
    this.verifyButton.disabled = true;
    this.verifyResult.replaceChildren(el('span', 'muted', 'Bezig met controleren…'));
    try {
      const r = await this.ctx.request('audit.verify', {});
      const at = dateTime(Date.now());
      if (r.intact) {
        this.badRow = null;
        this.verifyResult.replaceChildren(el('span', 'badge ok chain-intact', `Keten intact: ${r.rows} regels`),
          el('span', 'muted', ` gecontroleerd ${at}`));
      } else {
        this.badRow = r.first_bad_row;
        this.verifyResult.replaceChildren(
          el('span', 'badge danger chain-broken', `Keten verbroken vanaf regel ${r.first_bad_row ?? '?'}`),
          el('span', 'danger-text', ` ${r.message ?? ''} (${r.rows} regels; gecontroleerd ${at})`));
      }
      for (const tr of this.rows.querySelectorAll('tr[data-seq]')) {
        const seq = Number(tr.dataset.seq);
        tr.classList.toggle('bad-row', this.badRow != null && seq === this.badRow);
        tr.classList.toggle('after-bad', this.badRow != null && seq > this.badRow);
      }
    } catch (e) {
      this.verifyResult.replaceChildren(el('span', 'error', `Controle mislukt. ${errorText(e)}`));
    } finally {
      this.verifyButton.disabled = false;
    }
  }
}
