// Browser test of the console's clip and evidence-hold page (#/clips,
// ui/www/page-clips.js) for the police liaison, the supervisor and the
// privacy officer, against the real daemon that tests/it_ui_police.py starts.
//
//   node tests/browser/police.test.mjs URL --police USER --police-password PW
//        --supervisor USER --supervisor-password PW [--privacy USER --privacy-password PW]
//        --camera ID --from RFC3339 --to RFC3339 [--screenshots DIR]
//
// The police liaison logs in and requests a clip of recorded footage (FROM to
// TO, whole seconds) with the keyboard alone; the supervisor (a second browser
// context) approves it; the police page follows the request live to "klaar",
// downloads the clip and the manifest, and the clip's SHA-256 must equal the
// one shown (and the manifest's). Then a hold for public order (refused by the
// server, its Dutch error shown), a hold for an offence, approved by the
// supervisor, released by the police liaison; the privacy officer sees both
// lists read-only. A screenshot of every page and state.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BrowserTest, assert, parseArgs } from './lib.mjs';

const { positional, opt } = parseArgs();
const url = positional[0];
if (!url || !opt.police || !opt.supervisor || !opt.camera || !opt.from || !opt.to) {
  console.error('usage: police.test.mjs URL --police USER --police-password PW --supervisor USER '
    + '--supervisor-password PW [--privacy USER --privacy-password PW] --camera ID --from T --to T [--screenshots DIR]');
  process.exit(2);
}
const clipsUrl = new URL('#/clips', url).href;

const bt = new BrowserTest({ screenshots: opt.screenshots });
setTimeout(() => { console.log('FAIL overall timeout (200 s)'); bt.finish(); }, 200_000).unref();

/** Wall-clock fields of @t in Europe/Amsterdam. */
function amsterdam(t) {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const p = {};
  for (const { type, value } of f.formatToParts(new Date(t))) p[type] = value;
  return p;
}
const localValue = (t) => { const p = amsterdam(t); return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`; };

/** Logs in through the shell's form with the keyboard. */
async function login(page, user, password) {
  await page.goto(clipsUrl);
  const name = page.locator('#login input[name=user]');
  await name.waitFor({ state: 'visible', timeout: 15_000 });
  await name.focus();
  await page.keyboard.type(user);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('login')?.hidden === true, null, { timeout: 15_000 });
}

/** The keys for a datetime-local field, in the field order of the browser's
 * own locale (not the page's): Dutch dd-mm-jjjj uu:mm:ss, or US
 * mm/dd/yyyy hh:mm:ss AM/PM (Debian's chromium without a Dutch locale). */
const FIELD_ORDERS = {
  nl: (p) => [p.day, p.month, p.year, p.hour, p.minute, p.second],
  'en-US': (p) => {
    const hour = Number(p.hour);
    return [p.month, p.day, p.year, String(hour % 12 || 12).padStart(2, '0'), p.minute, p.second, hour < 12 ? 'A' : 'P'];
  },
};
let fieldOrder = null; // the one that worked

/** Types a datetime-local value with the keyboard, segment by segment; falls
 * back to fill() (logged) only if no known field order takes it. */
async function typeDateTime(page, locator, t) {
  const want = localValue(t);
  const p = amsterdam(t);
  const orders = fieldOrder ? [fieldOrder] : Object.keys(FIELD_ORDERS);
  for (const name of orders) {
    await locator.fill('');
    await locator.blur();
    await locator.focus(); // the first segment
    for (const key of FIELD_ORDERS[name](p)) {
      await page.keyboard.type(key);
      // The year segment takes up to 6 digits: move on by hand.
      if (key.length === 4) await page.keyboard.press('ArrowRight');
    }
    if (await locator.inputValue() === want) {
      if (!fieldOrder) console.log(`     the browser's datetime field takes the ${name} order`);
      fieldOrder = name;
      return;
    }
  }
  console.log(`     note: typing into the datetime field gave '${await locator.inputValue()}', not '${want}'; set with fill()`);
  await locator.fill(want);
}

const state = async (page, sel) => page.locator(sel).first().getAttribute('data-state');

async function waitState(page, sel, want, timeout = 30_000) {
  await page.waitForFunction(([s, w]) => document.querySelector(s)?.dataset.state === w, [sel, want], { timeout });
}

const from = Date.parse(opt.from);
const to = Date.parse(opt.to);
const caseRef = 'PL0100-2026-1234';
let police;
let sup;
let clip = null;
let hold = null;

