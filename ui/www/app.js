// uitkijk console (minimal): log in, list cameras with live status.
// The protocol is docs/PROTOCOL.md; all text shown is Dutch.
const $ = (id) => document.getElementById(id);
const stateText = { recording: 'neemt op', down: 'storing', connecting: 'verbinden', stopped: 'gestopt' };
const fmt = new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', dateStyle: 'short', timeStyle: 'medium', hour12: false });

let ws = null;
let nextId = 1;
const pending = new Map();

function request(type, fields = {}) {
  const id = nextId++;
  ws.send(JSON.stringify({ type, id, ...fields }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function renderCameras(cameras) {
  const rows = $('camera-rows');
  rows.replaceChildren();
  for (const c of cameras) {
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
    rows.append(tr);
  }
}

async function refresh() {
  const r = await request('cameras.list');
  renderCameras(r.cameras);
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  ws = new WebSocket(`${proto}//${location.host}/ws`, 'uitkijk.v1');
  ws.onmessage = async (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === 'hello') {
      if (!msg.logged_in) { showLogin(); return; }
      const s = await request('session');
      showConsole(s);
    } else if (msg.type === 'result' || msg.type === 'error') {
      const p = pending.get(msg.id);
      if (p) { pending.delete(msg.id); msg.type === 'result' ? p.resolve(msg) : p.reject(msg); }
    } else if (msg.type === 'event' && msg.event === 'camera.state') {
      refresh();
    }
  };
  ws.onclose = () => { $('status').textContent = 'Verbinding met de server verbroken; opnieuw verbinden…'; setTimeout(connect, 2000); };
}

function showLogin() {
  $('login').hidden = false; $('cameras').hidden = true; $('logout').hidden = true; $('who').textContent = '';
}

function showConsole(session) {
  $('login').hidden = true; $('cameras').hidden = false; $('logout').hidden = false;
  $('who').textContent = `${session.user} (${session.role})`;
  $('status').textContent = '';
  refresh();
  clearInterval(window.ukTimer);
  window.ukTimer = setInterval(refresh, 5000);
}

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
  ws.close();
});

$('logout').addEventListener('click', async () => { await request('logout'); location.reload(); });

connect();
