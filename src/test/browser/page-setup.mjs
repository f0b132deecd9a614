// What the browser scripts (caption-page.mjs, live-page.mjs) share: their arguments, Debian's headless chromium
// through playwright-core (no browser download), a desktop page whose errors fail the run, a phone-sized page,
// screenshots in a folder, and one way to end: a line of JSON on stdout and exit 0, or the reason on stderr and
// exit 1.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

/** A bound on waiting on a loaded CI box (a caption, a scene change), not a latency check. */
export const STEP_TIMEOUT = 120_000;

/** The screen the phone screenshots are taken on. */
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** The script's arguments; exits 2 with the usage line when one of the first `required` is missing. */
export function scriptArgs(required, usage) {
  const args = process.argv.slice(2);
  for (let i = 0; i < required; i++) {
    if (!args[i]) {
      console.error('usage: ' + usage);
      process.exit(2);
    }
  }
  return args;
}

/** Makes the folder and answers the absolute path of a screenshot in it. */
export function screenshotFolder(outDir) {
  mkdirSync(outDir, { recursive: true });
  return (name) => resolve(outDir, name);
}

/** A page of its own context on the phone screen (close it with `page.context().close()`). */
export async function phonePage(browser) {
  const page = await (await browser.newContext(PHONE)).newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  return page;
}

/**
 * Launches chromium (CHROMIUM_PATH or /usr/bin/chromium, with `extraArgs`), opens a desktop page of `viewport`
 * whose page errors and console errors are collected, and runs `steps({ browser, page })`. What the steps return
 * is printed as one line of JSON, unless the page reported errors; a failure prints `<label> failed: <reason>`.
 * The browser is closed either way.
 */
export async function drive(label, { viewport, extraArgs = [] }, steps) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  const problems = [];
  try {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
    const result = await steps({ browser, page });
    if (problems.length) {
      throw new Error(problems.join('\n'));
    }
    console.log(JSON.stringify(result));
  } catch (e) {
    console.error(label + ' failed: ' + (e && e.stack ? e.stack : e));
    if (problems.length) {
      console.error(problems.join('\n'));
    }
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
