// uitkijk console: page "Autorisaties" (#/access), the register of accounts
// and their area authorisations (Wpg art. 6; docs/legal-rules.md, "Access"):
// users.list for the privacy officer and the administrator, and for the
// privacy officer a form to add a time-limited authorisation
// (user.authorise) and a button to revoke one (authorisation.revoke, after a
// second click to confirm). All text shown is Dutch.
import { dateTime, el, fromLocalInput, iso, loadCss, roleText, toLocalInput } from './fmt.js';
import { errorText, knownAreas } from './rules.js';

const GRANT_ROLES = new Set(['privacy']);

function option(value, text) {
  const o = el('option', null, text);
  o.value = value;
  return o;
}

export class AccessPage {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.users = [];
    loadCss('page-access.css');
    root.classList.add('page-access');
    root.setAttribute('aria-labelledby', 'access-title');

    const head = el('div', 'toolbar');
    const h2 = el('h2', null, 'Autorisaties');
    h2.id = 'access-title';
    const refresh = el('button', null, 'Vernieuwen');
    refresh.type = 'button';
    refresh.addEventListener('click', () => this.load());
    head.append(h2, refresh);
    root.append(head);
    root.append(el('p', 'muted',
      'Register van alle accounts en hun autorisaties per gebied. Alleen individueel geautoriseerde personen '
      + 'verwerken de beelden, per gebied en voor beperkte tijd (Wpg art. 6).'));
    this.error = el('p', 'error');
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    root.append(this.error);

