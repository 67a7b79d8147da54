/**
 * The admin endpoint's dashboard in a real browser: three towers on
 * loopback exchange messages, one serves its dashboard, and the page must
 * load cleanly, count the peers right, move with the network, show a
 * hostile payload as text, and pause and resume the tower's sending.
 */
import t, { type Test } from 'tap'
import { request } from 'node:http'
import type { Tower } from '../../src/index.js'
import { startAdmin, type AdminServer } from '../../src/cli/admin.js'
import { towerOn, waitFor } from '../helpers/towers.js'
import { browserSkip, openBrowser, screenshot } from './helpers/browser.js'

const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & "quotes"'

function http (method: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, unknown>, text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 5000 }, response => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 5 s`)))
    req.on('error', reject)
    req.end()
  })
}

/** Reads an event stream until `count` events have come; returns their names and data. */
function readEvents (url: string, count: number): Promise<Array<{ event: string, data: unknown }>> {
  return new Promise((resolve, reject) => {
    const events: Array<{ event: string, data: unknown }> = []
    let buffer = ''
    const req = request(url, response => {
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) })
          if (events.length === count) {
            req.destroy()
            resolve(events)
          }
        }
      })
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`fewer than ${count} events within 10 s`)))
    req.on('error', error => { if (events.length < count) reject(error) })
    req.end()
  })
}

async function network (t: Test): Promise<{ a: Tower, b: Tower, c: Tower, admin: AdminServer }> {
  const options = { sendrate: 40, drainTimeout: 100 }
  const a = await towerOn(t, '127.0.0.1', options)
  const b = await towerOn(t, '127.0.0.1', options)
  const c = await towerOn(t, '127.0.0.1', options)
  await b.announce('127.0.0.1', a.port)
  await c.announce('127.0.0.1', a.port)
  // A tower nobody runs: it shows as lost, in another colour.
  a.expand('127.0.0.1', 1)
  for (let i = 1; i <= 12; i++) b.enqueue(`note ${i} from b`)
  const admin = await startAdmin(a, { hostname: '127.0.0.1', port: 0 })
  t.teardown(() => admin.close())
  return { a, b, c, admin }
}

t.test('the event stream: a snapshot, then ticks, readable without a browser', async t => {
  const { a, admin } = await network(t)
  const events = await readEvents(`${admin.url}/events`, 2)
  t.equal(events[0]?.event, 'snapshot')
  const snapshot = events[0]?.data as { tower: { port: number }, peers: unknown[], peerCount: number }
  t.equal(snapshot.tower.port, a.port)
  t.equal(snapshot.peerCount, a.survey().length)
  t.equal(events[1]?.event, 'tick')
  t.match(events[1]?.data, { queued: Number, in: Number, out: Number, peers: { alive: Number }, paused: false })
})

t.test('the page is served under a strict CSP, and writes refuse other sites', async t => {
  const { a, admin } = await network(t)
  const page = await http('GET', `${admin.url}/`)
  t.equal(page.status, 200)
  t.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/)
  t.equal((await http('GET', `${admin.url}/static/../admin.ts`)).status, 404, 'nothing outside the static set')
  t.equal((await http('GET', `${admin.url}/pause`)).status, 405)
  t.equal((await http('HEAD', `${admin.url}/events`)).status, 405, 'a stream is only for GET')
  t.equal((await http('HEAD', `${admin.url}/`)).status, 200)
  const forged = await http('POST', `${admin.url}/pause`, { Origin: 'http://evil.example' })
  t.equal(forged.status, 403, 'a cross-site POST is refused')
  const crossSite = await http('POST', `${admin.url}/pause`, { 'Sec-Fetch-Site': 'cross-site' })
  t.equal(crossSite.status, 403)
  const sent = a.stats().sent
  await waitFor(() => a.stats().sent > sent, 10_000, 'the tower to keep sending')
  t.pass('and the tower was not paused by them')
  const paused = await http('POST', `${admin.url}/pause`)
  t.same(JSON.parse(paused.text), { paused: true }, 'a client that is not a browser may pause')
  t.same(JSON.parse((await http('POST', `${admin.url}/resume`)).text), { paused: false })
})

t.test('in a browser', { skip: browserSkip() }, async t => {
  const { a, b, c, admin } = await network(t)
  const { page, errors } = await openBrowser(t)
  await page.goto(admin.url)
  await page.locator('#link.live').waitFor({ timeout: 10_000 })

  await waitFor(() => a.survey().length === 3, 10_000, 'a to know b, c and the lost tower')
  await page.locator('#peer-count', { hasText: /^3$/ }).waitFor({ timeout: 10_000 })
  t.equal(await page.locator('#peers tbody tr').count(), 3, 'the peer table has a row per peer')
  t.equal(await page.locator('#graph circle.node:not(.self)').count(), 3, 'and the graph a node per peer')

  const hostile = b.enqueue(HOSTILE)
  const cell = page.locator('#messages td.payload code', { hasText: 'onerror' })
  await cell.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
    t.comment(await page.locator('#messages').textContent(), await page.locator('#events').textContent(), JSON.stringify(a.stats()), JSON.stringify(b.stats()))
    throw error
  })
  t.equal(await cell.textContent(), HOSTILE, 'a hostile payload is shown as text')
  t.equal(await page.locator('#messages img, #messages script').count(), 0, 'and makes no element')
  t.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined, 'nor runs')
  t.ok(hostile)

  const uptime = await page.locator('#uptime').textContent()
  await page.locator('#uptime').filter({ hasNotText: uptime ?? '' }).waitFor({ timeout: 5000 })
  t.pass('the uptime moves')
  await page.locator('#peers td .st-alive').first().waitFor()
  await page.locator('#peers td .st-lost').first().waitFor({ timeout: 10_000 })
  t.pass('peers are shown by status')
  await page.locator('#chart-rates canvas').waitFor()

  // Sort by tower, then filter down to the lost one.
  await page.locator('#peers th[data-key=address]').click()
  const addresses = await page.locator('#peers td.address').allTextContents()
  t.same(addresses, [...addresses].sort(), 'sorted by address')
  await page.locator('#peer-filter').fill('lost')
  await page.locator('#peers tbody tr').nth(1).waitFor({ state: 'detached' })
  t.same(await page.locator('#peers td.address').allTextContents(), ['127.0.0.1:1'], 'filtered by status')
  await page.locator('#peer-filter').fill('')

  await page.locator('#pause', { hasText: 'Pause sending' }).click()
  await page.locator('#sending', { hasText: 'paused' }).waitFor()
  const sentWhenPaused = a.stats().sent
  const held = (tower: Tower): number => tower.stats().queued + tower.stats().inFlight
  await waitFor(() => held(b) + held(c) === 0, 30_000, 'every message to come to the paused tower')
  t.equal(held(a), 13, 'b and c still send: every message comes to a and stays')
  t.equal(a.stats().sent, sentWhenPaused, 'paused from the page, a sends nothing')
  await page.locator('#events', { hasText: 'sending paused from the dashboard' }).waitFor()

  await page.locator('#pause', { hasText: 'Resume sending' }).click()
  await page.locator('#sending', { hasText: 'sending' }).waitFor()
  await waitFor(() => a.stats().sent > sentWhenPaused, 10_000, 'a to send again')
  t.pass('resumed from the page, a sends again')
  await page.locator('#events', { hasText: 'sending resumed from the dashboard' }).waitFor()
  await screenshot(page, 'dashboard.png')

  t.same(errors, [], 'no console errors')
})
