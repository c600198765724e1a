// Browser test of the console's live view: Debian's chromium (/usr/bin/chromium,
// never a downloaded browser) driven by playwright-core, against the real
// daemon that tests/it_browser.py starts.
//
//   node tests/browser/live.test.mjs URL USER PASSWORD --h264 CAMERA --h265 CAMERA
//        [--control] [--screenshots DIR]
//
// Logs in through the form, watches the H.264 camera (frames decoded and
// presented, the frame time shown advances and is close to now), watches the
// H.265 camera (its tile shows the notice). With --control it then asks its
// parent (a line "@@ kill-camera" on stdout, answered by a line on stdin) to
// kill the H.264 camera's simulated camera and expects the tile and the alert
// list to show the camera down, then asks for it back ("@@ restart-camera")
// and expects the same tile to play again from the new stream (a new init
// segment, decode times from 0) with frame times near now. Finally it stops
// the view with the tile's button. Prints one line per step and
// "N passed, N failed"; exits 0 only when every step passed.
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
const positional = [];
const opt = {};
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--control') opt.control = true;
  else if (argv[i].startsWith('--')) opt[argv[i].slice(2)] = argv[++i];
  else positional.push(argv[i]);
}
const [url, user, password] = positional;
if (!url || !user || !password || !opt.h264) {
  console.error('usage: live.test.mjs URL USER PASSWORD --h264 CAMERA [--h265 CAMERA] [--kill-pid PID] [--screenshots DIR]');
  process.exit(2);
}

const problems = []; // console errors, CSP violations, page errors
let passed = 0;
let failed = 0;

function log(...a) {
  console.log(...a);
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return true;
  } catch (e) {
    failed++;
    log(`FAIL ${name}: ${e.stack ?? e}`);
    const diag = await page.evaluate(() => ({ events: window.__uk?.events, alerts: document.getElementById('alerts')?.outerHTML }))
      .catch((err) => ({ error: String(err) }));
    log(`     events received: ${JSON.stringify(diag.events)}\n     alert list: ${diag.alerts}`);
    await shot(`fail-${passed + failed}`);
    return false;
  }
}

// --control: ask the parent process to do something, wait for its answer line.
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function askParent(what) {
  log(`@@ ${what}`);
  const { value, done } = await stdinLines.next();
  if (done || !value.startsWith('ok')) throw new Error(`parent did not ${what}: ${value}`);
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const tileSel = (camera) => `#tiles .tile[data-camera="${camera}"]`;

const browser = await chromium.launch({
  executablePath: process.env.UK_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required'],
});
const killTimer = setTimeout(() => { log('FAIL overall timeout (80 s)'); process.exit(1); }, 80_000);
// The browser's own zone is UTC, so the overlay must convert to Europe/Amsterdam itself.
const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
page.on('console', (m) => {
  const text = m.text();
  if (m.type() === 'error' || /Content Security Policy/i.test(text)) problems.push(`console ${m.type()}: ${text}`);
});
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/login')) problems.push(`HTTP ${r.status()} for ${r.url()}`); });

async function tileInfo(camera) {
  return page.evaluate((sel) => {
    const t = document.querySelector(sel);
    if (!t) return null;
    const v = t.querySelector('video');
    const q = v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : null;
    return {
      status: t.dataset.status, state: t.dataset.state ?? null,
      presented: Number(t.dataset.framesPresented ?? 0),
      wallMs: t.dataset.frameWallMs ? Number(t.dataset.frameWallMs) : null,
      decoded: q ? q.totalVideoFrames : null,
      notice: t.querySelector('.tile-notice')?.hidden ? null : t.querySelector('.tile-notice')?.textContent,
      overlay: t.querySelector('.tile-overlay')?.textContent,
      videoError: v?.error ? v.error.message : null,
      now: Date.now(),
    };
  }, tileSel(camera));
}

async function shot(name) {
  if (opt.screenshots) await page.screenshot({ path: `${opt.screenshots}/${name}.png` }).catch(() => {});
}

let ok = await step('log in through the form', async () => {
  await page.goto(url);
  await page.locator('#login').waitFor({ state: 'visible', timeout: 10_000 });
  await page.fill('#login input[name=user]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.locator('#cameras').waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator(`#camera-rows tr[data-camera="${opt.h264}"] button.watch`).waitFor({ timeout: 10_000 });
  assert(await page.locator('#login').isHidden(), 'the login form is still shown');
});

if (ok) {
  ok = await step(`watch ${opt.h264}: frames decoded and presented, frame time advances and is near now`, async () => {
    await page.click(`#camera-rows tr[data-camera="${opt.h264}"] button.watch`);
    await page.locator(tileSel(opt.h264)).waitFor({ timeout: 5_000 });
    await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.framesPresented ?? 0) >= 10
      && document.querySelector(sel)?.dataset.frameWallMs, tileSel(opt.h264), { timeout: 15_000, polling: 100 });
    const a = await tileInfo(opt.h264);
    await page.waitForTimeout(1500);
    const b = await tileInfo(opt.h264);
    log(`     ${opt.h264}: status ${b.status}, presented ${a.presented} -> ${b.presented}, decoded ${a.decoded} -> ${b.decoded}, `
      + `frame time ${new Date(a.wallMs).toISOString()} -> ${new Date(b.wallMs).toISOString()}, `
      + `behind now ${b.now - b.wallMs} ms; overlay "${b.overlay}"`);
    assert(b.status === 'playing', `status ${b.status} (notice ${b.notice}, video error ${b.videoError})`);
    assert(b.decoded > a.decoded, `decoded frames did not rise: ${a.decoded} -> ${b.decoded}`);
    assert(b.presented - a.presented >= 20, `only ${b.presented - a.presented} frames presented in 1.5 s`);
    assert(b.wallMs - a.wallMs >= 1000 && b.wallMs - a.wallMs <= 2500, `frame time advanced ${b.wallMs - a.wallMs} ms in 1.5 s`);
    assert(Math.abs(b.now - b.wallMs) < 2000, `frame time is ${b.now - b.wallMs} ms behind now`);
    assert(/^\d\d:\d\d:\d\d\.\d{3}/.test(b.overlay), `overlay "${b.overlay}" shows no HH:MM:SS.mmm`);
    // The overlay is the frame's time in Europe/Amsterdam (the browser's own zone may differ).
    const hms = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit',
      second: '2-digit', hourCycle: 'h23' });
    const shown = b.overlay.slice(0, 8);
    assert(shown === hms.format(new Date(b.wallMs)) || shown === hms.format(new Date(b.wallMs - 1)),
      `overlay "${b.overlay}" is not the frame time ${new Date(b.wallMs).toISOString()} in Amsterdam time`);
    await shot('h264');
  });
}

