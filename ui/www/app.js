// uitkijk console: the shell. Logs in, shows the header (user, role, clock,
// navigation of the role's pages), the alert bar ("Meldingen") and one page
// at a time, chosen by the location hash (#/live, #/playback?camera=ID&t=TIME,
// #/plans, #/review, #/clips, #/audit, #/access, #/designations, #/users).
// The protocol is docs/PROTOCOL.md; all text shown is Dutch.
//
// Pages follow one contract: an ES module exporting a class
//   new XPage(root, ctx); await page.show(); page.hide?.(); page.onEvent?.(msg)
// where root is an empty <section> the page owns and ctx is
//   {request(type, fields), session(), cameras(), cameraName(id), notify(message, kind), navigate(hash)}.
// The operator's pages (live, playback, plans) are built in; the others are
// loaded with import() when first shown, so a missing module only shows a
// notice on its own page.
import { LiveGrid } from './live.js';
import { Alerts } from './alerts.js';
import { Coordination } from './coord.js';
import { Playback } from './playback.js';
import { IncidentForm, isTyping } from './incident-form.js';
import { Feed } from './feed.js';
import { el, roleText, dateTime, date, time } from './fmt.js';

const $ = (id) => document.getElementById(id);
const stateText = { recording: 'neemt op', down: 'storing', connecting: 'verbinden', stopped: 'gestopt' };
const LIVE_ROLES = new Set(['operator', 'supervisor']);

/** The pages: route -> {label (per role), roles, landing for, and where it comes from}. */
const ROUTES = {
  live: { label: 'Live', roles: ['operator', 'supervisor'], builtin: true },
  playback: { label: 'Terugkijken', roles: ['operator', 'supervisor'], builtin: true },
  plans: { label: 'Planning', roles: ['supervisor'], builtin: true },
  review: { label: 'Incidenten', roles: ['operator', 'supervisor', 'handhaving'], module: './page-review.js', cls: 'ReviewPage' },
  clips: { label: { police: 'Beeldverzoeken', supervisor: 'Goedkeuren', privacy: 'Beeldverzoeken' },
    roles: ['supervisor', 'police', 'privacy'], module: './page-clips.js', cls: 'ClipsPage' },
  audit: { label: 'Auditlog', roles: ['privacy'], module: './page-audit.js', cls: 'AuditPage' },
  access: { label: 'Autorisaties', roles: ['privacy'], module: './page-access.js', cls: 'AccessPage' },
  users: { label: 'Gebruikers', roles: ['admin'], module: './page-users.js', cls: 'UsersPage' },
  designations: { label: 'Aanwijzingen', roles: ['operator', 'supervisor', 'police', 'handhaving', 'privacy', 'admin'],
    module: './rules.js', cls: 'Rules' },
};
const NAV_ORDER = ['live', 'playback', 'plans', 'clips', 'review', 'audit', 'access', 'users', 'designations'];
const LANDING = { operator: 'live', supervisor: 'live', police: 'clips', handhaving: 'review', privacy: 'audit', admin: 'users' };

let ws = null;
let nextId = 1;
let session = null;
let reconnectNow = false; // logged in over HTTP: open a websocket with the new cookie at once
let current = null;       // the route shown
let currentQuery = null;
const pending = new Map();
const cameras = new Map(); // camera id -> the cameras.list entry
const pages = new Map();   // route -> {section, instance, ready: Promise}

