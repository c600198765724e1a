// The browser half of bench/glass.py: Debian's chromium (playwright-core from
// tests/browser/node_modules; no browser is downloaded) logs in to the real
// console, watches CAMERAS live and records, for every frame presented on
// screen, display time minus the simulated camera's capture time (the SEI in
// the frame; see ui/www/live.js, window.__uk.captureScan).
//
//   node bench/glass-browser.mjs URL USER PASSWORD --cameras cam1,cam2 --seconds 60 [--warmup 5]
//
// Prints one JSON object on stdout: per camera the latencies (ms) and the
// player's counters.
const { chromium } = await import(new URL('../tests/browser/node_modules/playwright-core/index.mjs', import.meta.url));

const argv = process.argv.slice(2);
const positional = [];
const opt = { seconds: '60', warmup: '5' };
for (let i = 0; i < argv.length; i++) {
  if (argv[i].startsWith('--')) opt[argv[i].slice(2)] = argv[++i];
  else positional.push(argv[i]);
}
const [url, user, password] = positional;
const cameras = (opt.cameras ?? 'cam1').split(',');
const err = (...a) => console.error('glass-browser:', ...a);

const browser = await chromium.launch({
  executablePath: process.env.UK_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (e) => err('page error', e.message));
  await page.goto(url);
  await page.locator('#login').waitFor({ state: 'visible', timeout: 10_000 });
  await page.fill('#login input[name=user]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.locator('#cameras').waitFor({ state: 'visible', timeout: 10_000 });
  await page.evaluate(() => { window.__uk.captureScan = true; });
  for (const c of cameras) {
    const b = page.locator(`#camera-rows tr[data-camera="${c}"] button.watch:not([disabled])`);
    await b.waitFor({ timeout: 10_000 });
    await b.click();
  }
  await page.waitForFunction((n) => [...window.__uk.tiles.values()].filter((t) => t.framesPresented > 0).length === n,
    cameras.length, { timeout: 20_000, polling: 200 });
  err(`${cameras.length} tile(s) playing; warm-up ${opt.warmup} s, then ${opt.seconds} s measured`);
  await page.waitForTimeout(Number(opt.warmup) * 1000);
  await page.evaluate(() => {
    for (const t of window.__uk.tiles.values()) {
      t.glass = [];
      t.arrival = [];
      t.lags = [];
      t.lagTimer = setInterval(() => {
        const b = t.video.buffered;
        if (b.length) t.lags.push((b.end(b.length - 1) - t.video.currentTime) * 1000);
      }, 50);
      t.mark = { presented: t.framesPresented, jumps: t.jumps, dropped: t.dropped,
        decoded: t.video.getVideoPlaybackQuality().totalVideoFrames,
        droppedDecoder: t.video.getVideoPlaybackQuality().droppedVideoFrames };
    }
  });
  const t0 = Date.now();
  await page.waitForTimeout(Number(opt.seconds) * 1000);
  const result = await page.evaluate(() => {
    const out = {};
    for (const [camera, t] of window.__uk.tiles) {
      const q = t.video.getVideoPlaybackQuality();
      out[camera] = {
        glass_ms: t.glass.slice(),
        arrival_ms: t.arrival.slice(),
        buffered_ahead_ms: t.lags.slice(),
        presented: t.framesPresented - t.mark.presented,
        decoded: q.totalVideoFrames - t.mark.decoded,
        dropped_by_decoder: q.droppedVideoFrames - t.mark.droppedDecoder,
        jumps_to_live_edge: t.jumps - t.mark.jumps,
        dropped_by_player: t.dropped - t.mark.dropped,
        status: t.status,
      };
    }
    return out;
  });
  result._elapsed_s = (Date.now() - t0) / 1000;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
