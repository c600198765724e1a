// Browser test of the privacy officer's pages: Auditlog (#/audit),
// Autorisaties (#/access) and Aanwijzingen (#/designations), against the real
// daemon that tests/it_ui_privacy.py starts.
//
//   node tests/browser/privacy.test.mjs URL USER PASSWORD --operator NAME
//        --area AREA [--operator-password PASSWORD] --screenshots DIR
//
// As the privacy officer: the audit log filtered on "login" shows only logins
// (the parent logged the operator in a few times), the chain check says
// intact; the register shows the operator, an authorisation for AREA is added
// and shown; a designation for AREA is refused without a DPIA, saved with one
// and shown in force, then withdrawn with a reason and shown withdrawn.
// With --operator-password the operator sees the designations without forms.
// Every page and state is saved as a screenshot, at 1920x1080 and 1366x768.
// When the console does not (yet) mount pages by route, the test mounts them
// itself after login, with a context built on window.__uk.request.
import { BrowserTest, assert, parseArgs } from './lib.mjs';

const { positional, opt } = parseArgs();
const [url, user, password] = positional;
if (!url || !user || !password || !opt.operator || !opt.area) {
  console.error('usage: privacy.test.mjs URL USER PASSWORD --operator NAME --area AREA [--screenshots DIR]');
  process.exit(2);
}
const t = new BrowserTest({ screenshots: opt.screenshots });
const page = await t.start();

const PAGES = {
  audit: { route: '#/audit', file: 'page-audit.js', cls: 'AuditPage', sel: '.page-audit' },
  access: { route: '#/access', file: 'page-access.js', cls: 'AccessPage', sel: '.page-access' },
  designations: { route: '#/designations', file: 'rules.js', cls: 'Rules', sel: '.page-rules' },
};

/** Shows page @name: through the console's own route when it mounts it,
 * otherwise mounted by hand (the pages' contract) in place of the rest. */
async function open(p, name) {
  const spec = PAGES[name];
  await p.evaluate((route) => { location.hash = route; }, spec.route);
  const routed = await p.locator(`${spec.sel}:visible`).first().waitFor({ timeout: 4000 }).then(() => true, () => false);
  if (!routed) {
    await p.evaluate(async ({ file, cls }) => {
      const uk = window.__uk;
      if (!window.__privacyCtx) {
        const s = await uk.request('session', {});
        const cams = (await uk.request('cameras.list', {})).cameras;
        window.__privacyNotes = [];
        window.__privacyCtx = {
          request: (type, fields) => uk.request(type, fields ?? {}),
          session: () => s,
          cameras: () => cams,
          cameraName: (id) => cams.find((c) => c.camera === id)?.name ?? id,
          notify: (message, kind) => window.__privacyNotes.push({ message, kind }),
          navigate: (hash) => { location.hash = hash; },
        };
      }
      const main = document.querySelector('main') ?? document.body;
      // The old console's own designation list (same ids) goes away.
      const old = document.getElementById('rules');
      if (old && !old.dataset.testMount) old.remove();
      for (const child of main.children) if (!child.dataset.testMount) child.hidden = true;
      for (const s of main.querySelectorAll('[data-test-mount]')) s.hidden = true;
      let root = main.querySelector(`[data-test-mount="${cls}"]`);
      if (!root) {
        root = document.createElement('section');
        root.dataset.testMount = cls;
        main.append(root);
        const m = await import(new URL(file, location.href).href);
        root.__page = new m[cls](root, window.__privacyCtx);
      }
      root.hidden = false;
      await root.__page.show();
    }, spec);
  }
  await p.locator(`${spec.sel}:visible`).first().waitFor({ timeout: 5000 });
  return routed;
}

/** A full-page screenshot taken from the top (the console's header is sticky). */
async function shot(name, p = page) {
  await p.evaluate(() => window.scrollTo(0, 0));
  await t.shot(name, p);
}

async function login(p) {
  await t.login(p, url, user, password);
  // Wait until the session is there (the console asked the server).
  await p.waitForFunction(() => window.__uk?.request, null, { timeout: 10000 });
}

await t.step('log in as the privacy officer', async () => {
  await login(page);
  await shot('landing');
});

