// Shared parts of the console's browser tests: Debian's chromium driven by
// playwright-core (never a downloaded browser), named steps with a pass/fail
// count, a screenshot of every page, and questions to the parent test
// process ("@@ WORD ..." on stdout, answered by a line on stdin).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

/** --name value options and positional arguments of process.argv. */
export function parseArgs(argv = process.argv.slice(2)) {
  const positional = [];
  const opt = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      const next = argv[i + 1];
      opt[argv[i].slice(2)] = next === undefined || next.startsWith('--') ? true : argv[++i];
    } else positional.push(argv[i]);
  }
  return { positional, opt };
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export class BrowserTest {
  /** @screenshots: the folder for screenshots (created). */
  constructor({ screenshots, width = 1920, height = 1080 }) {
    this.screenshots = screenshots;
    this.size = { width, height };
    this.passed = 0;
    this.failed = 0;
    this.shots = 0;
    this.problems = []; // page errors and console errors
    if (screenshots) mkdirSync(screenshots, { recursive: true });
    this.stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  }

  async start() {
    this.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--autoplay-policy=no-user-gesture-required', '--lang=nl-NL'],
    });
    this.page = await this.newPage();
    return this.page;
  }

  async newPage(size = this.size) {
    const context = await this.browser.newContext({ viewport: size, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    const page = await context.newPage();
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') this.problems.push(`console: ${m.text()}`); });
    return page;
  }

  async step(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      this.passed++;
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return true;
    } catch (e) {
      this.failed++;
      console.log(`FAIL ${name}: ${e.stack ?? e}`);
      await this.shot(`fail-${name}`).catch(() => {});
      return false;
    }
  }

  /** Saves a full-page screenshot NN-NAME.png of @page (default: the first). */
  async shot(name, page = this.page) {
    if (!this.screenshots || !page) return null;
    const file = join(this.screenshots, `${String(++this.shots).padStart(2, '0')}-${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /** Logs in through the console's form. */
  async login(page, url, user, password) {
    await page.goto(url);
    await page.fill('#login input[name=user]', user);
    await page.fill('#login input[name=password]', password);
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => document.getElementById('login')?.hidden === true, null, { timeout: 15000 });
  }

  /** Asks the parent process to do something; resolves with its answer. */
  async ask(what) {
    console.log(`@@ ${what}`);
    const { value, done } = await this.stdin.next();
    if (done || !value.startsWith('ok')) throw new Error(`parent did not ${what}: ${value}`);
    return value.slice(2).trim();
  }

  /** Closes the browser, prints the count and exits (0 only if all passed). */
  async finish() {
    if (this.problems.length) console.log(`page problems:\n  ${this.problems.join('\n  ')}`);
    await this.browser?.close().catch(() => {});
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed === 0 && this.passed > 0 ? 0 : 1);
  }
}