if (ok && opt.h265) {
  await step(`watch ${opt.h265} (H.265): the tile shows the notice`, async () => {
    await page.click(`#camera-rows tr[data-camera="${opt.h265}"] button.watch`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.status === 'notice', tileSel(opt.h265),
      { timeout: 10_000, polling: 100 });
    const t = await tileInfo(opt.h265);
    log(`     ${opt.h265}: notice "${t.notice}"`);
    assert(t.notice && t.notice.includes('H.265'), `notice "${t.notice}"`);
    assert(await page.locator(`${tileSel(opt.h265)} .tile-notice`).isVisible(), 'the notice is not visible');
    await shot('h265');
  });
}

if (ok && opt.control) {
  ok = await step(`camera of ${opt.h264} killed: tile and alert list show it down within 15 s`, async () => {
    const before = await tileInfo(opt.h264);
    const t0 = Date.now();
    await askParent('kill-camera');
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'down', tileSel(opt.h264),
      { timeout: 15_000, polling: 100 });
    const tileDown = Date.now() - t0;
    const alert = page.locator(`#alerts li[data-camera="${opt.h264}"][data-kind="camera.down"]`);
    await alert.first().waitFor({ timeout: 15_000 - (Date.now() - t0) });
    const text = await alert.first().textContent();
    const t = await tileInfo(opt.h264);
    const events = await page.evaluate(() => window.__uk.events.map((e) => `${e.event}:${e.state ?? e.alert?.kind ?? ''}`));
    log(`     tile down after ${tileDown} ms; overlay "${t.overlay}"; alert "${text}"; `
      + `frames presented ${before.presented} -> ${t.presented}; events so far: ${events.join(' ')}`);
    assert(t.overlay.includes('Camera valt uit'), `overlay "${t.overlay}"`);
    assert(/uitgevallen/.test(text) && text.includes(opt.h264), `alert "${text}"`);
    assert(await page.locator('#alerts-section').isVisible(), 'the alert list is not visible');
    assert((await page.locator(`#alerts li[data-camera="${opt.h264}"][data-kind="camera.down"]`).count()) === 1,
      'the camera going down was listed more than once');
    await shot('down');
  });
}

if (ok && opt.control) {
  await step(`camera of ${opt.h264} back: the same tile plays the new stream, frame times near now`, async () => {
    const before = await tileInfo(opt.h264);
    await askParent('restart-camera');
    const t0 = Date.now();
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'recording', tileSel(opt.h264),
      { timeout: 30_000, polling: 100 });
    await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel)?.dataset.framesPresented ?? 0) >= n + 25,
      [tileSel(opt.h264), before.presented], { timeout: 15_000, polling: 100 });
    const a = await tileInfo(opt.h264);
    await page.waitForTimeout(1000);
    const b = await tileInfo(opt.h264);
    const up = await page.locator(`#alerts li[data-camera="${opt.h264}"][data-kind="camera.up"]`).first().textContent();
    log(`     playing again ${Date.now() - t0} ms after the restart; presented ${a.presented} -> ${b.presented}, `
      + `behind now ${b.now - b.wallMs} ms; overlay "${b.overlay}"; alert "${up}"`);
    assert(b.status === 'playing' && b.presented > a.presented, `status ${b.status}, presented ${a.presented} -> ${b.presented}`);
    assert(b.wallMs > a.wallMs && Math.abs(b.now - b.wallMs) < 2000, `frame time ${b.now - b.wallMs} ms behind now`);
    assert(!b.overlay.includes('valt uit'), `overlay "${b.overlay}"`);
    await shot('back');
  });
}

