/**
 * `clacks demo` prints one URL; in a real browser that page draws every
 * tower, the links discovery makes, and messages moving between towers.
 */
import t from 'tap'
import { assertBuilt, clacks } from '../cli/helpers/spawn.js'
import { browserSkip, openBrowser, screenshot } from './helpers/browser.js'

assertBuilt()

t.test('the demo page draws the whole network, live', { skip: browserSkip() }, async t => {
  const demo = clacks(t, ['demo', '--towers', '6', '--messages', '30', '--sendrate', '20'])
  const [, url] = await demo.waitFor('stdout', /watch it live in a browser: (http:\/\/127\.0\.0\.1:\d+\/)/, 30_000) as unknown as [string, string]
  const { page, errors } = await openBrowser(t)
  await page.goto(url)
  await page.locator('#link.live').waitFor({ timeout: 10_000 })

  t.equal(await page.locator('#towers .tower').count(), 6, 'a node per tower')
  await page.locator('#towers-table tbody tr').nth(5).waitFor()
  t.same(await page.locator('#towers-table tbody tr td:first-child').allTextContents(), ['t1', 't2', 't3', 't4', 't5', 't6'])
  await page.locator('#discovery', { hasText: '30 / 30' }).waitFor({ timeout: 30_000 })
  t.pass('discovery spreads until every tower knows every other')
  t.equal(await page.locator('#edges line').count(), 15, 'a line per pair of towers')
  await page.locator('#dots circle.msg').first().waitFor({ state: 'attached', timeout: 10_000 })
  t.pass('messages move between towers')
  await page.locator('#events li', { hasText: 't6 joins' }).waitFor()
  t.pass('events are listed')
  await screenshot(page, 'demo.png')
  t.same(errors, [], 'no console errors')

  demo.child.kill('SIGINT')
  t.same(await demo.exit(30_000), { code: 0, signal: null })
  t.match(demo.stdout, /injected +30 messages; held 30 distinct, 0 lost, 0 duplicated/, 'the demo still checks conservation')
})