await bt.start();
police = bt.page;

await bt.step('police logs in and lands on the clips page', async () => {
  await login(police, opt.police, opt['police-password']);
  await police.locator('.clips-page .clips-clip-form').waitFor({ timeout: 15_000 });
  assert(/#\/clips/.test(police.url()), `landing page: ${police.url()}`);
  const boxes = await police.locator('.clips-clip-form input[name=camera]').evaluateAll((l) => l.map((i) => i.value));
  assert(boxes.length === 1 && boxes[0] === opt.camera, `cameras offered: ${boxes} (only the police area's)`);
  assert(await police.locator('.clips-clip-form label:has(input[name=vordering_ref])').isHidden(), 'vordering field shown for Wpg');
  await bt.shot('police-clips-empty');
});

await bt.step('police: legal basis sv-126nd shows the vordering field, needs its reference', async () => {
  const basis = police.locator('.clips-clip-form select[name=legal_basis]');
  await basis.focus();
  await police.keyboard.press('ArrowDown');
  assert(await basis.inputValue() === 'sv-126nd', `basis ${await basis.inputValue()}`);
  const field = police.locator('.clips-clip-form label:has(input[name=vordering_ref])');
  assert(await field.isVisible(), 'vordering field hidden for sv-126nd');
  await bt.shot('police-clip-form-vordering');
  await police.keyboard.press('ArrowUp');
  assert(await basis.inputValue() === 'wpg-15-16', 'back to Wpg');
  assert(await field.isHidden(), 'vordering field still shown');
});

await bt.step('police requests a clip of recorded footage with the keyboard', async () => {
  const form = police.locator('.clips-clip-form');
  // The only camera is checked already; check it with the keyboard anyway if not.
  const box = form.locator('input[name=camera]');
  await box.focus();
  if (!(await box.isChecked())) await police.keyboard.press('Space');
  assert(await box.isChecked(), 'camera not checked');
  await typeDateTime(police, form.locator('input[name=from]'), from); // Van
  await typeDateTime(police, form.locator('input[name=to]'), to); // Tot
  await form.locator('select[name=legal_basis]').focus();
  await police.keyboard.press('Tab'); // skips the hidden vordering field
  assert(await form.locator('input[name=case_ref]').evaluate((e) => e === document.activeElement), 'Tab did not reach the case number');
  await police.keyboard.type(caseRef);
  await police.keyboard.press('Tab');
  await police.keyboard.type('opsporing mishandeling bij de fietsenstalling (browsertest)');
  await bt.shot('police-clip-form-filled');
  await police.keyboard.press('Tab');
  assert(await form.locator('button[type=submit]').evaluate((e) => e === document.activeElement), 'Tab did not reach the button');
  await police.keyboard.press('Enter');
  const row = police.locator('.clips-clip-table tbody tr').first();
  await row.waitFor({ timeout: 10_000 });
  assert(await row.getAttribute('data-state') === 'requested', `state ${await row.getAttribute('data-state')}`);
  assert((await row.locator('.clips-state').textContent()).trim() === 'aangevraagd', 'status text');
  assert((await row.textContent()).includes(caseRef), 'case number not listed');
  clip = Number(await row.getAttribute('data-clip'));
  // From here on the row's states are recorded as the events change them
  // (the page is never reloaded).
  await police.evaluate((id) => {
    window.__clipStates = [];
    const rec = () => {
      const s = document.querySelector(`.clips-clip-table tr[data-clip="${id}"]`)?.dataset.state;
      if (s && window.__clipStates.at(-1) !== s) window.__clipStates.push(s);
    };
    rec();
    new MutationObserver(rec).observe(document.querySelector('.clips-clip-table tbody'),
      { subtree: true, childList: true, attributes: true });
  }, clip);
  assert(await form.locator('.clips-error').isHidden(), `error shown: ${await form.locator('.clips-error').textContent()}`);
  await bt.shot('police-clip-requested');
});

await bt.step('supervisor sees the request under Goedkeuren', async () => {
  sup = await bt.newPage();
  await login(sup, opt.supervisor, opt['supervisor-password']);
  // The supervisor lands on the live page; "Goedkeuren" in the navigation.
  const link = sup.locator('#nav a[data-route=clips]');
  await link.waitFor({ timeout: 10_000 });
  assert((await link.textContent()).trim() === 'Goedkeuren', `nav label ${await link.textContent()}`);
  await link.click();
  await sup.locator(`.clips-card[data-clip="${clip}"]`).waitFor({ timeout: 10_000 });
  await bt.shot('supervisor-pending', sup);
});

await bt.step('supervisor: a decision needs a reason; then approves with the keyboard', async () => {
  const card = sup.locator(`.clips-card[data-clip="${clip}"]`);
  await card.locator('button.clips-approve').focus();
  await sup.keyboard.press('Enter');
  await card.locator('.clips-error').waitFor({ state: 'visible', timeout: 5000 });
  assert((await card.locator('.clips-error').textContent()).includes('reden'), 'no Dutch "reden" error');
  await bt.shot('supervisor-reason-required', sup);
  await card.locator('textarea[name=reason]').focus();
  await sup.keyboard.type('akkoord, zaak bekend bij de recherche');
  await sup.keyboard.press('Tab');
  await sup.keyboard.press('Enter'); // Goedkeuren
  await card.waitFor({ state: 'detached', timeout: 10_000 });
  const row = sup.locator(`.clips-clip-table tr[data-clip="${clip}"]`);
  const s = await row.getAttribute('data-state');
  assert(['approved', 'exporting', 'ready'].includes(s), `supervisor row state ${s}`);
  assert((await row.textContent()).includes('Goedgekeurd door'), 'decision not shown');
  await bt.shot('supervisor-approved', sup);
});

await bt.step('police sees the request follow live to "klaar"', async () => {
  const sel = `.clips-clip-table tr[data-clip="${clip}"]`;
  const seen = new Set([await state(police, sel)]);
  const t0 = Date.now();
  let shotExporting = false;
  while (Date.now() - t0 < 90_000) {
    const s = await state(police, sel);
    seen.add(s);
    if (s === 'exporting' && !shotExporting) { shotExporting = true; await bt.shot('police-clip-exporting'); }
    if (s === 'ready') break;
    await police.waitForTimeout(100);
  }
  const live = await police.evaluate(() => window.__clipStates);
  console.log(`     states shown: ${live?.join(' -> ')}; ready ${((Date.now() - t0) / 1000).toFixed(1)} s into this step`);
  assert(live && live[0] === 'requested' && live.at(-1) === 'ready', `states shown live: ${live}`);
  assert(await state(police, sel) === 'ready', `state ${await state(police, sel)}`);
  assert((await police.locator(`${sel} .clips-state`).textContent()).trim() === 'klaar', 'status text');
  assert(await police.locator(`${sel} a.clips-video`).isVisible(), 'no download link');
  if (await police.locator('#alerts').count()) { // the shell's alert bar
    await police.locator('#alerts', { hasText: 'klaar om te downloaden' }).waitFor({ timeout: 5000 });
  }
  await bt.shot('police-clip-ready');
});

await bt.step('police downloads the clip: its SHA-256 is the one shown', async () => {
  const sel = `.clips-clip-table tr[data-clip="${clip}"]`;
  const shown = (await police.locator(`${sel} .clips-sha256`).textContent()).trim();
  assert(/^[0-9a-f]{64}$/.test(shown), `shown SHA-256 '${shown}'`);
  const [download] = await Promise.all([police.waitForEvent('download'), police.locator(`${sel} a.clips-video`).click()]);
  const bytes = readFileSync(await download.path());
  const got = createHash('sha256').update(bytes).digest('hex');
  console.log(`     ${download.suggestedFilename()}: ${bytes.length} bytes, SHA-256 ${got}`);
  assert(got === shown, `downloaded ${got}, shown ${shown}`);
  assert(download.suggestedFilename().endsWith('.mp4'), download.suggestedFilename());
  const [m] = await Promise.all([police.waitForEvent('download'), police.locator(`${sel} a.clips-manifest`).click()]);
  const manifest = JSON.parse(readFileSync(await m.path(), 'utf8'));
  assert(manifest.file.sha256 === shown && manifest.case_ref === caseRef, `manifest ${JSON.stringify(manifest.file)}`);
  assert(manifest.requested_from === new Date(from).toISOString(), `requested_from ${manifest.requested_from}`);
});

await bt.step('police: a hold for public order is refused, in Dutch', async () => {
  const form = police.locator('.clips-hold-form');
  await form.scrollIntoViewIfNeeded();
  await typeDateTime(police, form.locator('input[name=from]'), from);
  await typeDateTime(police, form.locator('input[name=to]'), to);
  await form.locator('select[name=purpose]').focus();
  await police.keyboard.press('ArrowDown'); // openbare orde
  assert(await form.locator('select[name=purpose]').inputValue() === 'openbare orde', 'purpose');
  await police.keyboard.press('Tab');
  await police.keyboard.type(caseRef);
  await police.keyboard.press('Tab');
  await police.keyboard.type('overlast');
  await police.keyboard.press('Enter');
  const err = form.locator('.clips-error');
  await err.waitFor({ state: 'visible', timeout: 10_000 });
  const text = await err.textContent();
  assert(text.includes('openbare orde') && text.includes('151c lid 9'), `error '${text}'`);
  assert(await police.locator('.clips-hold-table tbody tr').count() === 0, 'a hold was stored');
  await bt.shot('police-hold-public-order-refused');
});

await bt.step('police requests a hold for an offence', async () => {
  const form = police.locator('.clips-hold-form');
  await form.locator('select[name=purpose]').focus();
  await police.keyboard.press('ArrowUp'); // opsporing
  await form.locator('input[name=offence]').fill('');
  await form.locator('input[name=offence]').focus();
  await police.keyboard.type('mishandeling (art. 300 Sr)');
  await police.keyboard.press('Tab');
  await police.keyboard.type('Vechtpartij bij de fietsenstalling, aangifte gedaan');
  await police.keyboard.press('Tab');
  await police.keyboard.press('Enter');
  const row = police.locator('.clips-hold-table tbody tr').first();
  await row.waitFor({ timeout: 10_000 });
  assert(await row.getAttribute('data-state') === 'requested', `hold state ${await row.getAttribute('data-state')}`);
  assert(await form.locator('.clips-error').isHidden(), 'error still shown');
  hold = Number(await row.getAttribute('data-hold'));
  await bt.shot('police-hold-requested');
});

await bt.step('supervisor approves the hold; police sees it live', async () => {
  const card = sup.locator(`.clips-card[data-hold="${hold}"]`);
  await card.waitFor({ timeout: 10_000 });
  await bt.shot('supervisor-hold-pending', sup);
  await card.locator('textarea[name=reason]').focus();
  await sup.keyboard.type('akkoord, strafbaar feit');
  await sup.keyboard.press('Tab');
  await sup.keyboard.press('Enter');
  await card.waitFor({ state: 'detached', timeout: 10_000 });
  await waitState(police, `.clips-hold-table tr[data-hold="${hold}"]`, 'approved');
  assert((await police.locator(`.clips-hold-table tr[data-hold="${hold}"] .clips-state`).textContent()).trim() === 'goedgekeurd', 'text');
  await bt.shot('supervisor-hold-approved', sup);
  await bt.shot('police-hold-approved');
});

await bt.step('police releases the hold', async () => {
  const row = police.locator(`.clips-hold-table tr[data-hold="${hold}"]`);
  await row.locator('button.clips-release').focus();
  await police.keyboard.press('Enter');
  await police.keyboard.type('zaak afgesloten');
  await bt.shot('police-hold-release');
  await police.keyboard.press('Enter');
  await waitState(police, `.clips-hold-table tr[data-hold="${hold}"]`, 'released');
  await bt.shot('police-hold-released');
});

await bt.step('the page at 1366x768', async () => {
  await police.setViewportSize({ width: 1366, height: 768 });
  await police.locator('h2').first().scrollIntoViewIfNeeded();
  await bt.shot('police-1366');
  const wide = await police.evaluate(() => document.documentElement.scrollWidth);
  assert(wide <= 1366, `page ${wide} px wide at 1366`);
  await sup.setViewportSize({ width: 1366, height: 768 });
  await bt.shot('supervisor-1366', sup);
});

if (opt.privacy) {
  await bt.step('privacy officer sees both lists read-only', async () => {
    const priv = await bt.newPage();
    await login(priv, opt.privacy, opt['privacy-password']);
    await priv.goto(clipsUrl);
    await priv.locator(`.clips-clip-table tr[data-clip="${clip}"]`).waitFor({ timeout: 15_000 });
    await priv.locator(`.clips-hold-table tr[data-hold="${hold}"]`).waitFor({ timeout: 10_000 });
    assert(await priv.locator('.clips-page form, .clips-page button').count() === 0, 'privacy page has forms or buttons');
    assert(await priv.locator('.clips-page a.clips-video').count() === 0, 'privacy may not download');
    await bt.shot('privacy-overview', priv);
  });
}

const csp = bt.problems.filter((p) => /Content Security Policy|page-clips/i.test(p));
await bt.step('no CSP violations or errors from the page', async () => {
  assert(csp.length === 0, csp.join('\n'));
});
await bt.finish();