if (ok) {
  await step(`"Stoppen" closes the ${opt.h264} tile`, async () => {
    await page.click(`${tileSel(opt.h264)} button.tile-stop`);
    await page.locator(tileSel(opt.h264)).waitFor({ state: 'detached', timeout: 5_000 });
    await page.locator(`#camera-rows tr[data-camera="${opt.h264}"] button.watch:not([disabled])`).waitFor({ timeout: 7_000 });
    await page.waitForTimeout(300); // live.stop reaches the server
  });
}

if (ok) {
  await step(`claim ${opt.h264} in the "Toezicht" column, then release it`, async () => {
    const row = `#camera-rows tr[data-camera="${opt.h264}"]`;
    await page.click(`${row} button.claim-btn`);
    await page.locator(`${row} td.coord .claim`).waitFor({ timeout: 5_000 });
    const text = await page.locator(`${row} td.coord`).textContent();
    assert(text.includes('door u'), `Toezicht cell "${text}"`);
    await shot('claimed');
    await page.click(`${row} button.release-btn`);
    await page.locator(`${row} button.claim-btn`).waitFor({ timeout: 5_000 });
  });
}

if (ok) {
  await step(`play back ${opt.h264} from a few seconds ago: starts at that frame, x4, frame step`, async () => {
    // An instant well inside the latest recorded span (the camera was
    // killed and restarted above: its gap must not be the start).
    const at = await page.evaluate(async (cam) => {
      const now = Date.now();
      const r = await window.__uk.request('timeline', { camera: cam, from: new Date(now - 120e3).toISOString(), to: new Date(now).toISOString() });
      const last = r.recorded[r.recorded.length - 1];
      return Math.min(Math.max(Date.parse(last.start) + 1500, now - 8000), Date.parse(last.end) - 2500);
    }, opt.h264);
    // The link an incident carries (#/playback?camera=ID&t=TIME) opens the playback page there.
    await page.evaluate(([cam, t]) => { location.hash = `#/playback?camera=${cam}&t=${new Date(t).toISOString()}`; }, [opt.h264, at]);
    await page.locator('#playback').waitFor({ state: 'visible', timeout: 5_000 });
    assert(await page.locator('#live').isHidden(), 'the live page is still shown next to playback');
    await page.waitForFunction(() => Number(document.querySelector('#playback')?.dataset.framesPresented ?? 0) >= 5,
      null, { timeout: 15_000, polling: 100 });
    const first = await page.evaluate(() => Number(document.querySelector('#playback').dataset.frameWallMs));
    // The first frames shown are those at the requested instant.
    assert(Math.abs(first - at) < 1000, `first frame shown ${first - at} ms from the requested instant`);
    await page.click('#playback button[data-speed="4"]');
    const rate = await page.evaluate(() => document.querySelector('#playback video').playbackRate);
    assert(rate === 4, `playbackRate ${rate}`);
    await page.click('#playback .pb-pause');
    await page.waitForTimeout(300);
    const t0 = await page.evaluate(() => document.querySelector('#playback video').currentTime);
    await page.click('#playback .pb-next');
    await page.waitForTimeout(300);
    const t1 = await page.evaluate(() => document.querySelector('#playback video').currentTime);
    assert(Math.abs(t1 - t0 - 0.04) < 0.005, `frame step moved ${t1 - t0} s`);
    const spans = await page.locator('#playback .pb-timeline .pb-span').count();
    assert(spans >= 1, 'the timeline shows no recording');
    await shot('playback');
  });
}

await step('the designations are shown (Aanwijzingen, from the navigation)', async () => {
  await page.click('#nav a[data-route="designations"]');
  const section = page.locator('section[data-page="designations"]');
  await section.waitFor({ state: 'visible', timeout: 5_000 });
  await page.waitForFunction(() => /Testbesluit cameratoezicht/.test(document.querySelector('section[data-page="designations"]')?.textContent ?? ''),
    null, { timeout: 10_000, polling: 100 });
  assert(await page.locator('#playback').isHidden(), 'the playback page is still shown');
  await shot('designations');
});

await step('no console errors, page errors or CSP violations', async () => {
  assert(problems.length === 0, problems.join('\n'));
});

clearTimeout(killTimer);
await browser.close();
log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
