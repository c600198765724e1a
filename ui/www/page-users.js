// uitkijk console: page "Gebruikers" (#/users), the administrator's landing
// page: the accounts (users.list) with their role, end date, state and area
// authorisations, a form for a new account (user.create), and per account
// "Uitschakelen"/"Inschakelen" (user.disable / user.enable) and "Nieuw
// wachtwoord" (user.password). Authorisations for areas are not managed here:
// the privacy officer grants and revokes them (page "Autorisaties").
// docs/PROTOCOL.md, "User administration". All text shown is Dutch.
import { dateTime, el, fromLocalInput, iso, loadCss, roleText } from './fmt.js';

const ROLES = ['operator', 'supervisor', 'police', 'handhaving', 'privacy', 'admin'];
const NAME_RE = /^[a-z0-9_][a-z0-9_-]{0,31}$/;
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 1024;

/** Byte length of @s in UTF-8 (the server's measure). */
const bytes = (s) => new TextEncoder().encode(s).length;

/** A Dutch sentence for a refused request ({type:'error', code, message}). */
export function usersErrorText(e, user) {
  if (!e || typeof e !== 'object') return `Fout: ${e ?? 'onbekend'}`;
  if (e instanceof Error) return `Fout: ${e.message}`;
  const m = e.message ?? '';
  switch (e.code) {
    case 'exists': return `Er bestaat al een gebruiker met de naam "${user}".`;
    case 'not_found': return `Gebruiker "${user}" bestaat niet (meer).`;
    case 'forbidden': return 'U hebt geen recht om gebruikers te beheren.';
    case 'session_expired':
    case 'not_logged_in': return 'Uw sessie is verlopen; meld u opnieuw aan.';
    case 'closed': return 'Geen verbinding met de server; probeer het zo opnieuw.';
    case 'internal': return `De server kon dit niet opslaan (${m}).`;
    case 'bad_message':
      if (/own account/.test(m)) return 'U kunt uw eigen account niet uitschakelen.';
      if (/already disabled/.test(m)) return `Gebruiker "${user}" is al uitgeschakeld.`;
      if (/already enabled/.test(m)) return `Gebruiker "${user}" is al ingeschakeld.`;
      if (/'password'/.test(m)) return `Het wachtwoord moet ${PASSWORD_MIN} tot ${PASSWORD_MAX} tekens hebben.`;
      if (/'user'/.test(m)) return 'Een gebruikersnaam heeft 1 tot 32 tekens: a-z, 0-9, _ en - (niet vooraan).';
      if (/'role'/.test(m)) return 'Kies een rol.';
      if (/'valid_until'/.test(m)) return '"Geldig tot" moet in de toekomst liggen.';
      return `Ongeldig verzoek (${m}).`;
    default: return `Fout (${e.code ?? 'onbekend'}): ${m}`;
  }
}

/** What the client checks before sending a new password; null when fine. */
function passwordProblem(pw, again) {
  if (!pw) return 'Vul een wachtwoord in.';
  if (bytes(pw) < PASSWORD_MIN || bytes(pw) > PASSWORD_MAX) {
    return `Het wachtwoord moet ${PASSWORD_MIN} tot ${PASSWORD_MAX} tekens hebben.`;
  }
  if (pw !== again) return 'De twee wachtwoorden zijn niet gelijk.';
  return null;
}

function field(text, control, hint) {
  const l = el('label', 'users-field');
  l.append(el('span', 'users-label', text), control);
  if (hint) {
    const h = el('small', 'muted', hint);
    h.id = `${control.id}-hint`;
    control.setAttribute('aria-describedby', h.id);
    l.append(h);
  }
  return l;
}

function input(id, name, attrs = {}) {
  const i = el('input');
  i.id = id;
  i.name = name;
  for (const [k, v] of Object.entries(attrs)) i.setAttribute(k, v);
  return i;
}

function button(text, cls, attrs = {}) {
  const b = el('button', cls, text);
  b.type = 'button';
  for (const [k, v] of Object.entries(attrs)) b.setAttribute(k, v);
  return b;
}

export class UsersPage {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.users = [];
    loadCss('page-users.css');
    root.classList.add('users-page');
    root.setAttribute('aria-labelledby', 'users-title');