function request(type, fields = {}) {
  const id = nextId++;
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    return Promise.reject({ code: 'closed', message: 'geen verbinding met de server' });
  }
  ws.send(JSON.stringify({ type, id, ...fields }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

const cameraName = (id) => cameras.get(id)?.name ?? id;
const cameraList = () => [...cameras.values()];

// Test and benchmark hooks (see live.js): window.__uk.tiles, .alerts,
// .captureScan, .grid, .form, .feed, .playback, .request, .route() and
// .events: the last 100 events received (for diagnosis).
const hooks = { captureScan: false, events: [], request };
window.__uk = hooks;

const alerts = new Alerts($('alerts'), $('alerts-empty'));
hooks.alerts = alerts;
const notify = (message, kind = 'info') => alerts.add({ kind, message });

/** What every page gets (the page contract). */
const ctx = {
  request,
  session: () => session,
  cameras: cameraList,
  cameraName,
  notify,
  navigate: (hash) => { if (location.hash === hash) route(); else location.hash = hash; },
};

// ---- the operator's live page: grid, cameras, incident form, feed ----

const grid = new LiveGrid($('tiles'), {
  request,
  cameraName,
  cameraState: (id) => cameras.get(id)?.state ?? null,
  cameras: () => cameraList().map((c) => ({ camera: c.camera, name: c.name })),
  onChange: () => { renderCameras(); renderLayout(); },
}, hooks);
hooks.grid = grid;

const coord = new Coordination({
  request,
  session: () => session,
  cameraName,
  cameras: () => cameraList().map((c) => ({ camera: c.camera, name: c.name })),
  onChange: () => renderCameras(),
  notify,
});
hooks.coord = coord;

const feed = new Feed($('feed'), $('feed-empty'), { request, cameraName });
hooks.feed = feed;

const form = new IncidentForm($('incident'), {
  request,
  cameras: () => cameraList().map((c) => ({ camera: c.camera, name: c.name })),
  cameraName,
  current: () => grid.current() ?? cameraList()[0]?.camera ?? null,
  frameTimes: () => grid.frameTimes(),
  onCreated: (inc) => feed.put(inc),
});
hooks.form = form;

function renderLayout() {
  for (const b of document.querySelectorAll('#live .layout-switch [data-layout]')) {
    b.setAttribute('aria-pressed', String(Number(b.dataset.layout) === grid.layout));
  }
}

document.querySelector('#live .layout-switch').addEventListener('click', (e) => {
  const b = e.target.closest('[data-layout]');
  if (b) grid.setLayout(Number(b.dataset.layout));
});

// The feed is loaded once per connection; events keep it current after that.
let feedLoaded = false;
const livePage = {
  async show() {
    renderCameras();
    renderLayout();
    const loads = [form.load()];
    if (!feedLoaded) loads.push(feed.load().then(() => { feedLoaded = true; }));
    await Promise.all(loads).catch((x) => notify(`Laden mislukt: ${x.message ?? x}`, 'error'));
  },
};

const playback = new Playback($('playback'), {
  request,
  cameras: () => cameraList().map((c) => ({ camera: c.camera, name: c.name })),
});
hooks.playback = playback;

const plansPage = {
  async show() { await coord.loadPlans(); },
};

/** Keeps focus on the same control when the camera table is drawn again. */
function renderCameras() {
  const rows = $('camera-rows');
  const active = document.activeElement;
  let refocus = null;
  if (active && rows.contains(active)) {
    const tr = active.closest('tr');
    refocus = { camera: tr?.dataset.camera, cls: [...active.classList].find((c) => /-btn$|^watch$/.test(c)) };
  }
  rows.replaceChildren();
  const canWatch = session && LIVE_ROLES.has(session.role);
  for (const c of cameras.values()) {
    const tr = document.createElement('tr');
    tr.dataset.camera = c.camera;
    const cells = [c.name, c.area_name ?? c.area, c.location ?? '', stateText[c.state] ?? c.state,
      c.fps?.toFixed(1) ?? '', c.last_frame ? time(c.last_frame) : '—'];
    for (const text of cells) tr.append(el('td', null, text));
    tr.children[3].className = `state-${c.state}`;
    if (c.blocked) tr.children[3].title = c.blocked;
    if (c.last_frame) tr.children[5].title = dateTime(c.last_frame);
    const td = document.createElement('td');
    if (canWatch) {
      const watching = grid.watching(c.camera);
      const b = el('button', 'watch small', watching ? 'Wordt bekeken' : 'Bekijken');
      b.type = 'button';
      b.dataset.camera = c.camera;
      b.disabled = watching;
      td.append(b);
    }
    tr.append(td);
    tr.append(coord.cell(c.camera));
    rows.append(tr);
  }
  if (refocus?.camera) {
    const sel = `tr[data-camera="${CSS.escape(refocus.camera)}"] ${refocus.cls ? `button.${refocus.cls}` : 'button'}`;
    const b = rows.querySelector(sel) ?? rows.querySelector(`tr[data-camera="${CSS.escape(refocus.camera)}"] button`);
    b?.focus();
  }
}

$('camera-rows').addEventListener('click', (e) => {
  const b = e.target.closest('button.watch');
  if (b && !b.disabled) { grid.watch(b.dataset.camera); return; }
  coord.onClick(e.target);
});

// ---- pages and routes ----

/** Handhaving plays back recordings only of areas with a video grant. */
const videoGranted = () => session?.role === 'handhaving' && (session.areas ?? []).some((a) => a.video);
const allowed = (name) => !!session
  && (!!ROUTES[name]?.roles.includes(session.role) || (name === 'playback' && videoGranted()));
const labelOf = (name) => {
  const l = ROUTES[name].label;
  return typeof l === 'string' ? l : l[session?.role] ?? Object.values(l)[0];
};

function renderNav() {
  const nav = $('nav');
  nav.replaceChildren();
  if (!session) { nav.hidden = true; return; }
  for (const name of NAV_ORDER) {
    if (!allowed(name)) continue;
    const a = el('a', null, labelOf(name));
    a.href = `#/${name}`;
    a.dataset.route = name;
    nav.append(a);
  }
  nav.hidden = false;
}

/** Loads a page that is not built in (its module, once). */
function mountExternal(name) {
  const r = ROUTES[name];
  const section = el('section', 'page');
  section.id = `page-${name}`;
  section.dataset.page = name;
  section.hidden = true;
  $('status').before(section);
  const entry = { section, instance: null };
  entry.ready = import(r.module).then((mod) => {
    const Cls = mod[r.cls];
    if (typeof Cls !== 'function') throw new Error(`${r.module} heeft geen ${r.cls}`);
    if (name === 'designations' && typeof Cls.prototype.show !== 'function') {
      entry.instance = legacyRules(Cls, section); // rules.js before the page contract
    } else {
      entry.instance = new Cls(section, ctx);
    }
  }).catch((x) => {
    console.warn('page', name, x);
    section.replaceChildren(el('h2', null, labelOf(name)),
      el('p', 'empty', 'Deze pagina is (nog) niet beschikbaar in deze versie van de console.'));
    entry.instance = {};
  });
  pages.set(name, entry);
  return entry;
}

/** The older Rules(section, request).load() of rules.js, wrapped as a page. */
function legacyRules(Cls, section) {
  section.append(el('h2', null, 'Aanwijzingen'));
  const list = el('ul', 'plans');
  list.id = 'designation-rows';
  const risks = el('ul', 'plans');
  risks.id = 'risk-rows';
  section.append(list, el('h3', null, 'Veiligheidsrisicogebieden (art. 151b)'), risks);
  const rules = new Cls(section, request);
  return { show: () => rules.load() };
}

function pageEntry(name) {
  if (pages.has(name)) return pages.get(name);
  if (name === 'live') pages.set(name, { section: $('live'), instance: livePage, ready: Promise.resolve() });
  else if (name === 'playback') pages.set(name, { section: $('playback'), instance: playback, ready: Promise.resolve() });
  else if (name === 'plans') pages.set(name, { section: $('plans'), instance: plansPage, ready: Promise.resolve() });
  else return mountExternal(name);
  return pages.get(name);
}

function parseHash() {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(location.hash);
  return m ? { name: m[1], query: new URLSearchParams(m[2] ?? '') } : { name: null, query: new URLSearchParams() };
}

/** Shows the page of the location hash (or the role's landing page). */
async function route() {
  if (!session) return;
  let { name, query } = parseHash();
  if (!allowed(name)) {
    name = LANDING[session.role] ?? NAV_ORDER.find(allowed);
    if (!name) return;
    history.replaceState(null, '', `#/${name}`);
    query = new URLSearchParams();
  }
  const same = name === current;
  if (!same && current) {
    try { pages.get(current)?.instance?.hide?.(); } catch (x) { console.warn(x); }
  }
  for (const [n, p] of pages) if (n !== name) p.section.hidden = true;
  current = name;
  currentQuery = query.toString();
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.title = `${labelOf(name)} — uitkijk`;
  document.body.dataset.route = name;
  const entry = pageEntry(name);
  entry.section.hidden = false;
  await entry.ready;
  if (current !== name) return;
  try {
    if (name === 'playback') {
      playback.show();
      const t = Date.parse(query.get('t'));
      if (query.get('camera') && !Number.isNaN(t)) {
        // An incident's link opens paused at its frame.
        const inc = query.get('incident');
        const opts = inc ? { hold: `Incident ${inc}: gepauzeerd bij het beeld` } : {};
        await playback.open(query.get('camera'), t, opts).catch((x) => playback.status(`Afspelen mislukt: ${x.message ?? x}`));
      }
    } else if (!same || name !== 'live') {
      await entry.instance?.show?.();
    }
  } catch (x) {
    console.warn('page', name, x);
    notify(`${labelOf(name)}: laden mislukt (${x.message ?? x.code ?? x})`, 'error');
  }
}
hooks.route = route;
window.addEventListener('hashchange', () => route());

// ---- keyboard: "n" and Alt+1..9 on the live page ----

document.addEventListener('keydown', (e) => {
  if (!session || current !== 'live') return;
  if (document.querySelector('dialog[open]')) return;
  if (form.onKey(e)) return;
  if (e.key === 'Escape' && !isTyping(e.target) && grid.tiles.size) grid.tiles.get(grid.current())?.element.focus();
});

// ---- header clock (Europe/Amsterdam) ----

const weekday = new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', weekday: 'short' });
function tickClock() {
  const now = new Date();
  const c = $('clock');
  c.textContent = `${weekday.format(now)} ${date(now)} ${time(now)}`;
  c.dateTime = now.toISOString();
}
tickClock();
setInterval(tickClock, 1000);

// ---- server data ----

async function refresh() {
  const r = await request('cameras.list');
  cameras.clear();
  for (const c of r.cameras) cameras.set(c.camera, c);
  alerts.knowStates(r.cameras);
  grid.onCameras(r.cameras);
  renderCameras();
}

function onEvent(msg) {
  hooks.events.push({ received: new Date().toISOString(), ...msg });
  if (hooks.events.length > 100) hooks.events.shift();
  if (msg.event === 'session.ended') {
    // The administrator disabled the account or set a new password.
    showLogin(msg.reason === 'password_changed'
      ? 'Uw wachtwoord is gewijzigd door de beheerder; meld u opnieuw aan.'
      : 'Uw account is uitgeschakeld door de beheerder.');
    return;
  }
  if (msg.event === 'camera.state') {
    const c = cameras.get(msg.camera);
    if (c) { c.state = msg.state; c.last_error = msg.reason; }
    grid.onCameraState(msg);
    alerts.fromCameraState(msg, c?.name ?? msg.camera);
    refresh().catch(() => {});
  } else if (['presence', 'handover', 'plan.created', 'plan.cancelled'].includes(msg.event)) {
    coord.onEvent(msg);
  } else if (msg.event === 'live.ended') {
    alerts.add({ kind: 'live.ended', camera: msg.camera,
      message: `Live beeld van ${cameraName(msg.camera)} beëindigd: mag nu niet bekeken worden` });
    refresh().catch(() => {});
  } else if (msg.event === 'alert' && msg.alert) {
    const a = msg.alert;
    alerts.fromServer({ ...a, message: a.message ?? `${a.kind}: ${cameraName(a.camera) ?? ''}` });
  } else if (msg.event === 'incident.created' || msg.event === 'incident.changed') {
    if (session && LIVE_ROLES.has(session.role)) feed.onEvent(msg);
  }
  for (const [name, p] of pages) {
    if (ROUTES[name]?.builtin || !p.instance?.onEvent) continue;
    try { p.instance.onEvent(msg); } catch (x) { console.warn('page', name, x); }
  }
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  ws = new WebSocket(`${proto}//${location.host}/ws`, 'uitkijk.v1');
  ws.binaryType = 'arraybuffer';
  ws.onmessage = async (e) => {
    if (e.data instanceof ArrayBuffer) { grid.onBinary(e.data); return; }
    const msg = JSON.parse(e.data);
    if (msg.type === 'hello') {
      if (!msg.logged_in) { showLogin(); return; }
      const s = await request('session');
      showConsole(s);
    } else if (msg.type === 'result' || msg.type === 'error') {
      const p = pending.get(msg.id);
      if (p) { pending.delete(msg.id); msg.type === 'result' ? p.resolve(msg) : p.reject(msg); }
      if (msg.type === 'error' && msg.code === 'session_expired') showLogin('Uw sessie is verlopen; meld u opnieuw aan.');
    } else if (msg.type === 'event') {
      onEvent(msg);
    } else if (msg.type === 'events') {
      for (const ev of msg.events ?? []) onEvent(ev); // a batch, in order
    }
  };
  ws.onclose = () => {
    for (const p of pending.values()) p.reject({ code: 'closed', message: 'verbinding verbroken' });
    pending.clear();
    grid.connectionLost();
    if (reconnectNow) { reconnectNow = false; connect(); return; }
    $('status').textContent = 'Verbinding met de server verbroken; opnieuw verbinden…';
    setTimeout(connect, 2000);
  };
}

function showLogin(why) {
  const wasIn = !!session;
  session = null;
  grid.clear();
  clearInterval(window.ukTimer);
  for (const p of pages.values()) p.section.hidden = true;
  current = null;
  document.body.dataset.route = 'login';
  $('login').hidden = false;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('alerts-section').hidden = true;
  renderNav();
  if (why && wasIn) $('login-error').textContent = why;
  $('login').querySelector('input[name=user]').focus();
}

function showConsole(s) {
  session = s;
  feedLoaded = false; // (re)connected: events may have been missed
  current = null;     // show the page anew
  $('login').hidden = true;
  $('logout').hidden = false;
  $('alerts-section').hidden = false;
  $('who').replaceChildren(el('strong', null, s.user), ' ', el('span', 'muted', roleText[s.role] ?? s.role));
  $('who').title = (s.areas ?? []).map((a) => a.name ?? a.area).join(', ');
  $('status').textContent = '';
  renderNav();
  const live = LIVE_ROLES.has(s.role);
  refresh().then(() => live && grid.resume()).then(() => live && coord.load()).catch(() => {}).then(() => route());
  if (live) {
    // Alerts still active (servers without alerts.list answer unknown_type).
    request('alerts.list').then((r) => {
      for (const a of [...(r.alerts ?? [])].reverse()) if (a.active !== false) alerts.fromServer(a);
    }).catch(() => {});
  }
  clearInterval(window.ukTimer);
  window.ukTimer = setInterval(() => refresh().catch(() => {}), 5000);
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await fetch('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: f.get('user'), password: f.get('password') }) });
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    $('login-error').textContent = r.status === 423 ? 'Account tijdelijk geblokkeerd na te veel mislukte pogingen.'
      : body.code === 'account_inactive' ? 'Dit account is niet (meer) actief.'
        : body.code === 'busy' ? 'De server is druk met aanmeldingen; probeer het over een ogenblik opnieuw.'
          : 'Onjuiste gebruikersnaam of wachtwoord.';
    return;
  }
  $('login-error').textContent = '';
  e.target.reset();
  reconnectNow = true;
  ws.close();
});

$('logout').addEventListener('click', async () => {
  await request('logout').catch(() => {});
  history.replaceState(null, '', location.pathname);
  location.reload();
});

connect();
