// uitkijk console: "Incidenten" (#/review), the incident review for
// handhaving, supervisors and operators. Filters, a results table with
// paging, charts per ISO week and per category (SVG built with the DOM, with
// a table alternative), a CSV download and a detail panel with the history;
// operators and supervisors may amend and change the status there.
// Protocol: incidents.query, incidents.stats, incidents.export, incident.get,
// incident.amend, incident.status, incident.options (docs/PROTOCOL.md). Every
// query, chart, export and opened incident is audited by the server.
import {
  dateTime, date, toLocalInput, fromLocalInput, iso, el, statusText, severityText, loadCss,
} from './fmt.js';

const EDIT_ROLES = new Set(['operator', 'supervisor']);     // incident.amend / incident.status
const PLAYBACK_ROLES = new Set(['operator', 'supervisor']); // playback.open
const SVG_NS = 'http://www.w3.org/2000/svg';

const fieldText = {
  description: 'Omschrijving', category: 'Categorie', severity: 'Ernst', actions: 'Acties',
  note: 'Opmerking', status: 'Status',
};
const sourceText = { live: 'live beeld', playback: 'terugkijken' };
const severityBadge = { low: 'ok', medium: 'warn', high: 'danger' };
const statusBadge = { open: 'warn', handed_to_police: 'ok', closed: '' };

