// Browser test of the "Incidenten" page (ui/www/page-review.js), driven by
// tests/it_ui_review.py, which starts the daemon and seeds the incidents.
//
//   node tests/browser/review.test.mjs URL --hh USER --hh-password PW --op USER --op-password PW
//        --data JSON --screenshots DIR
//
// --data: {station, centrum, categories: {cat: n}, category, word, wordIncident,
//          amended, operatorIncident} (what the seeding produced).
import { readFileSync } from 'node:fs';
import { BrowserTest, assert, parseArgs } from './lib.mjs';

const { positional: [url], opt } = parseArgs();
if (!url || !opt.hh || !opt.data) {
  console.error('usage: review.test.mjs URL --hh USER --hh-password PW --op USER --op-password PW --data JSON [--screenshots DIR]');
  process.exit(2);
}
const data = JSON.parse(opt.data);
const P = '#page-review';
const t = new BrowserTest({ screenshots: opt.screenshots });
const killTimer = setTimeout(() => { console.log('FAIL overall timeout (300 s)'); t.finish(); }, 300_000);
await t.start();

/** Logs in and shows the review page (the landing page of handhaving). */
async function openReview(page, user, pw) {
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/login')) t.problems.push(`HTTP ${r.status()} for ${r.url()}`); });
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) t.problems.push(`CSP: ${m.text()}`); });
  await t.login(page, url, user, pw);
  if (!(await page.evaluate(() => location.hash.startsWith('#/review')))) {
    await page.evaluate(() => { location.hash = '#/review'; });
  }
  await page.locator(`${P}[data-state="ready"]`).waitFor({ timeout: 15_000 });
}

const rows = (page = t.page) => page.$$eval(`${P} tbody tr[data-incident]`, (trs) => trs.map((tr) => ({
  incident: Number(tr.dataset.incident), area: tr.dataset.area, category: tr.dataset.category,
  text: tr.textContent,
})));

/** Clicks "Zoeken" (or presses Enter in @field, or clicks "Meer laden") and waits for the rows. */
async function search(page, how = 'click', field = `${P} .review-filters input[name=text]`) {
  await page.evaluate((p) => { document.querySelector(p).dataset.state = 'stale'; }, P);
  if (how === 'enter') await page.press(field, 'Enter');
  else if (how === 'more') await page.click(`${P} button.review-more:not([disabled])`);
  else await page.click(`${P} button.review-search`);
  await page.locator(`${P}[data-state="ready"]`).waitFor({ timeout: 10_000 });
}

const page = t.page;
let ok = await t.step('handhaving logs in and lands on "Incidenten": only its own area', async () => {
  await openReview(page, opt.hh, opt['hh-password']);
  assert(await page.evaluate(() => location.hash.startsWith('#/review')), `landed on ${await page.evaluate(() => location.hash)}`);
  const r = await rows();
  assert(r.length === data.station, `${r.length} rows, expected ${data.station}`);
  assert(r.every((x) => x.area === 'station'), `areas ${[...new Set(r.map((x) => x.area))]}`);
  const ids = r.map((x) => x.incident);
  assert(ids.every((id, k) => k === 0 || ids[k - 1] > id), `not newest first: ${ids}`);
  const areas = await page.$$eval(`${P} .review-areas input`, (l) => l.map((i) => `${i.value}:${i.checked}`));
  assert(areas.length === 1 && areas[0] === 'station:true', `area checkboxes ${areas}`);
  const note = await page.textContent(`${P} .review-audit-note`);
  assert(/auditlogboek/.test(note), `audit note "${note}"`);
  const summary = await page.textContent(`${P} .review-summary`);
  assert(summary.includes(`${data.station} van ${data.station}`), `summary "${summary}"`);
  // Times are Europe/Amsterdam, 24-hour: "28-11-2026 21:04:05".
  const time = await page.textContent(`${P} tbody tr td.review-time`);
  assert(/^\d\d-\d\d-\d{4} \d\d:\d\d:\d\d$/.test(time.trim()), `time cell "${time}"`);
  // No playback, no editing for handhaving.
  assert(!(await page.textContent(P)).includes('Terugkijken'), 'a Terugkijken link for handhaving');
  await t.shot('handhaving-overview');
});

