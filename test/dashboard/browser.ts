/**
 * Headless Chromium for the dashboard's end-to-end test: playwright-core (no bundled browser) driving the
 * Debian `chromium` package. The executable is PYMK_CHROMIUM when set, else the first of the usual paths
 * that exists. A missing browser fails the test, saying how to install one: it is not skipped.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/snap/bin/chromium'];

export function findChromium(env: NodeJS.ProcessEnv = process.env, paths: readonly string[] = CHROMIUM_PATHS): string {
  const wanted = env.PYMK_CHROMIUM;
  if (wanted) {
    if (!existsSync(wanted)) throw new Error(`PYMK_CHROMIUM=${wanted} does not exist: install Chromium (Debian/Ubuntu: apt-get install chromium) or point PYMK_CHROMIUM at it`);
    return wanted;
  }
  const found = paths.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`no Chromium found (looked at ${paths.join(', ')}): install it with \`apt-get install chromium\` (Debian/Ubuntu), or set PYMK_CHROMIUM=/path/to/chromium`);
  }
  return found;
}

export function launch(executablePath = findChromium()): Promise<Browser> {
  // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
