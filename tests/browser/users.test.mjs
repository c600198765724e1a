// Browser test of the administrator's page "Gebruikers" (#/users,
// ui/www/page-users.js) against the real daemon that tests/it_ui_admin.py
// starts.
//
//   node tests/browser/users.test.mjs URL USER PASSWORD --new NAME --screenshots DIR
//
// As the administrator: the register is the landing page; a new operator
// NAME is created with the keyboard only (refused first with a short
// password, with two different passwords and with a name that exists, each
// with a Dutch message), shown in the register; the parent logs NAME in over
// a websocket; the administrator disables NAME (the parent sees that session
// end at once and the login refused), enables NAME again and sets a new
// password (the parent logs in with it). Every state is saved as a
// screenshot, at 1920x1080 and 1366x768. When the console does not mount
// pages by route, the test mounts page-users.js itself after login, with a
// context built on window.__uk.request.
import { BrowserTest, assert, parseArgs } from './lib.mjs';

const { positional, opt } = parseArgs();
const [url, user, password] = positional;
const name = opt.new;
if (!url || !user || !password || !name) {
  console.error('usage: users.test.mjs URL USER PASSWORD --new NAME [--screenshots DIR]');
  process.exit(2);
}
const firstPassword = 'eerste-wachtwoord-1';
const newPassword = 'tweede-wachtwoord-2';
const t = new BrowserTest({ screenshots: opt.screenshots });
const page = await t.start();

/** Shows the page: through the console's route when it mounts it, else by hand. */
async function open(p) {
  await p.evaluate(() => { if (location.hash !== '#/users') location.hash = '#/users'; });
  const routed = await p.locator('.users-page:visible').first().waitFor({ timeout: 5000 }).then(() => true, () => false);
  if (!routed) {
    console.log('note: #/users not mounted by the console; mounting page-users.js by hand');
    await p.evaluate(async () => {
      const uk = window.__uk;
      const s = await uk.request('session', {});
      const cams = (await uk.request('cameras.list', {})).cameras;
      const ctx = {
        request: (type, fields) => uk.request(type, fields ?? {}),
        session: () => s,
        cameras: () => cams,
        cameraName: (id) => cams.find((c) => c.camera === id)?.name ?? id,
        notify: (message, kind) => (window.__usersNotes ??= []).push({ message, kind }),
        navigate: (hash) => { location.hash = hash; },
      };
      const main = document.querySelector('main') ?? document.body;
      for (const child of main.children) child.hidden = true;
      const section = document.createElement('section');
      section.dataset.testMount = 'users';
      main.append(section);
      const { UsersPage } = await import('./page-users.js');
      const pageObj = new UsersPage(section, ctx);
      await pageObj.show();
    });
  }
  await p.locator('#users-rows tr').first().waitFor({ timeout: 10000 });
}

async function login(p) {
  await t.login(p, url, user, password);
  await open(p);
}

const row = (p, n) => p.locator(`#users-rows tr[data-user="${n}"]`);
const formError = (p) => p.locator('#users-create .users-form-error');

/** Types into the new-user form with the keyboard, starting in the name field. */
async function typeForm(p, { user: n, pw, pw2 }) {
  await p.focus('#users-new-name');
  await p.keyboard.press('Control+A');
  await p.keyboard.type(n);
  await p.keyboard.press('Tab'); // the role
  if (await p.inputValue('#users-new-role') === '') await p.keyboard.press('ArrowDown');
  assert(await p.inputValue('#users-new-role') === 'operator', 'ArrowDown chooses "Cameraoperator"');
  await p.keyboard.press('Tab');
  await p.keyboard.press('Control+A');
  await p.keyboard.type(pw);
  await p.keyboard.press('Tab');
  await p.keyboard.press('Control+A');
  await p.keyboard.type(pw2);
  await p.keyboard.press('Enter'); // submits the form
}

async function waitText(locator, re, what) {
  await locator.filter({ hasText: re }).first().waitFor({ timeout: 8000 })
    .catch(async () => { throw new Error(`${what}: got "${await locator.first().textContent()}"`); });
}

await t.step('log in: the register is the admin\'s landing page', async () => {
  await login(page);
  await t.shot('register');
  const text = await page.locator('#users-rows').textContent();
  assert(text.includes(user), `the register lists ${user}`);
  assert(await row(page, user).locator('.badge').first().textContent() === 'Actief', 'admin is active');
  assert(await row(page, user).locator('button[data-action="disable"]').isDisabled(),
    'the admin cannot disable his own account');
});

