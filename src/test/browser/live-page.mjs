// Live mode of the caption page with a fake camera: Debian's headless chromium (through playwright-core) plays a
// Y4M video as the camera (--use-file-for-fake-video-capture), the script starts live captions with the keyboard,
// records every text the live region announces and every utterance given to speechSynthesis, waits until the
// captions changed with the video's scene, stops with the keyboard, and saves screenshots.
//
//   node src/test/browser/live-page.mjs <page url> <video.y4m> [screenshot folder] [distinct captions, default 2]
//
// Prints one line of JSON at the end: {"announced" (every text of the live region), "captions" (those that are
// captions), "spoken", "speech" (the browser has speechSynthesis), "stopped" (the region after Stop), "screenshots"}. Exits non-zero (with the
// reason on stderr) when a step fails. Run by dev.blip2serve.serve.BrowserPageTest.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const [url, video, outDir = 'docs/screenshots', wanted = '2'] = process.argv.slice(2);
if (!url || !video) {
  console.error('usage: node live-page.mjs <page url> <video.y4m> [screenshot folder] [distinct captions]');
  process.exit(2);
}
const STEP_TIMEOUT = 120_000; // a bound on waiting on a loaded CI box, not a latency check
mkdirSync(outDir, { recursive: true });
const shot = (name) => resolve(outDir, name);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--use-file-for-fake-video-capture=' + resolve(video), '--autoplay-policy=no-user-gesture-required'],
});

// Before the page's own script: record what the live region shows and what is handed to speechSynthesis (the
// real one still speaks).
const RECORDER = () => {
  window.__announced = [];
  window.__spoken = [];
  if ('speechSynthesis' in window) {
    const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
    window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); speak(u); };
  }
  document.addEventListener('DOMContentLoaded', () => {
    const region = document.getElementById('live-caption');
    new MutationObserver(() => window.__announced.push(region.textContent)).observe(region,
      { childList: true, characterData: true, subtree: true });
  });
};

const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
  await page.addInitScript(RECORDER);
  await page.goto(url);
  await page.getByRole('checkbox', { name: 'fp32' }).waitFor();

  // Keyboard: focus the button by its name and press Enter.
  const toggle = page.getByRole('button', { name: 'Start live captions' });
  await toggle.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Stop live captions' }).waitFor();

  // Captions are what the region shows besides the mode's own words ("Starting…", "Live captions on/off…").
  const CAPTIONS = 'window.__announced.filter((t) => !/^(Starting live captions|Live captions )/.test(t))';
  await page.waitForFunction(`new Set(${CAPTIONS}).size >= ${Number(wanted)}`, null, { timeout: STEP_TIMEOUT });
  await page.screenshot({ path: shot('live-page.png'), fullPage: true });

  // Stop with the keyboard: the button is focused still.
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Start live captions' }).waitFor();
  const stopped = (await page.locator('#live-caption').textContent()).trim();
  const spoken = await page.evaluate(() => window.__spoken.slice());
  const announced = await page.evaluate(() => window.__announced.slice());
  const captions = await page.evaluate(CAPTIONS);

  // The same mode on a phone-sized screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  small.setDefaultTimeout(STEP_TIMEOUT);
  await small.addInitScript(RECORDER);
  await small.goto(url);
  await small.getByRole('checkbox', { name: 'fp32' }).waitFor();
  await small.getByRole('button', { name: 'Start live captions' }).click();
  await small.waitForFunction(`${CAPTIONS}.length >= 1`, null, { timeout: STEP_TIMEOUT });
  await small.locator('#live').scrollIntoViewIfNeeded();
  await small.screenshot({ path: shot('live-page-phone.png'), fullPage: false });
  await small.getByRole('button', { name: 'Stop live captions' }).click();
  await phone.close();

  if (problems.length) {
    throw new Error(problems.join('\n'));
  }
  console.log(JSON.stringify({
    announced, captions, spoken, speech: await page.evaluate(() => 'speechSynthesis' in window), stopped,
    screenshots: [shot('live-page.png'), shot('live-page-phone.png')],
  }));
} catch (e) {
  console.error('live browser test failed: ' + (e && e.stack ? e.stack : e));
  if (problems.length) {
    console.error(problems.join('\n'));
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
