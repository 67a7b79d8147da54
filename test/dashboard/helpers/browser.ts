/**
 * A real browser for the page tests: Debian's chromium, driven by
 * playwright-core, headless, with a fresh profile and no network beyond
 * loopback. Never downloads a browser of its own.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'

export const CHROMIUM = process.env.CLACKS_CHROMIUM ?? '/usr/bin/chromium'

/** Where the test runs write their screenshots (gitignored). */
export const SCREENSHOTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test-output/screenshots')

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'
]

/** The page tests' skip option: they run wherever chromium is, and always in CI (which installs it). */
export function browserSkip (): false | string {
  return existsSync(CHROMIUM) || process.env.CI === 'true' ? false : `no ${CHROMIUM} here (apt-get install chromium; .ci/run does)`
}

export interface Browser {
  page: Page
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[]
}

/** A fresh browser and page, closed (and its profile removed) when the test ends. */
export async function openBrowser (t: Test): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'clacks-chromium-'))
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    deviceScaleFactor: 1
  })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? await context.newPage()
  const errors: string[] = []
  page.on('console', message => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('pageerror', error => errors.push(error.message))
  return { page, errors }
}

export async function screenshot (page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const path = join(SCREENSHOTS, name)
  await page.screenshot({ path, fullPage: true })
  return path
}