await t.step('audit log: rows, filter on login, the read is itself logged', async () => {
  const routed = await open(page, 'audit');
  console.log(`     (pages ${routed ? 'mounted by the console' : 'mounted by the test'})`);
  await page.locator('#audit-rows tr[data-seq]').first().waitFor({ timeout: 5000 });
  assert(await page.locator('.page-audit .audit-note').isVisible(), 'the note that reading is logged is shown');
  await shot('audit-all');
  await page.selectOption('.audit-filters select[name=action]', 'login');
  await page.click('.audit-filters button[type=submit]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#audit-rows tr[data-seq]')];
    return rows.length >= 3 && rows.every((r) => r.dataset.action === 'login');
  }, null, { timeout: 5000 });
  const text = await page.locator('#audit-rows').textContent();
  assert(text.includes(opt.operator) && text.includes('Aangemeld'), `login rows of ${opt.operator} in Dutch: ${text.slice(0, 300)}`);
  await shot('audit-filter-login');
  await page.selectOption('.audit-filters select[name=action]', 'audit_read');
  await page.fill('.audit-filters input[name=actor]', user);
  await page.click('.audit-filters button[type=submit]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#audit-rows tr[data-seq]')];
    return rows.length >= 1 && rows.every((r) => r.dataset.action === 'audit_read');
  }, null, { timeout: 5000 });
  await shot('audit-filter-audit-read');
  await page.click('.audit-filters button:has-text("Wissen")');
  // A period in the future: nothing.
  const later = await page.evaluate(async () => (await import(new URL('fmt.js', location.href).href))
    .toLocalInput(Date.now() + 3600e3).slice(0, 16));
  await page.fill('.audit-filters input[name=from]', later);
  await page.click('.audit-filters button[type=submit]');
  await page.locator('#audit-rows td.empty').waitFor({ timeout: 5000 });
  await shot('audit-filter-future-empty');
  await page.click('.audit-filters button:has-text("Wissen")');
  await page.locator('#audit-rows tr[data-seq]').first().waitFor({ timeout: 5000 });
});

await t.step('audit log: the chain check says intact', async () => {
  await page.click('.page-audit button.verify');
  await page.locator('.page-audit .chain-intact').waitFor({ timeout: 10000 });
  const text = await page.locator('.page-audit .verify-result').textContent();
  assert(/Keten intact: \d+ regels/.test(text), text);
  await shot('audit-verify-intact');
});

await t.step('access: the register shows the operator; an authorisation is added', async () => {
  await open(page, 'access');
  const row = page.locator(`#access-rows tr[data-user="${opt.operator}"]`);
  await row.waitFor({ timeout: 5000 });
  assert((await row.textContent()).includes('Cameraoperator'), await row.textContent());
  assert(await row.locator(`li[data-area="${opt.area}"]`).count() === 0, `no ${opt.area} yet`);
  await shot('access-register');
  await page.selectOption('.access-form select[name=user]', opt.operator);
  await page.fill('.access-form input[name=area]', opt.area);
  await shot('access-form-filled');
  await page.click('.access-form button[type=submit]');
  await row.locator(`li[data-area="${opt.area}"]`).waitFor({ timeout: 5000 });
  const li = await row.locator(`li[data-area="${opt.area}"]`).textContent();
  assert(/tot \d\d-\d\d-\d{4} \d\d:\d\d:\d\d/.test(li), `the new authorisation with its end: ${li}`);
  await shot('access-granted');
});

await t.step('access: an unknown area is refused in Dutch', async () => {
  await page.selectOption('.access-form select[name=user]', opt.operator);
  await page.fill('.access-form input[name=area]', 'bestaat-niet');
  await page.click('.access-form button[type=submit]');
  await page.locator('.access-form .error:has-text("Onbekende gebruiker of onbekend gebied")').waitFor({ timeout: 5000 });
  await shot('access-unknown-area');
});

await t.step('access: an authorisation is revoked after confirming', async () => {
  const row = page.locator(`#access-rows tr[data-user="${opt.operator}"]`);
  const b = row.locator(`li[data-area="${opt.area}"] button[data-revoke-user]`);
  await b.click();
  assert((await b.textContent()).includes('Zeker'), 'the first click only asks');
  await shot('access-revoke-confirm');
  await b.click();
  await row.locator(`li[data-area="${opt.area}"]`).waitFor({ state: 'detached', timeout: 5000 });
  await shot('access-revoked');
  // Granted again, for the rest of the test.
  await page.selectOption('.access-form select[name=user]', opt.operator);
  await page.fill('.access-form input[name=area]', opt.area);
  await page.click('.access-form button[type=submit]');
  await row.locator(`li[data-area="${opt.area}"]`).waitFor({ timeout: 5000 });
});