await t.step('a new user with the keyboard: refusals in Dutch', async () => {
  await typeForm(page, { user: name, pw: 'kort', pw2: 'kort' });
  await waitText(formError(page), /8 tot 1024 tekens/, 'short password');
  await t.shot('create-short-password');
  await typeForm(page, { user: name, pw: firstPassword, pw2: `${firstPassword}x` });
  await waitText(formError(page), /niet gelijk/, 'different passwords');
  await t.shot('create-passwords-differ');
  await typeForm(page, { user: 'Fout Naam', pw: firstPassword, pw2: firstPassword });
  await waitText(formError(page), /gebruikersnaam/i, 'bad name');
  await typeForm(page, { user, pw: firstPassword, pw2: firstPassword });
  await waitText(formError(page), /bestaat al/, 'existing name (server: exists)');
  await t.shot('create-exists');
});

await t.step('the new user is created and listed', async () => {
  await typeForm(page, { user: name, pw: firstPassword, pw2: firstPassword });
  await row(page, name).waitFor({ timeout: 8000 });
  const cells = await row(page, name).locator('td').allTextContents();
  assert(cells[1] === 'Cameraoperator', `role in Dutch: ${cells[1]}`);
  assert(cells[2] === 'geen einddatum', `no end: ${cells[2]}`);
  assert(cells[3].includes('Actief'), `state: ${cells[3]}`);
  assert(cells[4].includes('geen'), `no areas yet: ${cells[4]}`);
  assert(await page.inputValue('#users-new-name') === '', 'the form is empty again');
  assert(await page.evaluate(() => document.activeElement?.id) === 'users-new-name', 'focus back in the name field');
  await t.shot('created');
  await t.ask(`connect ${name} ${firstPassword}`);
});

await t.step('disable the new user: the session ends at once', async () => {
  await row(page, name).locator('button[data-action="disable"]').focus();
  await page.keyboard.press('Enter');
  await page.locator('dialog.users-dialog[open]').waitFor({ timeout: 5000 });
  await t.shot('disable-confirm');
  await page.keyboard.press('Enter'); // the focused "Uitschakelen"
  await page.locator('dialog.users-dialog[open]').waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
  await waitText(row(page, name).locator('.users-state'), /Uitgeschakeld/, 'disabled state');
  assert(await row(page, name).locator('button[data-action="enable"]').count() === 1, 'offers "Inschakelen"');
  await t.shot('disabled');
  await t.ask(`ended ${name}`);
  await t.ask(`refused ${name} ${firstPassword}`);
});

await t.step('enable again', async () => {
  await row(page, name).locator('button[data-action="enable"]').click();
  await page.locator('dialog.users-dialog[open]').waitFor({ timeout: 5000 });
  await t.shot('enable-confirm');
  await page.click('dialog.users-dialog[open] button[type=submit]');
  await waitText(row(page, name).locator('.users-state'), /Actief/, 'active again');
  await t.shot('enabled');
  await t.ask(`login ${name} ${firstPassword}`);
  await t.ask(`connect ${name} ${firstPassword}`);
});

await t.step('a new password', async () => {
  await row(page, name).locator('button[data-action="password"]').focus();
  await page.keyboard.press('Enter');
  await page.locator('dialog.users-dialog[open]').waitFor({ timeout: 5000 });
  assert(await page.evaluate(() => document.activeElement?.id) === 'users-reset-password', 'focus in the password field');
  await page.keyboard.type(newPassword);
  await page.keyboard.press('Tab');
  await page.keyboard.type('iets-anders-123');
  await page.keyboard.press('Enter');
  await waitText(page.locator('dialog.users-dialog .dialog-error'), /niet gelijk/, 'different passwords');
  await t.shot('password-differ');
  await page.fill('#users-reset-password2', newPassword);
  await page.keyboard.press('Enter');
  await page.locator('dialog.users-dialog[open]').waitFor({ state: 'detached', timeout: 8000 }).catch(() => {});
  assert(!(await page.locator('dialog.users-dialog').evaluate((d) => d.open)), 'the dialog closed');
  await t.shot('password-set');
  await t.ask(`ended ${name}`);
  await t.ask(`login ${name} ${newPassword}`);
});

await t.step('the page at 1366x768', async () => {
  const small = await t.newPage({ width: 1366, height: 768 });
  await login(small);
  await small.waitForTimeout(300);
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await t.shot('1366-register', small);
  assert(overflow <= 0, `no sideways scrolling at 1366 px (${overflow} px too wide)`);
  await small.context().close();
});

await t.step('no page errors', async () => {
  const mine = t.problems.filter((p) => !/WebSocket|ERR_CONNECTION/.test(p));
  assert(mine.length === 0, mine.join('\n'));
});

await t.finish();