// Colours per category (dark background; distinguishable, also in grey).
const PALETTE = ['#6a9fd8', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#bab0ac', '#d37295', '#8cd17d', '#a0cbe8', '#ffbe7d'];

/** A Dutch sentence for an error reply of the server (or a lost connection). */
export function errorText(e, what = 'Het verzoek') {
  const code = e?.code;
  switch (code) {
    case 'forbidden': return `${what} is niet toegestaan voor uw rol of gebied.`;
    case 'not_found': return 'Dit incident bestaat niet (meer).';
    case 'bad_message': return `${what} is ongeldig: controleer de invoer.`;
    case 'not_logged_in': case 'session_expired': return 'Uw sessie is verlopen; meld u opnieuw aan.';
    case 'closed': return 'Geen verbinding met de server; probeer het zo opnieuw.';
    case 'internal': return 'De server kon het verzoek niet uitvoeren (databasefout).';
    case 'unknown_type': return 'De server kent dit verzoek niet (andere versie).';
    default: return `${what} is mislukt${code ? ` (${code})` : ''}.`;
  }
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

/** Monday 00:00 UTC of ISO week "2026-W48" (ms). */
function weekStart(week) {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!m) return NaN;
  const jan4 = Date.UTC(+m[1], 0, 4);
  const dow = (new Date(jan4).getUTCDay() + 6) % 7; // Monday 0
  return jan4 - dow * 86400e3 + (+m[2] - 1) * 7 * 86400e3;
}

/** ISO week label ("2026-W48") of the week containing UTC day @ms. */
function weekOf(ms) {
  const d = new Date(ms);
  // The Thursday of that week decides the year; its day of the year the week.
  const thu = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7));
  const year = new Date(thu).getUTCFullYear();
  const week = 1 + Math.floor((thu - Date.UTC(year, 0, 1)) / 86400e3 / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Every week from the first to the last of @weeks (gaps filled). */
function weekRange(weeks) {
  const starts = weeks.map(weekStart).filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  if (!starts.length) return [...new Set(weeks)].sort();
  const out = [];
  for (let t = starts[0]; t <= starts[starts.length - 1] && out.length < 600; t += 7 * 86400e3) out.push(weekOf(t));
  return out;
}

/** A round step for an axis from 0 to @max with about @n ticks. */
function niceStep(max, n = 5) {
  const raw = Math.max(1, max / n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const f of [1, 2, 5, 10]) if (f * mag >= raw) return Math.max(1, f * mag);
  return 10 * mag;
}

export class ReviewPage {
  /** Rows per page of incidents.query ("Meer laden" fetches the next). */
  static pageSize = 50;

  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.options = null;      // incident.options
    this.filters = null;      // the filters of the last search
    this.incidents = [];      // shown rows, newest first
    this.more = false;
    this.selected = null;     // incident number in the detail panel
    this.newCount = 0;        // incidents created since the last search
    this.searching = 0;
    loadCss('page-review.css');
    root.classList.add('review');
    this.build();
  }

  get role() { return this.ctx.session()?.role; }
  get canEdit() { return EDIT_ROLES.has(this.role); }
  /** Operators and supervisors; handhaving only with a video grant for some area. */
  get canPlayback() {
    return PLAYBACK_ROLES.has(this.role) || (this.role === 'handhaving' && this.videoAreas().size > 0);
  }

  /** The areas whose recordings a handhaving officer may play back. */
  videoAreas() {
    return new Set((this.ctx.session()?.areas ?? []).filter((a) => a.video).map((a) => a.area));
  }

  mayPlay(inc) {
    return PLAYBACK_ROLES.has(this.role) || this.videoAreas().has(inc.area);
  }

  // ---- DOM ----

  build() {
    const r = this.root;
    r.replaceChildren();
    const head = el('div', 'review-head');
    this.titleEl = el('h2', 'review-title', 'Incidenten');
    this.titleEl.id = 'review-title';
    r.setAttribute('aria-labelledby', 'review-title');
    head.append(this.titleEl);
    const note = el('p', 'review-audit-note',
      'Let op: elke zoekopdracht, grafiek, CSV-download en elk geopend incident wordt met uw naam vastgelegd in het auditlogboek.');
    note.setAttribute('role', 'note');
    head.append(note);
    r.append(head);

    // Filters
    const f = el('form', 'review-filters');
    f.setAttribute('role', 'search');
    f.setAttribute('aria-label', 'Incidenten zoeken');
    f.noValidate = true;
    this.form = f;
    this.areaBox = el('fieldset', 'review-areas');
    this.areaBox.append(el('legend', null, 'Gebieden'));
    f.append(this.areaBox);

    const field = (label, input, cls) => {
      const l = el('label', `review-field ${cls ?? ''}`.trim());
      l.append(el('span', 'review-label', label), input);
      f.append(l);
      return input;
    };
    this.fromIn = field('Van', Object.assign(el('input'), { type: 'datetime-local', name: 'from', step: 1 }));
    this.toIn = field('Tot en met', Object.assign(el('input'), { type: 'datetime-local', name: 'to', step: 1 }));
    this.categoryIn = field('Categorie', Object.assign(el('select'), { name: 'category' }));
    this.statusIn = field('Status', Object.assign(el('select'), { name: 'status' }));
    this.cameraIn = field('Camera', Object.assign(el('select'), { name: 'camera' }));
    this.textIn = field('Zoektekst', Object.assign(el('input'), {
      type: 'search', name: 'text', maxLength: 200, placeholder: 'woorden in omschrijving of notities',
    }), 'review-text');
    this.statusIn.append(new Option('Alle statussen', ''));
    for (const s of ['open', 'handed_to_police', 'closed']) this.statusIn.append(new Option(statusText[s] ?? s, s));
    this.categoryIn.append(new Option('Alle categorieën', ''));
    this.cameraIn.append(new Option("Alle camera's", ''));

    const buttons = el('div', 'review-buttons');
    this.searchBtn = Object.assign(el('button', 'primary review-search', 'Zoeken'), { type: 'submit' });
    this.clearBtn = Object.assign(el('button', 'review-clear', 'Filters wissen'), { type: 'button' });
    this.csvBtn = Object.assign(el('button', 'review-csv', 'CSV downloaden'), { type: 'button' });
    buttons.append(this.searchBtn, this.clearBtn, this.csvBtn);
    f.append(buttons);
    r.append(f);

    f.addEventListener('submit', (e) => { e.preventDefault(); this.search(); });
    this.clearBtn.addEventListener('click', () => { this.resetFilters(); this.search(); });
    this.csvBtn.addEventListener('click', () => this.downloadCsv());

    this.errorEl = el('p', 'error review-error');
    this.errorEl.setAttribute('role', 'alert');
    this.errorEl.hidden = true;
    r.append(this.errorEl);

    this.summaryEl = el('p', 'review-summary muted');
    this.summaryEl.setAttribute('role', 'status');
    this.summaryEl.setAttribute('aria-live', 'polite');
    this.newEl = Object.assign(el('button', 'review-new'), { type: 'button', hidden: true });
    this.newEl.addEventListener('click', () => this.search());
    const sumRow = el('div', 'review-summary-row');
    sumRow.append(this.summaryEl, this.newEl);
    r.append(sumRow);

    // Charts
    const charts = el('div', 'review-charts');
    this.weekFig = this.chartFigure('review-chart-week', 'Incidenten per week (ISO-week, per categorie gestapeld)');
    this.catFig = this.chartFigure('review-chart-category', 'Incidenten per categorie (totaal)');
    charts.append(this.weekFig.fig, this.catFig.fig);
    r.append(charts);

    // Results and detail
    this.main = el('div', 'review-main');
    const results = el('div', 'review-results');
    const wrap = el('div', 'review-table-wrap');
    const table = el('table', 'data review-table');
    const caption = el('caption', 'review-caption', 'Gevonden incidenten, nieuwste eerst');
    table.append(caption);
    const thead = el('thead');
    this.headRow = el('tr');
    thead.append(this.headRow);
    this.tbody = el('tbody');
    table.append(thead, this.tbody);
    wrap.append(table);
    this.emptyEl = el('p', 'empty review-empty', 'Geen incidenten gevonden met deze filters.');
    this.emptyEl.hidden = true;
    this.moreBtn = Object.assign(el('button', 'review-more', 'Meer laden'), { type: 'button', hidden: true });
    this.moreBtn.addEventListener('click', () => this.loadMore());
    results.append(wrap, this.emptyEl, this.moreBtn);

    this.detail = el('aside', 'review-detail');
    this.detail.setAttribute('aria-label', 'Incident');
    this.detail.hidden = true;
    this.detail.tabIndex = -1;
    this.detail.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.closeDetail(); });
    this.main.append(results, this.detail);
    r.append(this.main);

    this.tbody.addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-incident]');
      if (tr) this.openDetail(Number(tr.dataset.incident));
    });
    this.tbody.addEventListener('keydown', (e) => {
      const tr = e.target.closest('tr[data-incident]');
      if (!tr) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.openDetail(Number(tr.dataset.incident));
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling)?.focus();
      }
    });
  }

  chartFigure(cls, caption) {
    const fig = el('figure', `review-chart ${cls}`);
    const cap = el('figcaption', 'review-chart-title', caption);
    const holder = el('div', 'review-chart-svg');
    const legend = el('ul', 'review-legend');
    legend.setAttribute('aria-label', 'Legenda');
    const details = el('details', 'review-chart-table');
    details.append(el('summary', null, 'Als tabel tonen'));
    fig.append(cap, holder, legend, details);
    return { fig, holder, legend, details };
  }

  fillAreas() {
    const s = this.ctx.session() ?? {};
    const checked = new Set([...this.areaBox.querySelectorAll('input:checked')].map((i) => i.value));
    const known = this.areaBox.querySelectorAll('input').length > 0;
    for (const l of [...this.areaBox.querySelectorAll('label')]) l.remove();
    for (const a of s.areas ?? []) {
      const l = el('label', 'review-area');
      const cb = Object.assign(el('input'), { type: 'checkbox', name: 'area', value: a.area });
      cb.checked = !known || checked.has(a.area);
      l.append(cb, document.createTextNode(` ${a.name ?? a.area}`));
      this.areaBox.append(l);
    }
    if (!(s.areas ?? []).length) this.areaBox.append(el('span', 'muted', 'U bent voor geen enkel gebied geautoriseerd.'));
  }

  fillCameras() {
    const keep = this.cameraIn.value;
    this.cameraIn.replaceChildren(new Option("Alle camera's", ''));
    const cams = [...(this.ctx.cameras?.() ?? [])].sort((a, b) => (a.name ?? a.camera).localeCompare(b.name ?? b.camera, 'nl'));
    for (const c of cams) {
      this.cameraIn.append(new Option(`${c.name ?? c.camera} (${c.area_name ?? c.area})`, c.camera));
    }
    if ([...this.cameraIn.options].some((o) => o.value === keep)) this.cameraIn.value = keep;
  }

  fillCategories() {
    const keep = this.categoryIn.value;
    this.categoryIn.replaceChildren(new Option('Alle categorieën', ''));
    for (const c of this.options?.categories ?? []) this.categoryIn.append(new Option(c, c));
    if ([...this.categoryIn.options].some((o) => o.value === keep)) this.categoryIn.value = keep;
  }

  resetFilters() {
    for (const cb of this.areaBox.querySelectorAll('input')) cb.checked = true;
    this.fromIn.value = '';
    this.toIn.value = '';
    this.categoryIn.value = '';
    this.statusIn.value = '';
    this.cameraIn.value = '';
    this.textIn.value = '';
  }

  showError(text, detail) {
    this.errorEl.textContent = text ?? '';
    this.errorEl.title = detail ?? '';
    this.errorEl.hidden = !text;
  }

  /** The protocol filters of the form, or null (with an error shown). */
  readFilters() {
    const f = {};
    const all = [...this.areaBox.querySelectorAll('input')];
    const areas = all.filter((i) => i.checked).map((i) => i.value);
    if (all.length && !areas.length) {
      this.showError('Kies minstens één gebied.');
      return null;
    }
    if (areas.length) f.areas = areas;
    for (const [input, key, label] of [[this.fromIn, 'from', 'Van'], [this.toIn, 'to', 'Tot en met']]) {
      if (!input.value) continue;
      const t = fromLocalInput(input.value);
      if (Number.isNaN(t)) {
        this.showError(`"${label}" is geen geldig tijdstip.`);
        return null;
      }
      f[key] = iso(t);
    }
    if (f.from && f.to && f.from > f.to) {
      this.showError('"Van" ligt na "Tot en met".');
      return null;
    }
    if (this.categoryIn.value) f.category = this.categoryIn.value;
    if (this.statusIn.value) f.status = this.statusIn.value;
    if (this.cameraIn.value) f.camera = this.cameraIn.value;
    const text = this.textIn.value.trim();
    if (text) f.text = text;
    return f;
  }

  // ---- data ----

  async show() {
    this.renderHead();
    this.fillAreas();
    this.fillCameras();
    if (!this.options) {
      try {
        this.options = await this.ctx.request('incident.options', {});
        this.fillCategories();
      } catch (e) {
        this.showError(errorText(e, 'Het ophalen van de categorieën'), e?.message);
      }
    }
    await this.search();
  }

  hide() {}

  async search() {
    const filters = this.readFilters();
    if (!filters) return;
    this.showError(null);
    this.filters = filters;
    this.newCount = 0;
    this.newEl.hidden = true;
    const n = ++this.searching;
    this.root.dataset.state = 'loading';
    this.searchBtn.disabled = true;
    this.summaryEl.textContent = 'Zoeken…';
    try {
      const [q, stats] = await Promise.all([
        this.ctx.request('incidents.query', { ...filters, limit: ReviewPage.pageSize }),
        this.ctx.request('incidents.stats', { ...filters }).catch((e) => ({ error: e })),
      ]);
      if (n !== this.searching) return;
      this.incidents = q.incidents ?? [];
      this.more = !!q.more;
      this.total = stats.error ? null : stats.total;
      this.renderRows();
      if (stats.error) {
        this.showError(errorText(stats.error, 'Het ophalen van de grafieken'), stats.error.message);
        this.renderCharts([]);
      } else {
        this.renderCharts(stats.counts ?? []);
      }
      if (this.selected != null && !this.incidents.some((i) => i.incident === this.selected)) this.closeDetail(false);
    } catch (e) {
      if (e instanceof Error) console.error('review: search failed', e); // a fault of this page, not of the server
      if (n !== this.searching) return;
      this.incidents = [];
      this.more = false;
      this.total = null;
      this.renderRows();
      this.renderCharts([]);
      this.showError(errorText(e, 'De zoekopdracht'), e?.message);
    } finally {
      if (n === this.searching) {
        this.searchBtn.disabled = false;
        this.root.dataset.state = 'ready';
      }
    }
  }

  async loadMore() {
    if (!this.filters || !this.incidents.length) return;
    const before = this.incidents[this.incidents.length - 1].incident;
    if (this.moreBtn.disabled) return;
    this.moreBtn.disabled = true;
    this.root.dataset.state = 'loading';
    try {
      const q = await this.ctx.request('incidents.query', { ...this.filters, before, limit: ReviewPage.pageSize });
      const known = new Set(this.incidents.map((i) => i.incident));
      const rows = (q.incidents ?? []).filter((i) => !known.has(i.incident));
      this.incidents.push(...rows);
      this.more = !!q.more;
      this.renderRows(rows.length ? rows[0].incident : null);
    } catch (e) {
      this.showError(errorText(e, 'Meer laden'), e?.message);
    } finally {
      this.moreBtn.disabled = false;
      this.root.dataset.state = 'ready';
    }
  }

  async downloadCsv() {
    const filters = this.readFilters();
    if (!filters) return;
    this.showError(null);
    this.csvBtn.disabled = true;
    try {
      const r = await this.ctx.request('incidents.export', { ...filters });
      // A BOM so spreadsheets read UTF-8 (accents in descriptions).
      const blob = new Blob(['\ufeff', r.csv ?? ''], { type: 'text/csv;charset=utf-8' });
      const url = URL.createObjectURL(blob);
      const a = el('a');
      a.href = url;
      a.download = `incidenten-${toLocalInput(Date.now()).slice(0, 10)}.csv`;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      const rows = r.rows ?? 0;
      const msg = rows >= 5000
        ? `CSV met de eerste ${rows} incidenten gedownload (maximum); verklein de periode voor de rest.`
        : `CSV met ${rows} incident${rows === 1 ? '' : 'en'} gedownload.`;
      this.ctx.notify?.(msg, 'info');
    } catch (e) {
      this.showError(errorText(e, 'De CSV-export'), e?.message);
    } finally {
      this.csvBtn.disabled = false;
    }
  }

  onEvent(msg) {
    if (msg?.type !== 'event' || !msg.incident) return;
    const inc = msg.incident;
    if (msg.event === 'incident.changed') {
      const i = this.incidents.findIndex((x) => x.incident === inc.incident);
      if (i >= 0) {
        this.incidents[i] = { ...this.incidents[i], ...inc };
        const old = this.tbody.querySelector(`tr[data-incident="${inc.incident}"]`);
        if (old) {
          const focused = document.activeElement === old;
          const tr = this.row(this.incidents[i]);
          old.replaceWith(tr);
          if (focused) tr.focus();
        }
      }
      // Reread the open detail (with its history) unless it shows this change already.
      if (this.selected === inc.incident && !this.detail.hidden && !this.busy && inc.changes !== this.detailChanges) {
        this.openDetail(inc.incident, false);
      }
    } else if (msg.event === 'incident.created') {
      this.newCount++;
      this.newEl.textContent = `${this.newCount} nieuw${this.newCount === 1 ? ' incident' : 'e incidenten'} — opnieuw zoeken`;
      this.newEl.hidden = false;
    }
  }

  // ---- table ----

  /** The column headers (a playback column for roles that may play back). */
  renderHead() {
    const cols = ['Nr.', 'Tijdstip', 'Gebied', 'Camera', 'Categorie', 'Ernst', 'Status', 'Omschrijving', 'Gemeld door'];
    if (this.canPlayback) cols.push('Beeld');
    if (this.headRow.childElementCount === cols.length) return;
    this.headRow.replaceChildren(...cols.map((h) => Object.assign(el('th', null, h), { scope: 'col' })));
  }

  /** The playback hash of an incident: the frame on screen when it was logged. */
  playbackHash(inc) {
    const t = inc.position ?? inc.frame_time;
    return `#/playback?camera=${encodeURIComponent(inc.camera)}&t=${encodeURIComponent(t)}&incident=${inc.incident}`;
  }

  playbackLink(inc, cls) {
    const a = el('a', cls, 'Terugkijken');
    const hash = this.playbackHash(inc);
    a.href = hash;
    a.title = `Incident ${inc.incident} terugkijken op ${this.ctx.cameraName?.(inc.camera) ?? inc.camera}`;
    a.addEventListener('click', (e) => { e.preventDefault(); e.stopPropagation(); this.ctx.navigate(hash); });
    a.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') e.stopPropagation(); });
    return a;
  }

  renderRows(focusIncident = null) {
    this.renderHead();
    this.tbody.replaceChildren(...this.incidents.map((i) => this.row(i)));
    this.emptyEl.hidden = this.incidents.length > 0;
    this.moreBtn.hidden = !this.more;
    const shown = this.incidents.length;
    this.summaryEl.textContent = this.total != null
      ? `${shown} van ${this.total} incident${this.total === 1 ? '' : 'en'} getoond.`
      : `${shown} incident${shown === 1 ? '' : 'en'} getoond.`;
    this.root.dataset.rows = String(shown);
    if (focusIncident != null) this.tbody.querySelector(`tr[data-incident="${focusIncident}"]`)?.focus();
  }

  row(i) {
    const tr = el('tr', 'review-row');
    tr.dataset.incident = i.incident;
    tr.dataset.area = i.area;
    tr.dataset.category = i.category;
    tr.tabIndex = 0;
    if (i.incident === this.selected) tr.classList.add('review-selected');
    const td = (text, cls) => { const c = el('td', cls, text); tr.append(c); return c; };
    td(i.incident, 'review-num');
    const t = td('', 'review-time');
    const time = el('time', null, dateTime(i.position));
    time.dateTime = i.position;
    t.append(time);
    td(i.area_name ?? i.area, 'review-area-cell');
    td(this.ctx.cameraName?.(i.camera) ?? i.camera, 'review-cam');
    td(i.category);
    const sev = td('');
    sev.append(el('span', `badge ${severityBadge[i.severity] ?? ''}`.trim(), severityText[i.severity] ?? i.severity));
    const st = td('');
    st.append(el('span', `badge ${statusBadge[i.status] ?? ''}`.trim(), statusText[i.status] ?? i.status));
    const d = td(i.description, 'review-desc');
    d.title = i.description;
    if (i.changes) d.prepend(el('span', 'review-changed', `(${i.changes}× gewijzigd) `));
    td(i.created_by);
    if (this.canPlayback) {
      const cell = td('', 'review-pb');
      if (this.mayPlay(i)) cell.append(this.playbackLink(i, 'review-row-playback'));
    }
    return tr;
  }

  // ---- charts ----

  renderCharts(counts) {
    this.root.dataset.chartTotal = String(counts.reduce((s, c) => s + c.count, 0));
    const order = this.options?.categories ?? [];
    const cats = [...new Set(counts.map((c) => c.category))]
      .sort((a, b) => ((order.indexOf(a) + 1 || 999) - (order.indexOf(b) + 1 || 999)) || a.localeCompare(b, 'nl'));
    const colour = (cat) => {
      const k = order.indexOf(cat);
      return PALETTE[(k >= 0 ? k : order.length + cats.indexOf(cat)) % PALETTE.length];
    };
    const weeks = weekRange(counts.map((c) => c.week));
    const byWeek = new Map(weeks.map((w) => [w, new Map()]));
    const byCat = new Map(cats.map((c) => [c, 0]));
    for (const c of counts) {
      const m = byWeek.get(c.week) ?? byWeek.set(c.week, new Map()).get(c.week);
      m.set(c.category, (m.get(c.category) ?? 0) + c.count);
      byCat.set(c.category, (byCat.get(c.category) ?? 0) + c.count);
    }
    this.renderWeekChart(weeks, cats, byWeek, colour);
    this.renderCategoryChart(cats, byCat, colour);
    for (const fig of [this.weekFig, this.catFig]) this.renderLegend(fig.legend, cats, colour);
  }

  renderLegend(ul, cats, colour) {
    ul.replaceChildren(...cats.map((c) => {
      const li = el('li', 'review-legend-item');
      const sw = svg('svg', { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true', class: 'review-swatch' });
      sw.append(svg('rect', { width: 12, height: 12, rx: 2, fill: colour(c) }));
      li.append(sw, document.createTextNode(` ${c}`));
      return li;
    }));
  }

  emptyChart(holder, details) {
    holder.replaceChildren(el('p', 'empty review-chart-empty', 'Geen incidenten om te tonen.'));
    details.replaceChildren(el('summary', null, 'Als tabel tonen'));
  }

  renderWeekChart(weeks, cats, byWeek, colour) {
    const { holder, details } = this.weekFig;
    if (!weeks.length) { this.emptyChart(holder, details); return; }
    const totals = weeks.map((w) => [...(byWeek.get(w)?.values() ?? [])].reduce((s, n) => s + n, 0));
    const max = Math.max(1, ...totals);
    const step = niceStep(max);
    const top = Math.ceil(max / step) * step;
    // Drawn at the holder's own width, so the text stays 12 px (the SVG still scales).
    const W = Math.max(360, Math.min(1400, holder.clientWidth || 720)), H = 280, L = 48, R = 12, T = 14, B = 56;
    const plotW = W - L - R, plotH = H - T - B;
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'review-svg', preserveAspectRatio: 'xMidYMid meet' });
    s.append(svg('title', {}, `Incidenten per ISO-week, ${weeks[0]} tot en met ${weeks[weeks.length - 1]}; zie de tabel voor de aantallen.`));
    const y = (v) => T + plotH - (v / top) * plotH;
    for (let v = 0; v <= top; v += step) {
      s.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: v ? 'review-grid' : 'review-axis' }));
      s.append(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'review-tick' }, v));
    }
    s.append(svg('line', { x1: L, x2: L, y1: T, y2: T + plotH, class: 'review-axis' }));
    const slot = plotW / weeks.length;
    const bw = Math.max(2, Math.min(48, slot * 0.7));
    const labelEvery = Math.ceil(weeks.length / Math.max(1, Math.floor(plotW / 44)));
    weeks.forEach((w, k) => {
      const x = L + slot * k + (slot - bw) / 2;
      let acc = 0;
      const g = svg('g', { class: 'review-bar', 'data-week': w });
      for (const c of cats) {
        const n = byWeek.get(w)?.get(c) ?? 0;
        if (!n) continue;
        const rect = svg('rect', { x, y: y(acc + n), width: bw, height: Math.max(0.5, y(acc) - y(acc + n)), fill: colour(c), 'data-category': c, 'data-count': n });
        rect.append(svg('title', {}, `${w}, ${c}: ${n}`));
        g.append(rect);
        acc += n;
      }
      s.append(g);
      if (k % labelEvery === 0 || k === weeks.length - 1) {
        const [yy, ww] = w.split('-W');
        const first = k === 0 || weeks[k - labelEvery]?.slice(0, 4) !== yy;
        s.append(svg('text', { x: L + slot * k + slot / 2, y: T + plotH + 16, 'text-anchor': 'middle', class: 'review-tick' }, `wk ${Number(ww)}`));
        if (first) s.append(svg('text', { x: L + slot * k + slot / 2, y: T + plotH + 30, 'text-anchor': 'middle', class: 'review-tick review-muted' }, yy));
      }
      if (totals[k] && bw >= 14) {
        s.append(svg('text', { x: x + bw / 2, y: y(totals[k]) - 3, 'text-anchor': 'middle', class: 'review-value' }, totals[k]));
      }
    });
    s.append(svg('text', { x: L + plotW / 2, y: H - 6, 'text-anchor': 'middle', class: 'review-axis-label' }, 'ISO-week (Europe/Amsterdam)'));
    s.append(svg('text', { x: 12, y: T + plotH / 2, 'text-anchor': 'middle', class: 'review-axis-label', transform: `rotate(-90 12 ${T + plotH / 2})` }, 'Aantal incidenten'));
    holder.replaceChildren(s);

    // The table alternative: weeks down, categories across.
    const table = el('table', 'data review-alt');
    table.append(el('caption', null, 'Incidenten per week en categorie'));
    const hr = el('tr');
    for (const h of ['Week', ...cats, 'Totaal']) hr.append(Object.assign(el('th', null, h), { scope: 'col' }));
    const th = el('thead');
    th.append(hr);
    table.append(th);
    const body = el('tbody');
    weeks.forEach((w, k) => {
      const tr = el('tr');
      tr.append(Object.assign(el('th', null, `${w} (vanaf ${date(weekStart(w))})`), { scope: 'row' }));
      for (const c of cats) tr.append(el('td', 'review-n', byWeek.get(w)?.get(c) ?? 0));
      tr.append(el('td', 'review-n', totals[k]));
      body.append(tr);
    });
    table.append(body);
    details.replaceChildren(el('summary', null, 'Als tabel tonen'), table);
  }

  renderCategoryChart(cats, byCat, colour) {
    const { holder, details } = this.catFig;
    if (!cats.length) { this.emptyChart(holder, details); return; }
    const sorted = [...cats].sort((a, b) => byCat.get(b) - byCat.get(a) || a.localeCompare(b, 'nl'));
    const max = Math.max(1, ...sorted.map((c) => byCat.get(c)));
    const step = niceStep(max, 4);
    const top = Math.ceil(max / step) * step;
    const rowH = 26, L = 160, R = 30, T = 8, B = 40, W = Math.max(320, Math.min(900, holder.clientWidth || 460));
    const H = T + B + rowH * sorted.length;
    const plotW = W - L - R;
    const x = (v) => L + (v / top) * plotW;
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'review-svg', preserveAspectRatio: 'xMidYMid meet' });
    s.append(svg('title', {}, 'Incidenten per categorie; zie de tabel voor de aantallen.'));
    for (let v = 0; v <= top; v += step) {
      s.append(svg('line', { x1: x(v), x2: x(v), y1: T, y2: T + rowH * sorted.length, class: v ? 'review-grid' : 'review-axis' }));
      s.append(svg('text', { x: x(v), y: T + rowH * sorted.length + 14, 'text-anchor': 'middle', class: 'review-tick' }, v));
    }
    sorted.forEach((c, k) => {
      const n = byCat.get(c);
      const yy = T + rowH * k;
      const label = c.length > 24 ? `${c.slice(0, 23)}…` : c;
      s.append(svg('text', { x: L - 8, y: yy + rowH / 2 + 4, 'text-anchor': 'end', class: 'review-tick review-cat' }, label));
      const g = svg('g', { class: 'review-bar', 'data-category': c });
      const rect = svg('rect', { x: L, y: yy + 4, width: Math.max(1, x(n) - L), height: rowH - 8, fill: colour(c), 'data-count': n });
      rect.append(svg('title', {}, `${c}: ${n}`));
      g.append(rect);
      s.append(g);
      s.append(svg('text', { x: x(n) + 5, y: yy + rowH / 2 + 4, class: 'review-value' }, n));
    });
    s.append(svg('text', { x: L + plotW / 2, y: H - 6, 'text-anchor': 'middle', class: 'review-axis-label' }, 'Aantal incidenten'));
    holder.replaceChildren(s);

    const table = el('table', 'data review-alt');
    table.append(el('caption', null, 'Incidenten per categorie'));
    const hr = el('tr');
    for (const h of ['Categorie', 'Aantal']) hr.append(Object.assign(el('th', null, h), { scope: 'col' }));
    const th = el('thead');
    th.append(hr);
    table.append(th);
    const body = el('tbody');
    for (const c of sorted) {
      const tr = el('tr');
      tr.append(Object.assign(el('th', null, c), { scope: 'row' }), el('td', 'review-n', byCat.get(c)));
      body.append(tr);
    }
    table.append(body);
    details.replaceChildren(el('summary', null, 'Als tabel tonen'), table);
  }

  // ---- detail ----

  closeDetail(focusRow = true) {
    const was = this.selected;
    this.selected = null;
    this.detail.hidden = true;
    this.detail.replaceChildren();
    this.main.classList.remove('review-has-detail');
    for (const tr of this.tbody.querySelectorAll('tr.review-selected')) tr.classList.remove('review-selected');
    if (focusRow && was != null) this.tbody.querySelector(`tr[data-incident="${was}"]`)?.focus();
  }

  async openDetail(id, focus = true) {
    this.selected = id;
    for (const tr of this.tbody.querySelectorAll('tr')) tr.classList.toggle('review-selected', Number(tr.dataset.incident) === id);
    this.main.classList.add('review-has-detail');
    this.detail.hidden = false;
    this.detail.dataset.incident = String(id);
    this.detail.dataset.state = 'loading';
    if (focus) this.detail.replaceChildren(el('p', 'muted', `Incident ${id} laden…`));
    let inc;
    try {
      inc = (await this.ctx.request('incident.get', { incident: id })).incident;
    } catch (e) {
      if (this.selected !== id) return;
      this.detail.replaceChildren(this.detailHead(`Incident ${id}`), el('p', 'error', errorText(e, 'Het openen van het incident')));
      this.detail.dataset.state = 'error';
      return;
    }
    if (this.selected !== id) return;
    this.renderDetail(inc);
    this.detail.dataset.state = 'ready';
    if (focus) this.detail.focus();
    // The table row reads as the incident does now.
    const k = this.incidents.findIndex((x) => x.incident === id);
    if (k >= 0) {
      const { history, ...now } = inc;
      this.incidents[k] = { ...this.incidents[k], ...now };
      this.tbody.querySelector(`tr[data-incident="${id}"]`)?.replaceWith(this.row(this.incidents[k]));
    }
  }

  detailHead(title) {
    const head = el('div', 'review-detail-head');
    const h = el('h3', 'review-detail-title', title);
    const close = Object.assign(el('button', 'review-close', 'Sluiten'), { type: 'button' });
    close.setAttribute('aria-label', 'Detail sluiten');
    close.addEventListener('click', () => this.closeDetail());
    head.append(h, close);
    return head;
  }

  valueText(field, value) {
    if (Array.isArray(value)) return value.length ? value.join(', ') : '(geen)';
    if (field === 'status') return statusText[value] ?? value;
    if (field === 'severity') return severityText[value] ?? value;
    return value ?? '';
  }

  renderDetail(inc) {
    const d = this.detail;
    this.detailChanges = inc.changes;
    const parts = [this.detailHead(`Incident ${inc.incident}`)];
    const badges = el('p', 'review-detail-badges');
    badges.append(el('span', `badge ${statusBadge[inc.status] ?? ''}`.trim(), statusText[inc.status] ?? inc.status), ' ',
      el('span', `badge ${severityBadge[inc.severity] ?? ''}`.trim(), `ernst: ${severityText[inc.severity] ?? inc.severity}`));
    parts.push(badges);

    const dl = el('dl', 'review-facts');
    const fact = (k, v) => { dl.append(el('dt', null, k), el('dd', null, v)); };
    fact('Tijdstip (beeld)', dateTime(inc.position));
    fact('Opgenomen beeld', inc.frame_time ? dateTime(inc.frame_time) : 'geen opname op dat moment');
    fact('Gebied', inc.area_name ?? inc.area);
    fact('Camera', this.ctx.cameraName?.(inc.camera) ?? inc.camera);
    const others = (inc.cameras ?? []).filter((c) => c !== inc.camera);
    if (others.length) fact("Ook op camera's", others.map((c) => this.ctx.cameraName?.(c) ?? c).join(', '));
    fact('Bron', sourceText[inc.source] ?? inc.source);
    fact('Categorie', inc.category);
    fact('Acties', (inc.actions ?? []).length ? inc.actions.join(', ') : '(geen)');
    fact('Gemeld door', `${inc.created_by} op ${dateTime(inc.created)}`);
    fact('Wijzigingen', String(inc.changes ?? 0));
    parts.push(dl);
    parts.push(el('h4', null, 'Omschrijving'), el('p', 'review-description', inc.description));

    if (this.canPlayback && this.mayPlay(inc)) parts.push(this.playbackLink(inc, 'review-playback'));

    parts.push(el('h4', null, 'Geschiedenis'));
    const ol = el('ol', 'review-history');
    const created = el('li', 'review-history-item');
    created.append(el('time', 'review-history-time', dateTime(inc.created)), ' ',
      el('strong', null, inc.created_by), ' ', document.createTextNode('heeft het incident gemeld.'));
    ol.append(created);
    for (const h of inc.history ?? []) {
      const li = el('li', 'review-history-item');
      li.dataset.field = h.field;
      const t = el('time', 'review-history-time', dateTime(h.time));
      t.dateTime = h.time;
      li.append(t, ' ', el('strong', null, h.author), ' ');
      if (h.field === 'note') {
        li.append(document.createTextNode('opmerking: '), el('span', 'review-history-value', this.valueText(h.field, h.value)));
      } else if (h.field === 'status') {
        li.append(document.createTextNode('status gewijzigd in '), el('span', 'review-history-value', this.valueText(h.field, h.value)));
      } else {
        li.append(document.createTextNode(`${(fieldText[h.field] ?? h.field).toLowerCase()} gewijzigd in `),
          el('span', 'review-history-value', this.valueText(h.field, h.value)));
      }
      if (h.note && h.field !== 'note') li.append(el('div', 'review-history-note', `Toelichting: ${h.note}`));
      ol.append(li);
    }
    parts.push(ol);

    if (this.canEdit) parts.push(this.amendForm(inc), this.statusForm(inc));
    d.replaceChildren(...parts);
  }

  amendForm(inc) {
    const f = el('form', 'review-amend');
    f.noValidate = true;
    f.append(el('h4', null, 'Aanvullen of corrigeren'));
    f.append(el('p', 'muted review-hint', 'Het incident zelf blijft ongewijzigd; uw correctie wordt met naam en tijd toegevoegd.'));
    const fieldSel = el('select', 'review-amend-field');
    for (const k of ['note', 'description', 'category', 'severity', 'actions']) fieldSel.append(new Option(fieldText[k], k));
    const fl = el('label', 'review-field');
    fl.append(el('span', 'review-label', 'Wat'), fieldSel);
    const valueBox = el('div', 'review-amend-value');
    const noteIn = Object.assign(el('input', 'review-amend-note'), { type: 'text', maxLength: 2000, placeholder: 'waarom (optioneel)' });
    const nl = el('label', 'review-field');
    nl.append(el('span', 'review-label', 'Toelichting'), noteIn);
    const err = el('p', 'error review-form-error');
    err.setAttribute('role', 'alert');
    const submit = Object.assign(el('button', 'primary', 'Toevoegen'), { type: 'submit' });
    let getValue = () => null;
    const renderValue = () => {
      const field = fieldSel.value;
      nl.hidden = field === 'note';
      valueBox.replaceChildren();
      const lab = el('label', 'review-field');
      if (field === 'note' || field === 'description') {
        const ta = Object.assign(el('textarea', 'review-amend-text'), { rows: 3, maxLength: 4000 });
        if (field === 'description') ta.value = inc.description;
        lab.append(el('span', 'review-label', field === 'note' ? 'Opmerking' : 'Nieuwe omschrijving'), ta);
        valueBox.append(lab);
        getValue = () => ta.value.trim() || null;
      } else if (field === 'category' || field === 'severity') {
        const sel = el('select', 'review-amend-choice');
        const list = field === 'category' ? (this.options?.categories ?? []) : (this.options?.severities ?? ['low', 'medium', 'high']);
        for (const v of list) sel.append(new Option(field === 'severity' ? severityText[v] ?? v : v, v));
        sel.value = inc[field];
        lab.append(el('span', 'review-label', fieldText[field]), sel);
        valueBox.append(lab);
        getValue = () => (sel.value === inc[field] ? null : sel.value);
      } else {
        const fs = el('fieldset', 'review-amend-actions');
        fs.append(el('legend', null, 'Acties'));
        for (const v of this.options?.actions ?? []) {
          const l = el('label', 'review-check');
          const cb = Object.assign(el('input'), { type: 'checkbox', value: v, checked: (inc.actions ?? []).includes(v) });
          l.append(cb, document.createTextNode(` ${v}`));
          fs.append(l);
        }
        valueBox.append(fs);
        getValue = () => [...fs.querySelectorAll('input:checked')].map((i) => i.value);
      }
    };
    fieldSel.addEventListener('change', renderValue);
    renderValue();
    f.append(fl, valueBox, nl, err, submit);
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const value = getValue();
      if (value === null) {
        err.textContent = fieldSel.value === 'category' || fieldSel.value === 'severity'
          ? 'Kies een andere waarde dan de huidige.' : 'Vul een tekst in.';
        return;
      }
      const fields = { incident: inc.incident, field: fieldSel.value, value };
      if (fieldSel.value !== 'note' && noteIn.value.trim()) fields.note = noteIn.value.trim();
      await this.change(f, err, 'incident.amend', fields, 'Aanvulling opgeslagen.');
    });
    return f;
  }

  statusForm(inc) {
    const f = el('form', 'review-status');
    f.noValidate = true;
    f.append(el('h4', null, 'Status wijzigen'));
    const sel = el('select', 'review-status-choice');
    for (const s of this.options?.statuses ?? ['open', 'handed_to_police', 'closed']) {
      if (s !== inc.status) sel.append(new Option(statusText[s] ?? s, s));
    }
    const sl = el('label', 'review-field');
    sl.append(el('span', 'review-label', 'Nieuwe status'), sel);
    const noteIn = Object.assign(el('input', 'review-status-note'), { type: 'text', maxLength: 2000, placeholder: 'bijv. registratienummer politie' });
    const nl = el('label', 'review-field');
    nl.append(el('span', 'review-label', 'Toelichting'), noteIn);
    const err = el('p', 'error review-form-error');
    err.setAttribute('role', 'alert');
    const submit = Object.assign(el('button', 'primary', 'Status wijzigen'), { type: 'submit' });
    f.append(sl, nl, err, submit);
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const fields = { incident: inc.incident, status: sel.value };
      if (noteIn.value.trim()) fields.note = noteIn.value.trim();
      await this.change(f, err, 'incident.status', fields, `Status gewijzigd in "${statusText[sel.value] ?? sel.value}".`);
    });
    return f;
  }

  async change(form, err, type, fields, done) {
    err.textContent = '';
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    this.busy = true;
    try {
      await this.ctx.request(type, fields);
      this.ctx.notify?.(`Incident ${fields.incident}: ${done}`, 'ok');
      await this.openDetail(fields.incident, false);
    } catch (e) {
      err.textContent = errorText(e, 'De wijziging');
      err.title = e?.message ?? '';
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    } finally {
      this.busy = false;
    }
  }
}