const id = 'test-evenement';
const desig = (p) => p.locator(`#designation-rows li.designation[data-designation="${id}"]`);

await t.step('designations: the configured one is in force', async () => {
  await open(page, 'designations');
  await page.locator('#designation-rows li.designation').first().waitFor({ timeout: 5000 });
  const text = await page.locator('#designation-rows').textContent();
  assert(text.includes('van kracht') && text.includes('DPIA-TEST-1'), text);
  await shot('designations');
});

await t.step('designations: saving one in force without a DPIA is refused', async () => {
  const f = '.designation-form';
  await page.fill(`${f} input[name=designation]`, id);
  await page.fill(`${f} input[name=area]`, opt.area);
  await page.selectOption(`${f} select[name=kind]`, 'event');
  await page.fill(`${f} textarea[name=decision]`, 'Aanwijzingsbesluit testevenement, kenmerk Z/26/999');
  await page.check(`${f} input[name=signage]`);
  await page.click(`${f} button[type=submit]`);
  await page.locator(`${f} .error:has-text("Niet toegestaan")`).waitFor({ timeout: 5000 });
  assert(await desig(page).count() === 0, 'nothing saved');
  await shot('designation-refused');
});

await t.step('designations: saved with a DPIA, shown in force', async () => {
  const f = '.designation-form';
  await page.fill(`${f} input[name=dpia]`, 'DPIA-EV-2026-9');
  await page.fill(`${f} input[name=live_watch]`, 'daily 20:00-23:00');
  await page.click(`${f} button[type=submit]`);
  await desig(page).waitFor({ timeout: 5000 });
  const li = desig(page);
  assert(await li.evaluate((e) => e.classList.contains('designation-active')), 'in force');
  const text = await li.textContent();
  assert(text.includes('van kracht') && text.includes('DPIA-EV-2026-9') && text.includes('20:00-23:00'), text);
  await shot('designation-saved');
});

await t.step('designations: withdrawn with a reason, shown withdrawn', async () => {
  await desig(page).locator('button[data-act=withdraw]').click();
  const f = page.locator('.withdraw-form');
  await f.waitFor({ state: 'visible', timeout: 3000 });
  await f.locator('textarea[name=reason]').fill('Evenement afgelast, besluit burgemeester Z/26/1000');
  await shot('designation-withdraw-form');
  await f.locator('button[type=submit]').click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.classList.contains('designation-inactive'),
    `#designation-rows li.designation[data-designation="${id}"]`, { timeout: 5000 });
  const text = await desig(page).textContent();
  assert(text.includes('niet van kracht: ingetrokken') && text.includes(`door ${user}`), text);
  assert(await desig(page).locator('button[data-act=withdraw]').count() === 0, 'no second withdrawal offered');
  await shot('designation-withdrawn');
});

await t.step('the pages at 1366x768', async () => {
  const small = await t.newPage({ width: 1366, height: 768 });
  await login(small);
  for (const name of ['audit', 'access', 'designations']) {
    await open(small, name);
    await small.waitForTimeout(300);
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await shot(`1366-${name}`, small);
    assert(overflow <= 0, `${name}: no sideways scrolling at 1366 px (${overflow} px too wide)`);
  }
  await small.context().close();
});

if (opt['operator-password']) {
  await t.step('the operator sees the designations without forms', async () => {
    const op = await t.newPage();
    await t.login(op, url, opt.operator, opt['operator-password']);
    await op.waitForFunction(() => window.__uk?.request, null, { timeout: 10000 });
    await open(op, 'designations');
    await op.locator(`#designation-rows li.designation[data-designation="${id}"]`).waitFor({ timeout: 5000 });
    assert(await op.locator('.page-rules .rules-editor').isHidden(), 'no forms for the operator');
    assert(await op.locator('#designation-rows button').count() === 0, 'no buttons for the operator');
    await shot('operator-designations', op);
    await op.context().close();
  });
}

await t.step('no page errors', async () => {
  const mine = t.problems.filter((p) => !/WebSocket|ERR_CONNECTION/.test(p));
  assert(mine.length === 0, mine.join('\n'));
});

await t.finish();
