// Browser test of the operator's and the supervisor's console: Debian's
// chromium driven by playwright-core against the real daemon that
// tests/it_ui_operator.py starts.
//
//   node tests/browser/operator.test.mjs URL --operator NAME --operator-password PW
//        --supervisor NAME --supervisor-password PW --cameras CAM1,CAM2 --screenshots DIR
//
// The operator logs in (landing page: live), switches the grid through 1, 4,
// 9 and 16 places, watches two cameras, logs an incident with the keyboard
// alone ("n", Alt+2, typing, Shift+Tab and arrow keys, Space, Ctrl+Enter),
// sees its number and sees it in the feed; the parent ("@@ check-incident N
// POSITION") checks the stored row. Escape cancels an entry. The feed opens
// the incident in playback at its frame. The live page is shot at 1366x768
// too. The supervisor logs in and plans an event on #/plans. A screenshot of
// every page visited goes to DIR.
import { BrowserTest, parseArgs, assert } from './lib.mjs';

const { positional, opt } = parseArgs();
const [url] = positional;
const cams = String(opt.cameras ?? '').split(',').filter(Boolean);
if (!url || !opt.operator || !opt.supervisor || cams.length < 2) {
  console.error('usage: operator.test.mjs URL --operator NAME --operator-password PW --supervisor NAME '
    + '--supervisor-password PW --cameras CAM1,CAM2 [--screenshots DIR]');
  process.exit(2);
}
const [cam1, cam2] = cams;
const t = new BrowserTest({ screenshots: opt.screenshots });
const killTimer = setTimeout(() => { console.log('FAIL overall timeout (150 s)'); process.exit(1); }, 150_000);
const page = await t.start();
page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/login')) t.problems.push(`HTTP ${r.status()} for ${r.url()}`); });

const tileSel = (camera) => `#tiles .tile[data-camera="${camera}"]`;
const playing = (p, camera) => p.waitForFunction((sel) => {
  const e = document.querySelector(sel);
  return e && e.dataset.status === 'playing' && Number(e.dataset.framesPresented ?? 0) >= 5 && e.dataset.frameWallMs;
}, tileSel(camera), { timeout: 20_000, polling: 100 });

let ok = await t.step('operator logs in: the live page, the role\'s navigation, the clock', async () => {
  await t.login(page, url, opt.operator, opt['operator-password']);
  await page.locator('#live').waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator(`#camera-rows tr[data-camera="${cam1}"] button.watch`).waitFor({ timeout: 10_000 });
  assert(await page.evaluate(() => location.hash) === '#/live', `landing page ${await page.evaluate(() => location.hash)}`);
  const nav = await page.$$eval('#nav a', (as) => as.map((a) => a.dataset.route));
  assert(nav.includes('live') && nav.includes('playback') && nav.includes('review') && nav.includes('designations'), `nav ${nav}`);
  assert(!nav.includes('plans') && !nav.includes('audit') && !nav.includes('users'), `nav shows pages of other roles: ${nav}`);
  const who = await page.locator('#who').textContent();
  assert(who.includes(opt.operator) && who.includes('Cameraoperator'), `header "${who}"`);
  const clock = await page.locator('#clock').textContent();
  assert(/\d\d:\d\d:\d\d$/.test(clock), `clock "${clock}"`);
  assert(await page.locator('#alerts-section').isVisible(), 'the alert bar is not visible');
  assert(await page.locator('#shortcuts').isVisible(), 'the Sneltoetsen line is not visible');
  await t.shot('operator-live');
});

if (ok) {
  ok = await t.step('the grid switches between 1, 4, 9 and 16 places', async () => {
    for (const n of [1, 4, 9, 16]) {
      await page.click(`#live .layout-switch [data-layout="${n}"]`);
      const g = await page.evaluate(() => {
        const c = document.getElementById('tiles');
        return { layout: c.dataset.layout, places: c.querySelectorAll('.tile, .tile-slot').length,
          columns: getComputedStyle(c).gridTemplateColumns.split(' ').length };
      });
      assert(g.layout === String(n) && g.places === n && g.columns === Math.sqrt(n), `layout ${n}: ${JSON.stringify(g)}`);
      assert(await page.locator(`#live .layout-switch [data-layout="${n}"]`).getAttribute('aria-pressed') === 'true', `button ${n} not pressed`);
      await t.shot(`operator-live-grid-${n}`);
    }
    await page.click('#live .layout-switch [data-layout="4"]');
  });
}