if (ok) {
  await t.step('the charts have bars, axis labels, a legend and a table alternative', async () => {
    const week = await page.$$eval(`${P} .review-chart-week .review-bar rect`, (r) => r.map((x) => Number(x.dataset.count)));
    const cats = await page.$$eval(`${P} .review-chart-category .review-bar rect`, (r) => r.map((x) => ({
      n: Number(x.dataset.count), c: x.parentNode.dataset.category })));
    assert(week.length >= 3, `${week.length} week bars`);
    assert(week.reduce((s, n) => s + n, 0) === data.station, `week bars sum to ${week.reduce((s, n) => s + n, 0)}`);
    const want = Object.entries(data.categories).sort();
    const got = cats.map((x) => [x.c, x.n]).sort();
    assert(JSON.stringify(got) === JSON.stringify(want), `category bars ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    const weeks = await page.$$eval(`${P} .review-chart-week svg .review-bar`, (g) => g.length);
    assert(weeks >= 4, `${weeks} weeks on the axis`);
    const labels = await page.$$eval(`${P} .review-chart svg .review-axis-label`, (l) => l.map((x) => x.textContent));
    assert(labels.some((l) => /week/i.test(l)) && labels.some((l) => /Aantal/.test(l)), `axis labels ${labels}`);
    const legend = await page.$$eval(`${P} .review-chart-week .review-legend li`, (l) => l.map((x) => x.textContent.trim()));
    assert(legend.length === want.length, `legend ${legend}`);
    const heights = await page.$$eval(`${P} .review-chart-week .review-bar rect`, (r) => r.map((x) => x.getBoundingClientRect().height));
    assert(heights.every((h) => h > 0), 'a bar with no height on screen');
    await page.click(`${P} .review-chart-week details summary`);
    await page.click(`${P} .review-chart-category details summary`);
    const cells = await page.$$eval(`${P} .review-chart-category details table tbody tr`, (trs) => trs.length);
    assert(cells === want.length, `${cells} rows in the category table`);
    const firstWeek = await page.textContent(`${P} .review-chart-week details table tbody tr th`);
    assert(/^\d{4}-W\d\d \(vanaf /.test(firstWeek), `week table row "${firstWeek}"`);
    await t.shot('handhaving-charts-tables');
    await page.click(`${P} .review-chart-week details summary`);
    await page.click(`${P} .review-chart-category details summary`);
  });

  await t.step(`filter by category "${data.category}"`, async () => {
    await page.selectOption(`${P} select[name=category]`, data.category);
    await search(page);
    const r = await rows();
    assert(r.length === data.categories[data.category], `${r.length} rows`);
    assert(r.every((x) => x.category === data.category), `categories ${[...new Set(r.map((x) => x.category))]}`);
    const bars = await page.$$eval(`${P} .review-chart-category svg .review-bar`, (g) => g.map((x) => x.dataset.category));
    assert(bars.length === 1 && bars[0] === data.category, `category chart ${bars}`);
    await t.shot('handhaving-filter-category');
  });

  await t.step(`full text "${data.word.slice(0, 8)}" (Enter submits): one incident, not the other area's`, async () => {
    await page.selectOption(`${P} select[name=category]`, '');
    await page.fill(`${P} input[name=text]`, data.word.slice(0, 8));
    await search(page, 'enter');
    const r = await rows();
    assert(r.length === 1 && r[0].incident === data.wordIncident, `rows ${JSON.stringify(r.map((x) => x.incident))}`);
    assert(r[0].text.includes(data.word), `row "${r[0].text}"`);
    await t.shot('handhaving-filter-text');
  });

  await t.step('a period with no incidents shows the empty state', async () => {
    await page.fill(`${P} input[name=text]`, '');
    await page.fill(`${P} input[name=from]`, '2020-01-01T00:00:00');
    await page.fill(`${P} input[name=to]`, '2020-01-02T00:00:00');
    await search(page);
    assert((await rows()).length === 0, 'rows for 2020');
    assert(await page.locator(`${P} .review-empty`).isVisible(), 'no empty notice');
    assert(await page.locator(`${P} .review-chart-week .review-chart-empty`).isVisible(), 'no empty chart notice');
    await t.shot('handhaving-empty');
    await page.click(`${P} button.review-clear`);
    await page.locator(`${P}[data-state="ready"][data-rows="${data.station}"]`).waitFor({ timeout: 10_000 });
  });

  await t.step('paging: "Meer laden" fetches the next page (before)', async () => {
    // The page's own module (the one app.js imported): 6 rows a page.
    await page.evaluate(async () => { (await import('/page-review.js')).ReviewPage.pageSize = 6; });
    await search(page);
    let r = await rows();
    assert(r.length === 6, `${r.length} rows on the first page`);
    assert(await page.locator(`${P} button.review-more`).isVisible(), 'no "Meer laden"');
    await search(page, 'more');
    assert((await rows()).length === 12, `${(await rows()).length} rows after "Meer laden"`);
    await search(page, 'more');
    r = await rows();
    assert(r.length === data.station, `${r.length} rows after "Meer laden" twice`);
    const ids = r.map((x) => x.incident);
    assert(new Set(ids).size === ids.length && ids.every((id, k) => k === 0 || ids[k - 1] > id), `rows ${ids}`);
    assert(await page.locator(`${P} button.review-more`).isHidden(), '"Meer laden" after the last page');
    await t.shot('handhaving-paged');
    await page.evaluate(async () => { (await import('/page-review.js')).ReviewPage.pageSize = 50; });
  });

  await t.step('"CSV downloaden": incidenten-<date>.csv with the header and every row', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      page.click(`${P} button.review-csv`),
    ]);
    const name = download.suggestedFilename();
    assert(/^incidenten-\d{4}-\d{2}-\d{2}\.csv$/.test(name), `file name ${name}`);
    const text = readFileSync(await download.path(), 'utf8').replace(/^\ufeff/, '');
    const lines = text.split('\r\n').filter((l) => l.length);
    assert(lines[0].startsWith('incident,area,camera,cameras,position,frame_time'), `header ${lines[0]}`);
    assert(lines.length - 1 === data.station, `${lines.length - 1} rows, expected ${data.station}`);
    assert(lines.slice(1).every((l) => l.includes('"station"')), 'a row of another area');
    assert(text.includes(`"'=SOM(A1)`), 'a formula is not escaped');
    console.log(`     ${name}: ${lines.length - 1} rows`);
  });

  await t.step('a row opens the detail with its history; no editing and no playback for handhaving', async () => {
    await page.click(`${P} tbody tr[data-incident="${data.amended}"] td.review-desc`);
    await page.locator(`${P} .review-detail[data-state="ready"][data-incident="${data.amended}"]`).waitFor({ timeout: 10_000 });
    const d = await page.textContent(`${P} .review-detail`);
    assert(d.includes(`Incident ${data.amended}`), 'no title');
    const hist = await page.$$eval(`${P} .review-history li`, (l) => l.map((x) => x.textContent));
    assert(hist.length === 3, `history ${JSON.stringify(hist)}`);
    assert(hist[1].includes('Politie heeft beelden opgevraagd') && hist[2].includes('overgedragen aan politie')
      && hist[2].includes('registratienummer 2026-123'), `history ${JSON.stringify(hist)}`);
    assert(await page.locator(`${P} .review-amend`).count() === 0, 'an amend form for handhaving');
    assert(await page.locator(`${P} .review-status`).count() === 0, 'a status form for handhaving');
    assert(await page.locator(`${P} .review-playback`).count() === 0, 'a Terugkijken link for handhaving');
    assert(await page.evaluate(() => document.activeElement?.classList.contains('review-detail')), 'focus not in the detail');
    await t.shot('handhaving-detail');
    await page.keyboard.press('Escape');
    await page.locator(`${P} .review-detail`).waitFor({ state: 'hidden', timeout: 5_000 });
  });

  await t.step('keyboard: Tab to a row, Enter opens it', async () => {
    await page.focus(`${P} tbody tr[data-incident]`);
    await page.keyboard.press('ArrowDown');
    const id = await page.evaluate(() => Number(document.activeElement?.dataset.incident));
    assert(id > 0, 'ArrowDown did not move to a row');
    await page.keyboard.press('Enter');
    await page.locator(`${P} .review-detail[data-state="ready"][data-incident="${id}"]`).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
  });

  await t.step('1366x768: overview and detail fit', async () => {
    const small = await t.newPage({ width: 1366, height: 768 });
    await openReview(small, opt.hh, opt['hh-password']);
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `the page is ${overflow} px wider than the window`);
    await t.shot('handhaving-1366-overview', small);
    await small.click(`${P} tbody tr[data-incident="${data.amended}"] td.review-num`);
    await small.locator(`${P} .review-detail[data-state="ready"]`).waitFor({ timeout: 10_000 });
    const box = await small.locator(`${P} .review-detail`).boundingBox();
    assert(box && box.x + box.width <= 1366 + 1 && box.width >= 300, `detail box ${JSON.stringify(box)}`);
    await t.shot('handhaving-1366-detail', small);
    await small.context().close();
  });
}

