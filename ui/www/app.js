// uitkijk console (minimal): log in, list cameras with live status, watch
// cameras live (live.js), show alerts (alerts.js).
// The protocol is docs/PROTOCOL.md; all text shown is Dutch.
import { LiveGrid } from './live.js';
import { Alerts } from './alerts.js';
import { Coordination } from './coord.js';
import { Rules } from './rules.js';
import { Playback } from './playback.js';

const $ = (id) => document.getElementById(id);
const stateText = { recording: 'neemt op', down: 'storing', connecting: 'verbinden', stopped: 'gestopt' };
const fmt = new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', dateStyle: 'short', timeStyle: 'medium', hour12: false });
const LIVE_ROLES = new Set(['operator', 'supervisor']);

let ws = null;
let nextId = 1;
let session = null;
let reconnectNow = false; // logged in over HTTP: open a websocket with the new cookie at once
const pending = new Map();
const cameras = new Map(); // camera id -> the cameras.list entry

function request(type, fields = {}) {
  const id = nextId++;
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    return Promise.reject({ code: 'closed', message: 'no connection' });
  }
  ws.send(JSON.stringify({ type, id, ...fields }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

// Test and benchmark hooks (see live.js): window.__uk.tiles, .alerts,
// .captureScan, and .events: the last 100 events received (for diagnosis).
const hooks = { captureScan: false, events: [] };
window.__uk = hooks;

const grid = new LiveGrid($('tiles'), {
  request,
  cameraName: (id) => cameras.get(id)?.name ?? id,
  cameraState: (id) => cameras.get(id)?.state ?? null,
  onChange: () => { $('live').hidden = grid.tiles.size === 0; renderCameras(); },
}, hooks);
const alerts = new Alerts($('alerts'), $('alerts-empty'));
hooks.alerts = alerts;
const coord = new Coordination({
  request,
  session: () => session,
  cameraName: (id) => cameras.get(id)?.name ?? id,
  cameras: () => [...cameras.values()].map((c) => ({ camera: c.camera, name: c.name })),
  onChange: () => renderCameras(),
  notify: (message, kind) => alerts.add({ kind, message }),
});
hooks.coord = coord;
const rules = new Rules($('rules'), request);
const playback = new Playback($('playback'), {
  request,
  cameras: () => [...cameras.values()].map((c) => ({ camera: c.camera, name: c.name })),
});
hooks.playback = playback;
hooks.request = request;

/** #/playback?camera=ID&t=RFC3339: opens playback there (incident links). */
function route() {
  const m = location.hash.match(/^#\/playback\?(.*)$/);
  if (!m || !session || !LIVE_ROLES.has(session.role)) return;
  const q = new URLSearchParams(m[1]);
  const t = Date.parse(q.get('t'));
  if (q.get('camera') && !Number.isNaN(t)) playback.open(q.get('camera'), t).catch(() => {});
}
window.addEventListener('hashchange', route);

function renderCameras() {
  const rows = $('camera-rows');
  rows.replaceChildren();
  const canWatch = session && LIVE_ROLES.has(session.role);
  for (const c of cameras.values()) {
    const tr = document.createElement('tr');
    tr.dataset.camera = c.camera;
    const cells = [c.name, c.area_name ?? c.area, c.location ?? '', stateText[c.state] ?? c.state,
      c.fps?.toFixed(1) ?? '', c.last_frame ? fmt.format(new Date(c.last_frame)) : '—'];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tr.children[3].className = `state-${c.state}`;
    const td = document.createElement('td');
    if (canWatch) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'watch';
      b.dataset.camera = c.camera;
      const watching = grid.watching(c.camera);
      b.textContent = watching ? 'Wordt bekeken' : 'Bekijken';
      b.disabled = watching;
      td.append(b);
    }
    tr.append(td);
    tr.append(coord.cell(c.camera));
    rows.append(tr);
  }
}

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
      message: `Live beeld van ${cameras.get(msg.camera)?.name ?? msg.camera} beëindigd: mag nu niet bekeken worden` });
    refresh().catch(() => {});
  } else if (msg.event === 'alert' && msg.alert) {
    const a = msg.alert;
    alerts.fromServer({ ...a, message: a.message ?? `${a.kind}: ${cameras.get(a.camera)?.name ?? a.camera ?? ''}` });
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
    } else if (msg.type === 'event') {
      onEvent(msg);
    } else if (msg.type === 'events') {
      for (const ev of msg.events ?? []) onEvent(ev); // a batch, in order
    }
  };
  ws.onclose = () => {
    for (const p of pending.values()) p.reject({ code: 'closed', message: 'connection closed' });
    pending.clear();
    grid.connectionLost();
    if (reconnectNow) { reconnectNow = false; connect(); return; }
    $('status').textContent = 'Verbinding met de server verbroken; opnieuw verbinden…';
    setTimeout(connect, 2000);
  };
}

function showLogin() {
  session = null;
  grid.clear();
  $('login').hidden = false; $('cameras').hidden = true; $('logout').hidden = true; $('who').textContent = '';
  $('alerts-section').hidden = true; $('plans').hidden = true; $('rules').hidden = true;
  $('playback').hidden = true;
}

function showConsole(s) {
  session = s;
  $('login').hidden = true; $('cameras').hidden = false; $('logout').hidden = false;
  $('alerts-section').hidden = false;
  $('who').textContent = `${s.user} (${s.role})`;
  $('status').textContent = '';
  refresh().then(() => grid.resume()).then(() => coord.load()).catch(() => {}).then(() => {
    if (LIVE_ROLES.has(s.role)) { playback.show(); route(); }
  });
  rules.load().catch(() => {});
  // Alerts still active (servers without alerts.list answer unknown_type).
  request('alerts.list').then((r) => {
    for (const a of [...(r.alerts ?? [])].reverse()) if (a.active !== false) alerts.fromServer(a);
  }).catch(() => {});
  clearInterval(window.ukTimer);
  window.ukTimer = setInterval(() => refresh().catch(() => {}), 5000);
}

$('camera-rows').addEventListener('click', (e) => {
  const b = e.target.closest('button.watch');
  if (b && !b.disabled) { grid.watch(b.dataset.camera); return; }
  coord.onClick(e.target);
});

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const r = await fetch('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: form.get('user'), password: form.get('password') }) });
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    $('login-error').textContent = r.status === 423 ? 'Account tijdelijk geblokkeerd na te veel mislukte pogingen.' : 'Onjuiste gebruikersnaam of wachtwoord.';
    console.debug(body);
    return;
  }
  $('login-error').textContent = '';
  reconnectNow = true;
  ws.close();
});

$('logout').addEventListener('click', async () => { await request('logout').catch(() => {}); location.reload(); });

connect();