if (ok) {
  ok = await t.step(`watch ${cam1} (camera list) and ${cam2} (an empty place): both play`, async () => {
    await page.click(`#camera-rows tr[data-camera="${cam1}"] button.watch`);
    await page.selectOption('#tiles .tile-slot select.slot-camera >> nth=0', cam2);
    await playing(page, cam1);
    await playing(page, cam2);
    const places = await page.locator('#tiles .tile, #tiles .tile-slot').count();
    assert(places === 4, `${places} places in the 4-layout`);
    await t.shot('operator-live-watching');
  });
}

let incident = null;
let expected = null;
if (ok) {
  ok = await t.step('log an incident with the keyboard alone: n, Alt+2, typing, Shift+Tab, arrows, Space, Ctrl+Enter', async () => {
    // Select the first tile as Tab would (the focus is on a tile, not in a text field).
    await page.focus(tileSel(cam1));
    const before = await page.evaluate((sel) => Number(document.querySelector(sel).dataset.frameWallMs), tileSel(cam1));
    await page.keyboard.press('n');
    const after = await page.evaluate((sel) => Number(document.querySelector(sel).dataset.frameWallMs), tileSel(cam1));
    const f = await page.evaluate(() => ({
      active: document.activeElement?.name, state: document.getElementById('incident').dataset.state,
      position: document.getElementById('incident').dataset.position,
      camera: document.querySelector('#incident select[name=camera]').value,
    }));
    assert(f.state === 'editing' && f.active === 'description', `after "n": ${JSON.stringify(f)}`);
    assert(f.camera === cam1, `form camera ${f.camera}`);
    const pos = Date.parse(f.position);
    // The position is the frame on screen when "n" was pressed, not the time of the submit.
    // (data-frame-wall-ms is rounded; the position is the frame's time rounded up to the ms.)
    assert(pos >= before - 1 && pos <= after + 1, `position ${f.position} not the frame shown (${before}..${after})`);
    expected = f.position;
    await page.keyboard.press('Alt+2');
    const category = await page.evaluate(() => document.querySelector('#incident select[name=category]').value);
    assert(category === 'overlast', `Alt+2 chose "${category}"`);
    await page.keyboard.type('Groep jongeren bij de fietsenstalling, via het toetsenbord gemeld.');
    await page.keyboard.press('Shift+Tab'); // severity
    assert(await page.evaluate(() => document.activeElement?.name) === 'severity', 'Shift+Tab did not reach the severity');
    await page.keyboard.press('ArrowDown'); // middel -> hoog
    await page.keyboard.press('Tab');       // description
    await page.keyboard.press('Tab');       // first action
    await page.keyboard.press('Space');
    const state = await page.evaluate(() => ({
      severity: document.querySelector('#incident select[name=severity]').value,
      actions: [...document.querySelectorAll('#incident input[name=action]:checked')].map((i) => i.value),
    }));
    assert(state.severity === 'high', `severity ${state.severity}`);
    assert(state.actions.length === 1, `actions ${state.actions}`);
    await t.shot('operator-incident-typing');
    await page.keyboard.press('Control+Enter');
    await page.locator('#incident .incident-result[data-incident]').waitFor({ timeout: 10_000 });
    incident = Number(await page.locator('#incident .incident-result').getAttribute('data-incident'));
    const text = await page.locator('#incident .incident-result').textContent();
    assert(text.includes(`Incident ${incident} vastgelegd`), `result "${text}"`);
    await page.locator(`#feed li[data-incident="${incident}"]`).waitFor({ timeout: 5_000 });
    const item = await page.locator(`#feed li[data-incident="${incident}"]`).textContent();
    assert(item.includes('overlast') && item.includes('fietsenstalling'), `feed item "${item}"`);
    assert(await page.evaluate(() => document.getElementById('incident').dataset.state) === 'idle', 'the form did not reset');
    console.log(`     incident ${incident} at ${expected}: "${text}"`);
    await t.ask(`check-incident ${incident} ${expected} ${cam1} ${state.actions[0].replace(/ /g, '_')}`);
    await t.shot('operator-incident-logged');
  });
}

if (ok) {
  await t.step('Escape cancels an entry', async () => {
    await page.focus(tileSel(cam2));
    await page.keyboard.press('n');
    assert(await page.evaluate(() => document.querySelector('#incident select[name=camera]').value) === cam2,
      'the form did not take the selected tile\'s camera');
    await page.keyboard.type('weg ermee');
    await page.keyboard.press('Escape');
    const f = await page.evaluate(() => ({ state: document.getElementById('incident').dataset.state,
      text: document.querySelector('#incident textarea').value }));
    assert(f.state === 'idle' && f.text === '', `after Escape: ${JSON.stringify(f)}`);
  });
}