    const head = el('div', 'toolbar');
    const h2 = el('h2', null, 'Gebruikers');
    h2.id = 'users-title';
    const refresh = button('Vernieuwen', 'users-refresh');
    refresh.addEventListener('click', () => this.load());
    head.append(h2, refresh);
    root.append(head);
    root.append(el('p', 'muted',
      'Accounts van de meldkamer. Autorisaties per gebied kent de privacyfunctionaris toe of trekt die in '
      + '(pagina Autorisaties); een nieuw account heeft nog geen gebieden.'));
    this.error = el('p', 'error users-error');
    this.error.setAttribute('role', 'alert');
    root.append(this.error);

    const layout = el('div', 'users-layout');
    const wrap = el('div', 'users-table-wrap');
    const table = el('table', 'data users-table');
    const caption = el('caption', 'users-caption', 'Alle accounts');
    const tr = el('tr');
    for (const t of ['Gebruiker', 'Rol', 'Geldig tot', 'Status', 'Gebieden', 'Acties']) {
      const th = el('th', null, t);
      th.scope = 'col';
      tr.append(th);
    }
    const thead = el('thead');
    thead.append(tr);
    this.rows = el('tbody');
    this.rows.id = 'users-rows';
    table.append(caption, thead, this.rows);
    this.empty = el('p', 'empty', 'Nog geen gebruikers geladen.');
    wrap.append(table, this.empty);
    this.rows.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-action]');
      if (!b) return;
      const user = this.users.find((u) => u.user === b.dataset.user);
      if (!user) return;
      if (b.dataset.action === 'password') this.openPassword(user, b);
      else this.openToggle(user, b);
    });
    layout.append(wrap, this.buildCreateForm());
    root.append(layout);
    this.buildDialog();
  }

  // ---- the register ----

  async show() {
    await this.load();
  }

  hide() {
    if (this.dialog.open) this.dialog.close();
  }

  onEvent() {
    // No pushed events concern accounts; the register is read on show.
  }

  async load() {
    let r;
    try {
      r = await this.ctx.request('users.list', {});
    } catch (e) {
      this.error.textContent = `Gebruikers niet geladen. ${usersErrorText(e, '')}`;
      return;
    }
    this.error.textContent = '';
    this.users = r.users ?? [];
    this.render();
  }

  stateOf(u) {
    const now = Date.now();
    const out = [];
    if (u.disabled) out.push(['Uitgeschakeld', 'danger']);
    if (u.valid_until && Date.parse(u.valid_until) <= now) out.push(['Verlopen', 'warn']);
    if (u.locked_until && Date.parse(u.locked_until) > now) {
      out.push([`Vergrendeld tot ${dateTime(u.locked_until)}`, 'warn']);
    }
    if (!out.length) out.push(['Actief', 'ok']);
    return out;
  }

  render() {
    const me = this.ctx.session?.()?.user;
    this.rows.replaceChildren();
    this.empty.hidden = this.users.length > 0;
    this.empty.textContent = 'Er zijn geen gebruikers.';
    for (const u of this.users) {
      const tr = el('tr');
      tr.dataset.user = u.user;
      if (u.disabled) tr.classList.add('users-disabled');
      const name = el('td', 'users-name');
      name.append(el('strong', null, u.user));
      if (u.user === me) name.append(' ', el('span', 'muted', '(u)'));
      const role = el('td', null, roleText[u.role] ?? u.role);
      const until = el('td', 'users-until', u.valid_until ? dateTime(u.valid_until) : 'geen einddatum');
      const state = el('td', 'users-state');
      for (const [text, kind] of this.stateOf(u)) state.append(el('span', `badge ${kind}`, text), ' ');
      const areas = el('td', 'users-areas');
      if (!u.areas?.length) areas.append(el('span', 'muted', 'geen'));
      for (const a of u.areas ?? []) {
        const text = a.valid_until ? `${a.name ?? a.area} (tot ${dateTime(a.valid_until)})` : (a.name ?? a.area);
        areas.append(el('span', 'users-area', text));
      }
      const actions = el('td', 'users-actions');
      const toggle = button(u.disabled ? 'Inschakelen' : 'Uitschakelen', u.disabled ? 'small' : 'danger small',
        { 'data-action': u.disabled ? 'enable' : 'disable', 'data-user': u.user,
          'aria-label': `${u.disabled ? 'Inschakelen' : 'Uitschakelen'}: ${u.user}` });
      if (u.user === me && !u.disabled) {
        toggle.disabled = true;
        toggle.title = 'U kunt uw eigen account niet uitschakelen.';
      }
      const pw = button('Nieuw wachtwoord', 'small', { 'data-action': 'password', 'data-user': u.user,
        'aria-label': `Nieuw wachtwoord: ${u.user}` });
      actions.append(toggle, pw);
      tr.append(name, role, until, state, areas, actions);
      this.rows.append(tr);
    }
  }

  // ---- new account ----

  buildCreateForm() {
    const f = el('form', 'panel users-form');
    f.id = 'users-create';
    f.noValidate = true; // checked here, with Dutch messages
    const title = el('h3', null, 'Nieuwe gebruiker');
    title.id = 'users-create-title';
    f.setAttribute('aria-labelledby', title.id);
    const name = input('users-new-name', 'user', { autocomplete: 'off', maxlength: '32', required: '',
      spellcheck: 'false', autocapitalize: 'off' });
    const role = el('select');
    role.id = 'users-new-role';
    role.name = 'role';
    role.required = true;
    const none = el('option', null, '— kies een rol —');
    none.value = '';
    role.append(none);
    for (const r of ROLES) {
      const o = el('option', null, roleText[r] ?? r);
      o.value = r;
      role.append(o);
    }
    const pw = input('users-new-password', 'password', { type: 'password', autocomplete: 'new-password', required: '' });
    const again = input('users-new-password2', 'password2', { type: 'password', autocomplete: 'new-password', required: '' });
    const until = input('users-new-until', 'valid_until', { type: 'datetime-local' });
    const submit = el('button', 'primary', 'Aanmaken');
    submit.type = 'submit';
    this.createError = el('p', 'error users-form-error');
    this.createError.setAttribute('role', 'alert');
    f.append(title,
      field('Gebruikersnaam', name, 'a-z, 0-9, _ en -; hoogstens 32 tekens'),
      field('Rol', role),
      field('Wachtwoord', pw, `minstens ${PASSWORD_MIN} tekens`),
      field('Wachtwoord (nogmaals)', again),
      field('Geldig tot (optioneel)', until, 'leeg: geen einddatum; tijd in Nederland'),
      submit, this.createError);
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      this.create(f, submit).catch((x) => { this.createError.textContent = usersErrorText(x, name.value); });
    });
    this.form = f;
    return f;
  }

  async create(f, submit) {
    const fields = f.elements;
    const user = fields.user.value.trim();
    const fail = (text, control) => {
      this.createError.textContent = text;
      control?.setAttribute('aria-invalid', 'true');
      control?.focus();
    };
    for (const c of f.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
    if (!NAME_RE.test(user)) {
      return fail('Een gebruikersnaam heeft 1 tot 32 tekens: a-z, 0-9, _ en - (niet vooraan).', fields.user);
    }
    if (!fields.role.value) return fail('Kies een rol.', fields.role);
    const problem = passwordProblem(fields.password.value, fields.password2.value);
    if (problem) return fail(problem, problem.includes('gelijk') ? fields.password2 : fields.password);
    const req = { user, role: fields.role.value, password: fields.password.value };
    if (fields.valid_until.value) {
      const t = fromLocalInput(fields.valid_until.value);
      if (Number.isNaN(t)) return fail('"Geldig tot" is geen geldige datum en tijd.', fields.valid_until);
      if (t <= Date.now()) return fail('"Geldig tot" moet in de toekomst liggen.', fields.valid_until);
      req.valid_until = iso(t);
    }
    this.createError.textContent = '';
    submit.disabled = true;
    try {
      const r = await this.ctx.request('user.create', req);
      f.reset();
      this.ctx.notify?.(`Gebruiker ${r.user.user} (${roleText[r.user.role] ?? r.user.role}) aangemaakt.`, 'info');
      await this.load();
      this.rows.querySelector(`tr[data-user="${CSS.escape(r.user.user)}"]`)?.classList.add('users-new');
      fields.user.focus();
    } catch (e) {
      fail(usersErrorText(e, user), e.code === 'exists' ? fields.user : null);
    } finally {
      submit.disabled = false;
      fields.password.value = '';
      fields.password2.value = '';
    }
  }

  // ---- the dialog: confirm disable/enable, or set a new password ----

  buildDialog() {
    const d = el('dialog', 'users-dialog');
    d.setAttribute('aria-labelledby', 'users-dialog-title');
    const f = el('form', 'dialog-form');
    f.method = 'dialog';
    f.noValidate = true;
    this.dialogTitle = el('h3', null, '');
    this.dialogTitle.id = 'users-dialog-title';
    this.dialogText = el('p', null, '');
    this.pwFields = el('div', 'users-dialog-fields');
    const pw = input('users-reset-password', 'password', { type: 'password', autocomplete: 'new-password' });
    const again = input('users-reset-password2', 'password2', { type: 'password', autocomplete: 'new-password' });
    this.pwFields.append(field('Nieuw wachtwoord', pw, `minstens ${PASSWORD_MIN} tekens`),
      field('Nieuw wachtwoord (nogmaals)', again));
    this.dialogError = el('p', 'dialog-error');
    this.dialogError.setAttribute('role', 'alert');
    const buttons = el('div', 'dialog-buttons');
    this.dialogOk = el('button', 'primary', 'OK');
    this.dialogOk.type = 'submit';
    this.dialogOk.value = 'ok';
    const cancel = button('Annuleren', null);
    cancel.addEventListener('click', () => d.close());
    buttons.append(this.dialogOk, cancel);
    f.append(this.dialogTitle, this.dialogText, this.pwFields, this.dialogError, buttons);
    d.append(f);
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      this.dialogSubmit().catch((x) => { this.dialogError.textContent = usersErrorText(x, this.target?.user); });
    });
    d.addEventListener('close', () => {
      pw.value = '';
      again.value = '';
      if (this.opener?.isConnected) this.opener.focus();
    });
    this.root.append(d);
    this.dialog = d;
    this.dialogForm = f;
  }

  openDialog(mode, user, opener) {
    this.mode = mode;
    this.target = user;
    this.opener = opener;
    this.dialogError.textContent = '';
    this.dialog.dataset.mode = mode;
    this.pwFields.hidden = mode !== 'password';
    this.dialogOk.className = mode === 'disable' ? 'danger' : 'primary';
    if (mode === 'password') {
      this.dialogTitle.textContent = `Nieuw wachtwoord voor ${user.user}`;
      this.dialogText.textContent = `Alle sessies van ${user.user} worden direct beëindigd; `
        + 'een vergrendeld account wordt ontgrendeld.';
      this.dialogOk.textContent = 'Wachtwoord instellen';
    } else if (mode === 'disable') {
      this.dialogTitle.textContent = `${user.user} uitschakelen?`;
      this.dialogText.textContent = `${user.user} kan niet meer aanmelden en alle sessies worden direct beëindigd `
        + '(ook lopende live-beelden).';
      this.dialogOk.textContent = 'Uitschakelen';
    } else {
      this.dialogTitle.textContent = `${user.user} inschakelen?`;
      this.dialogText.textContent = `${user.user} kan weer aanmelden.`;
      this.dialogOk.textContent = 'Inschakelen';
    }
    this.dialog.showModal();
    (mode === 'password' ? this.dialogForm.elements.password : this.dialogOk).focus();
  }

  openPassword(user, opener) {
    this.openDialog('password', user, opener);
  }

  openToggle(user, opener) {
    this.openDialog(user.disabled ? 'enable' : 'disable', user, opener);
  }

  async dialogSubmit() {
    const user = this.target.user;
    const fields = this.dialogForm.elements;
    let r;
    if (this.mode === 'password') {
      const problem = passwordProblem(fields.password.value, fields.password2.value);
      if (problem) {
        this.dialogError.textContent = problem;
        (problem.includes('gelijk') ? fields.password2 : fields.password).focus();
        return;
      }
      this.dialogOk.disabled = true;
      try {
        r = await this.ctx.request('user.password', { user, password: fields.password.value });
      } finally {
        this.dialogOk.disabled = false;
      }
      this.ctx.notify?.(`Nieuw wachtwoord voor ${r.user.user} ingesteld; de sessies van ${r.user.user} zijn beëindigd.`, 'info');
    } else {
      this.dialogOk.disabled = true;
      try {
        r = await this.ctx.request(this.mode === 'disable' ? 'user.disable' : 'user.enable', { user });
      } finally {
        this.dialogOk.disabled = false;
      }
      this.ctx.notify?.(r.user.disabled
        ? `Gebruiker ${r.user.user} uitgeschakeld; de sessies zijn beëindigd.`
        : `Gebruiker ${r.user.user} ingeschakeld.`, 'info');
    }
    const i = this.users.findIndex((u) => u.user === r.user.user);
    if (i >= 0) this.users[i] = r.user;
    this.render();
    this.opener = this.rows.querySelector(`tr[data-user="${CSS.escape(user)}"] button[data-action="${this.mode === 'password' ? 'password' : (r.user.disabled ? 'enable' : 'disable')}"]`) ?? this.opener;
    this.dialog.close();
  }
}