    const wrap = el('div', 'table-wrap');
    const table = el('table', 'data access-table');
    const tr = el('tr');
    for (const t of ['Gebruiker', 'Rol', 'Account geldig tot', 'Status', 'Gebieden (geldig tot)']) {
      const th = el('th', null, t);
      th.scope = 'col';
      tr.append(th);
    }
    const thead = el('thead');
    thead.append(tr);
    this.rows = el('tbody');
    this.rows.id = 'access-rows';
    table.append(thead, this.rows);
    wrap.append(table);
    root.append(wrap);
    this.rows.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-revoke-user]');
      if (b) this.revoke(b);
    });

    this.buildForm();
  }

  get canGrant() {
    return GRANT_ROLES.has(this.ctx.session?.()?.role);
  }

  buildForm() {
    const f = el('form', 'access-form');
    const title = el('h3', null, 'Autorisatie toevoegen');
    title.id = 'access-form-title';
    f.setAttribute('aria-labelledby', title.id);
    const lab = (text, control, hint) => {
      const l = el('label', 'field');
      l.append(el('span', 'field-label', text), control);
      if (hint) l.append(el('small', 'muted', hint));
      return l;
    };
    const user = document.createElement('select');
    user.name = 'user';
    user.required = true;
    const area = document.createElement('input');
    area.name = 'area';
    area.required = true;
    area.autocomplete = 'off';
    area.maxLength = 64;
    this.areaList = document.createElement('datalist');
    this.areaList.id = 'access-area-list';
    area.setAttribute('list', this.areaList.id);
    const until = document.createElement('input');
    until.type = 'datetime-local';
    until.name = 'valid_until';
    until.required = true;
    // Handhaving: recorded video of the area only with this grant (never live).
    const video = document.createElement('input');
    video.type = 'checkbox';
    video.name = 'video';
    const videoLabel = el('label', 'field access-video');
    videoLabel.append(video, ' ', el('span', null, 'Ook opgenomen beelden terugkijken (alleen handhaving)'));
    videoLabel.hidden = true;
    this.videoLabel = videoLabel;
    user.addEventListener('change', () => this.syncVideo());
    const grid = el('div', 'form-grid');
    grid.append(lab('Gebruiker', user), lab('Gebied', area), lab('Geldig tot', until, 'Autorisaties zijn altijd tijdelijk'), videoLabel);
    this.formError = el('p', 'error');
    this.formError.setAttribute('role', 'alert');
    const submit = el('button', 'primary', 'Autorisatie toevoegen');
    submit.type = 'submit';
    f.append(title, grid, this.areaList, this.formError, submit);
    f.addEventListener('submit', (e) => { e.preventDefault(); this.grant(); });
    this.form = f;
    this.form.hidden = true;
    this.root.append(f);
    this.resetForm();
  }

  /** The video grant is offered for handhaving officers only. */
  syncVideo() {
    const u = (this.users ?? []).find((x) => x.user === this.form.elements.user.value);
    this.videoLabel.hidden = u?.role !== 'handhaving';
    if (this.videoLabel.hidden) this.form.elements.video.checked = false;
  }

  resetForm() {
    this.form.elements.valid_until.value = toLocalInput(Date.now() + 365 * 86400e3).slice(0, 16);
    this.form.elements.area.value = '';
    this.formError.textContent = '';
  }

  async show() {
    await this.load();
  }

  async load() {
    let r;
    try {
      r = await this.ctx.request('users.list', {});
    } catch (e) {
      this.error.textContent = `Register niet geladen. ${errorText(e)}`;
      this.error.hidden = false;
      return;
    }
    this.error.hidden = true;
    this.users = r.users;
    this.render();
  }

  render() {
    const now = Date.now();
    const grant = this.canGrant;
    this.rows.replaceChildren();
    for (const u of this.users) {
      const tr = el('tr');
      tr.dataset.user = u.user;
      const expired = u.valid_until && Date.parse(u.valid_until) <= now;
      const locked = u.locked_until && Date.parse(u.locked_until) > now;
      const status = el('td', 'status');
      if (u.disabled) status.append(el('span', 'badge danger', 'uitgeschakeld'));
      else if (expired) status.append(el('span', 'badge danger', 'verlopen'));
      else status.append(el('span', 'badge ok', 'actief'));
      if (locked) status.append(' ', el('span', 'badge warn', `geblokkeerd tot ${dateTime(u.locked_until)}`));
      const areas = el('td', 'areas');
      const list = el('ul', 'area-list');
      for (const a of u.areas ?? []) {
        const gone = a.valid_until && Date.parse(a.valid_until) <= now;
        const li = el('li', gone ? 'area expired' : 'area');
        li.dataset.area = a.area;
        li.append(el('span', 'area-name', a.name && a.name !== a.area ? `${a.name} (${a.area})` : a.area), ' ',
          el('span', gone ? 'badge danger' : 'muted', a.valid_until ? `${gone ? 'verlopen' : 'tot'} ${dateTime(a.valid_until)}` : 'onbeperkt'));
        if (a.video) li.append(' ', el('span', 'badge warn', 'met beelden'));
        if (grant && !gone) {
          const b = el('button', 'small danger', 'Intrekken');
          b.type = 'button';
          b.dataset.revokeUser = u.user;
          b.dataset.area = a.area;
          b.setAttribute('aria-label', `Autorisatie van ${u.user} voor ${a.area} intrekken`);
          li.append(' ', b);
        }
        list.append(li);
      }
      if (!(u.areas ?? []).length) areas.append(el('span', 'muted', u.role === 'privacy' || u.role === 'admin' ? 'geen (niet nodig voor deze rol)' : 'geen'));
      else areas.append(list);
      tr.append(el('td', 'user', u.user), el('td', null, roleText[u.role] ?? u.role),
        el('td', 'time', u.valid_until ? dateTime(u.valid_until) : 'onbeperkt'), status, areas);
      this.rows.append(tr);
    }
    if (!this.users.length) {
      const tr = el('tr');
      const td = el('td', 'empty', 'Geen accounts.');
      td.colSpan = 5;
      tr.append(td);
      this.rows.append(tr);
    }
    this.form.hidden = !grant;
    const sel = this.form.elements.user;
    const keep = sel.value;
    sel.replaceChildren(option('', '— kies een gebruiker —'),
      ...this.users.map((u) => option(u.user, `${u.user} (${roleText[u.role] ?? u.role})`)));
    sel.value = keep;
    this.syncVideo();
    const areas = knownAreas(this.ctx, this.users.flatMap((u) => u.areas ?? []));
    this.areaList.replaceChildren(...[...areas].map(([id, name]) => { const o = option(id, ''); o.label = name; return o; }));
  }

  async grant() {
    const f = this.form.elements;
    const until = fromLocalInput(f.valid_until.value);
    if (Number.isNaN(until) || until <= Date.now()) {
      this.formError.textContent = '"Geldig tot" moet een tijd in de toekomst zijn.';
      return;
    }
    const fields = { user: f.user.value, area: f.area.value.trim(), valid_until: iso(until) };
    if (f.video.checked) fields.video = true;
    this.formError.textContent = '';
    try {
      const r = await this.ctx.request('user.authorise', fields);
      this.ctx.notify?.(`Autorisatie verleend: ${r.user} voor ${r.area} tot ${dateTime(r.valid_until)}.`, 'ok');
      this.resetForm();
    } catch (e) {
      this.formError.textContent = e?.code === 'not_found'
        ? `Onbekende gebruiker of onbekend gebied. (${e.message})` : errorText(e);
      return;
    }
    await this.load();
  }

  /** First click arms the button ("Zeker?"), a second one within 5 s revokes. */
  async revoke(button) {
    const { revokeUser: user, area } = button.dataset;
    if (!button.classList.contains('armed')) {
      button.classList.add('armed');
      button.textContent = 'Zeker? Klik nogmaals';
      clearTimeout(button.disarm);
      button.disarm = setTimeout(() => { button.classList.remove('armed'); button.textContent = 'Intrekken'; }, 5000);
      return;
    }
    clearTimeout(button.disarm);
    button.disabled = true;
    try {
      const r = await this.ctx.request('authorisation.revoke', { user, area });
      this.ctx.notify?.(`Autorisatie van ${r.user} voor ${r.area} ingetrokken.`, 'ok');
    } catch (e) {
      this.error.textContent = `Niet ingetrokken. ${errorText(e)}`;
      this.error.hidden = false;
      button.disabled = false;
      return;
    }
    await this.load();
  }
}