if (ok && incident) {
  await t.step('the feed opens the incident in playback at its frame', async () => {
    const link = page.locator(`#feed li[data-incident="${incident}"] a`);
    const href = await link.getAttribute('href');
    assert(href.startsWith(`#/playback?camera=${cam1}&t=`), `link ${href}`);
    const frame = Date.parse(new URLSearchParams(href.split('?')[1]).get('t'));
    await link.focus();
    await page.keyboard.press('Enter');
    await page.locator('#playback').waitFor({ state: 'visible', timeout: 5_000 });
    assert(await page.locator('#live').isHidden(), 'the live page is still shown');
    // It stops at the incident's frame (paused), showing that frame's time.
    await page.waitForFunction(() => document.querySelector('#playback')?.dataset.frameWallMs
      && document.querySelector('#playback .pb-status').textContent.includes('Incident')
      && !document.querySelector('#playback video').seeking, null, { timeout: 20_000, polling: 100 });
    await page.waitForTimeout(300);
    const shown = await page.evaluate(() => Number(document.querySelector('#playback').dataset.frameWallMs));
    const overlay = await page.locator('#playback .pb-overlay').textContent();
    console.log(`     playback stopped ${shown - frame} ms from the incident's frame; overlay "${overlay}"`);
    assert(Math.abs(shown - frame) <= 40, `playback shows ${new Date(shown).toISOString()}, incident frame ${new Date(frame).toISOString()}`);
    assert(overlay.includes(`Incident ${incident}`), `overlay "${overlay}"`);
    await page.click('#playback .pb-pause'); // and plays on
    await page.waitForFunction((n) => Number(document.querySelector('#playback').dataset.frameWallMs) > n + 200, shown,
      { timeout: 10_000, polling: 100 });
    const tl = await page.locator('#playback .pb-timeline .pb-incident').count();
    assert(tl >= 1, 'the timeline shows no incident');
    await t.shot('operator-playback');
  });
}

// The operator's first window is done with: close it (its video costs CPU).
await page.context().close().catch(() => {});

await t.step('the live page at 1366x768 (laptop): no horizontal scrolling', async () => {
  const small = await t.newPage({ width: 1366, height: 768 });
  await t.login(small, url, opt.operator, opt['operator-password']);
  await small.locator('#live').waitFor({ state: 'visible', timeout: 10_000 });
  await small.click(`#camera-rows tr[data-camera="${cam1}"] button.watch`);
  await playing(small, cam1);
  const w = await small.evaluate(() => document.documentElement.scrollWidth);
  assert(w <= 1366, `page is ${w} px wide`);
  await t.shot('operator-live-1366x768', small);
  await small.context().close();
});

if (ok) {
  await t.step('supervisor logs in and plans an event on #/plans', async () => {
    const sup = await t.newPage();
    sup.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/login')) t.problems.push(`HTTP ${r.status()} for ${r.url()}`); });
    await t.login(sup, url, opt.supervisor, opt['supervisor-password']);
    await sup.locator('#live').waitFor({ state: 'visible', timeout: 10_000 });
    await sup.locator(`#feed li[data-incident="${incident}"]`).waitFor({ timeout: 10_000 });
    await t.shot('supervisor-live', sup);
    const nav = await sup.$$eval('#nav a', (as) => as.map((a) => a.dataset.route));
    assert(nav.includes('plans') && nav.includes('clips'), `supervisor nav ${nav}`);
    await sup.click('#nav a[data-route="plans"]');
    await sup.locator('#plans').waitFor({ state: 'visible', timeout: 5_000 });
    assert(await sup.locator('#live').isHidden(), 'the live page is still shown');
    await sup.locator('#plan-form').waitFor({ state: 'visible', timeout: 5_000 });
    await sup.fill('#plan-form input[name=name]', 'Evenement Stationsplein');
    await sup.selectOption('#plan-form select[name=kind]', 'event');
    await sup.check(`#plan-form input[name=camera][value="${cam1}"]`);
    await sup.fill('#plan-form input[name=operators]', opt.operator);
    await sup.click('#plan-form button[type=submit]');
    await sup.locator('#plan-rows li.plan', { hasText: 'Evenement Stationsplein' }).waitFor({ timeout: 5_000 });
    const err = await sup.locator('#plan-form .dialog-error').textContent();
    assert(!err, `plan error "${err}"`);
    await t.shot('supervisor-plans', sup);
  });
}

await t.step('no console errors, page errors or failed requests', async () => {
  assert(t.problems.length === 0, t.problems.join('\n'));
});

clearTimeout(killTimer);
await t.finish();
