// helpers.mjs - shared by the browser tests (tests/web/*.test.mjs).
//
// The server side is the API tests' Server (a demo database and
// `peerlink serve` per file). The browser is Debian's chromium, driven
// headless by playwright-core from npm (never a browser playwright
// downloads); each test file launches it once, and playwright gives every
// launch a fresh temporary --user-data-dir of its own.
// Screenshots go to <build>/screenshots/ ($PEERLINK_SCREENSHOTS, else
// build-asan/screenshots under the source root).
import { mkdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

export const screenshotDir =
  process.env.PEERLINK_SCREENSHOTS || resolve(here, '..', '..', 'build-asan', 'screenshots');

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(screenshotDir, { recursive: true });
  return browser;
}

// A fresh context (cookies, language) at a phone's or a desktop's width.
export async function newPage(browser, { locale = 'en-US', phone = false } = {}) {
  const context = await browser.newContext({
    locale,
    viewport: phone ? { width: 360, height: 740 } : { width: 1280, height: 900 },
  });
  return context.newPage();
}

export async function shot(page, name) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

// Signs in through the login form and waits for the home page it leads to.
export async function signIn(page, url, username, password) {
  await page.goto(url + '/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}
