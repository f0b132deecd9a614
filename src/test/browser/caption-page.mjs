// Drives the caption page like a person would, in Debian's headless chromium through playwright-core (no browser
// download): loads the page, picks the photo with the file input, presses Caption with the keyboard, waits for the
// live region to announce the caption, asks a question, compares precisions where there are several, and saves
// screenshots.
//
//   node src/test/browser/caption-page.mjs <page url> <image file> [screenshot folder]
//
// Prints one line of JSON at the end: {"caption", "status", "alt", "answer", "answer_status", "screenshots"}.
// Exits non-zero (with the reason on stderr) when a step fails. Run by dev.blip2serve.serve.BrowserPageTest; the
// set-up it shares with live-page.mjs is in page-setup.mjs.
import { drive, phonePage, screenshotFolder, scriptArgs } from './page-setup.mjs';

const [url, image, outDir = 'docs/screenshots'] = scriptArgs(2,
  'node caption-page.mjs <page url> <image file> [screenshot folder]');
const shot = screenshotFolder(outDir);

await drive('browser test', { viewport: { width: 1100, height: 900 } }, async ({ browser, page }) => {
  await page.goto(url);
  // The precision list comes from /v1/models; the default precision is ticked.
  const fp32 = page.getByRole('checkbox', { name: 'fp32' });
  await fp32.waitFor();
  if (!(await fp32.isChecked())) {
    throw new Error('the default precision fp32 is not ticked');
  }
  await page.screenshot({ path: shot('caption-page-start.png'), fullPage: true });

  // Pick the photo through the labelled file input, as a keyboard or screen reader user would reach it.
  await page.getByLabel('Choose a photo').setInputFiles(image);
  const status = page.getByRole('status');
  await status.filter({ hasText: 'Photo ready' }).waitFor();

  // Keyboard: focus the button and press Enter.
  await page.getByRole('button', { name: 'Caption', exact: true }).focus();
  await page.keyboard.press('Enter');
  await status.filter({ hasText: /^Caption: ./ }).waitFor();
  const statusText = (await status.textContent()).trim();
  const caption = (await page.locator('#results tbody td.caption').first().textContent()).trim();
  const alt = await page.locator('#preview-img').getAttribute('alt');
  const row = await page.locator('#results tbody tr').first().innerText();
  if (!/\d+\.\d/.test(row)) {
    throw new Error('the result row shows no timings: ' + row);
  }
  await page.screenshot({ path: shot('caption-page-caption.png'), fullPage: true });

  // A question turns it into visual question answering.
  await page.getByLabel('Ask about the photo').fill('what color is the background?');
  await page.getByRole('button', { name: 'Caption', exact: true }).click();
  await status.filter({ hasText: /^Answer: ./ }).waitFor();
  const answerStatus = (await status.textContent()).trim();
  const answer = (await page.locator('#results tbody td.caption').first().textContent()).trim();
  await page.screenshot({ path: shot('caption-page-question.png'), fullPage: true });

  // The same page on a phone-sized screen.
  const small = await phonePage(browser);
  await small.goto(url);
  await small.getByRole('checkbox', { name: 'fp32' }).waitFor();
  await small.getByLabel('Choose a photo').setInputFiles(image);
  await small.getByRole('status').filter({ hasText: 'Photo ready' }).waitFor();
  await small.getByRole('button', { name: 'Caption', exact: true }).click();
  await small.getByRole('status').filter({ hasText: /^Caption: ./ }).waitFor();
  await small.screenshot({ path: shot('caption-page-phone.png'), fullPage: true });
  await small.context().close();

  // Where the service has more than one ready precision: tick them all and compare them side by side.
  const shots = ['caption-page-start.png', 'caption-page-caption.png', 'caption-page-question.png',
    'caption-page-phone.png'];
  const enabled = page.locator('#precisions input[name="precision"]:not([disabled])');
  if ((await enabled.count()) > 1) {
    await page.getByLabel('Ask about the photo').fill('');
    for (const box of await enabled.all()) {
      await box.check();
    }
    await page.getByRole('button', { name: 'Caption', exact: true }).click();
    await status.filter({ hasText: /^\S+: .+\. \S+: ./ }).waitFor();
    await page.screenshot({ path: shot('caption-page-compare.png'), fullPage: true });
    shots.push('caption-page-compare.png');
  }

  return {
    caption, status: statusText, alt, answer, answer_status: answerStatus,
    screenshots: shots.map(shot),
  };
});
