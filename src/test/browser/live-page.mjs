// Live mode of the caption page with a fake camera: Debian's headless chromium (through playwright-core) plays a
// Y4M video as the camera (--use-file-for-fake-video-capture), the script starts live captions with the keyboard,
// records every text the live region announces and every utterance given to speechSynthesis, waits until the
// captions changed with the video's scene, stops with the keyboard, and saves screenshots.
//
//   node src/test/browser/live-page.mjs <page url> <video.y4m> [screenshot folder] [distinct captions, default 2]
//
// Prints one line of JSON at the end: {"announced" (every text of the live region), "captions" (those that are
// captions), "spoken", "speech" (the browser has speechSynthesis), "stopped" (the region after Stop),
// "screenshots"}. Exits non-zero (with the reason on stderr) when a step fails. Run by
// dev.blip2serve.serve.BrowserPageTest; the set-up it shares with caption-page.mjs is in page-setup.mjs.
import { resolve } from 'node:path';
import { STEP_TIMEOUT, drive, phonePage, screenshotFolder, scriptArgs } from './page-setup.mjs';

const [url, video, outDir = 'docs/screenshots', wanted = '2'] = scriptArgs(2,
  'node live-page.mjs <page url> <video.y4m> [screenshot folder] [distinct captions]');
const shot = screenshotFolder(outDir);
// Chromium's fake camera plays the video; no permission prompt, and the preview plays without a gesture.
const DESKTOP = {
  viewport: { width: 1100, height: 1000 },
  extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--use-file-for-fake-video-capture=' + resolve(video), '--autoplay-policy=no-user-gesture-required'],
};

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

await drive('live browser test', DESKTOP, async ({ browser, page }) => {
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
  const small = await phonePage(browser);
  await small.addInitScript(RECORDER);
  await small.goto(url);
  await small.getByRole('checkbox', { name: 'fp32' }).waitFor();
  await small.getByRole('button', { name: 'Start live captions' }).click();
  await small.waitForFunction(`${CAPTIONS}.length >= 1`, null, { timeout: STEP_TIMEOUT });
  await small.locator('#live').scrollIntoViewIfNeeded();
  await small.screenshot({ path: shot('live-page-phone.png'), fullPage: false });
  await small.getByRole('button', { name: 'Stop live captions' }).click();
  await small.context().close();

  return {
    announced, captions, spoken, speech: await page.evaluate(() => 'speechSynthesis' in window), stopped,
    screenshots: [shot('live-page.png'), shot('live-page-phone.png')],
  };
});