if (ok) {
  await t.step('a new incident in its area is announced; "opnieuw zoeken" shows it', async () => {
    const id = Number(await t.ask('create-incident'));
    await page.locator(`${P} button.review-new`).waitFor({ state: 'visible', timeout: 10_000 });
    const text = await page.textContent(`${P} button.review-new`);
    assert(/1 nieuw incident/.test(text), `notice "${text}"`);
    await t.shot('handhaving-new-incident');
    await page.click(`${P} button.review-new`);
    await page.locator(`${P} tbody tr[data-incident="${id}"]`).waitFor({ timeout: 10_000 });
    assert(await page.locator(`${P} button.review-new`).isHidden(), 'the notice stays');
  });
}

if (opt.op) {
  await t.step('operator: amends from the detail panel, changes the status and follows "Terugkijken"', async () => {
    const op = await t.newPage();
    await t.login(op, url, opt.op, opt['op-password']);
    await op.evaluate(() => { location.hash = '#/review'; });
    await op.locator(`${P}[data-state="ready"]`).waitFor({ timeout: 15_000 });
    const r = await rows(op);
    assert(r.length === data.station + data.centrum + 1, `operator sees ${r.length} rows`);
    const links = await op.locator(`${P} tbody tr a.review-row-playback`).count();
    assert(links === r.length, `${links} Terugkijken links in ${r.length} rows`);
    const id = data.operatorIncident;
    await op.click(`${P} tbody tr[data-incident="${id}"] td.review-num`);
    await op.locator(`${P} .review-detail[data-state="ready"][data-incident="${id}"]`).waitFor({ timeout: 10_000 });
    await op.fill(`${P} .review-amend textarea`, 'Camerabeelden bekeken met de boa');
    await t.shot('operator-detail-amend', op);
    await op.click(`${P} .review-amend button[type=submit]`);
    await op.waitForFunction(([p, n]) => [...document.querySelectorAll(`${p} .review-history li`)]
      .some((li) => li.textContent.includes(n)), [P, 'Camerabeelden bekeken met de boa'], { timeout: 10_000 });
    await op.selectOption(`${P} .review-status select`, 'closed');
    await op.fill(`${P} .review-status input`, 'afgehandeld');
    await op.click(`${P} .review-status button[type=submit]`);
    await op.waitForFunction((p) => document.querySelector(`${p} .review-detail .badge`)?.textContent === 'gesloten', P, { timeout: 10_000 });
    const row = await op.textContent(`${P} tbody tr[data-incident="${id}"]`);
    assert(row.includes('gesloten'), `row "${row}" does not show the new status`);
    await t.shot('operator-detail-after', op);
    const link = op.locator(`${P} .review-detail a.review-playback`);
    assert(await link.count() === 1, 'no Terugkijken link for the operator');
    await link.click();
    await op.waitForFunction(() => location.hash.startsWith('#/playback?'), null, { timeout: 5_000 });
    const hash = await op.evaluate(() => location.hash);
    const q = new URLSearchParams(hash.split('?')[1]);
    assert(q.get('camera') && !Number.isNaN(Date.parse(q.get('t'))), `hash ${hash}`);
    await op.context().close();
  });
}

await t.step('no console errors, page errors or CSP violations', async () => {
  assert(t.problems.length === 0, t.problems.join('\n'));
});

clearTimeout(killTimer);
await t.finish();
