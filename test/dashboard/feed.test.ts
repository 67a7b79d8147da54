/** What the dashboard gathers from a tower, without a browser. */
import t from 'tap'
import { request } from 'node:http'
import { startAdmin } from '../../src/cli/admin.js'
import { TowerFeed, type FeedUpdate } from '../../src/cli/dashboard/feed.js'
import { LatencyEstimate, WINDOW_SECONDS } from '../../src/cli/dashboard/latency.js'
import { preview } from '../../src/cli/dashboard/preview.js'
import { MAX_STREAMS } from '../../src/cli/dashboard/sse.js'
import { towerOn, waitFor } from '../helpers/towers.js'

t.test('the latency estimate is Little\'s law over the window', async t => {
  const estimate = new LatencyEstimate(0, 0)
  t.equal(estimate.close(0, 1000), null, 'nothing acknowledged: no estimate')
  // Two messages in flight on average, 100 acknowledged a second: 20 ms each.
  let acked = 0
  let result: number | null = null
  for (let second = 2; second <= 4; second++) {
    for (const inFlight of [1, 3, 2, 2]) estimate.sample(inFlight)
    acked += 100
    result = estimate.close(acked, second * 1000)
  }
  // The window holds the first, empty second too: 300 acks in 4 s.
  t.equal(result?.toFixed(3), (2 / (300 / 4000)).toFixed(3), '2 in flight ÷ 0.075 acks per ms')
  for (let second = 5; second <= 5 + WINDOW_SECONDS; second++) {
    estimate.sample(0)
    result = estimate.close(acked, second * 1000)
  }
  t.equal(result, null, 'the window forgets acknowledgements older than it')
})

t.test('payload previews: text as text, cut; anything else as hex', async t => {
  t.equal(preview(Buffer.from('<b>hello</b>')), '<b>hello</b>', 'markup is kept as characters: the page sets it as text')
  t.equal(preview(Buffer.from([0xff, 0x00, 0x41])), '0xff0041')
  t.equal(preview(Buffer.alloc(40, 0xff)), `0x${'ff'.repeat(32)}…`)
  const long = preview(Buffer.from('é'.repeat(500)))
  t.equal(long, `${'é'.repeat(120)}…`)
  // A cut through a two-byte character at the end of the window is not "binary".
  t.equal(preview(Buffer.from('a'.repeat(479) + 'é' + 'b')), `${'a'.repeat(120)}…`)
})

t.test('the feed samples at most 10 new messages a second, the rest when they come round', async t => {
  const tower = await towerOn(t, '127.0.0.1', { drainTimeout: 100 })
  const feed = new TowerFeed(tower)
  t.teardown(() => feed.close())
  const updates: FeedUpdate[] = []
  const unsubscribe = feed.subscribe(update => updates.push(update))
  for (let i = 0; i < 25; i++) tower.enqueue(`message ${i}`)
  await waitFor(() => updates.length >= 1, 5000, 'a tick')
  const first = updates[0] as FeedUpdate
  t.equal(first.messages.length, 10)
  t.equal(first.messagesUnsampled, 15)
  t.match(first.messages[0], { id: /^[0-9a-f]{32}$/, bytes: 9, hops: 0, from: null, preview: 'message 0' })
  t.same(feed.snapshot().messages.map(m => m.preview), first.messages.map(m => m.preview))
  unsubscribe()
  t.equal(tower.listenerCount('queued'), 0, 'no one listening: the feed stops watching messages')
})

t.test('the feed reports discoveries and status changes once', async t => {
  const a = await towerOn(t, '127.0.0.1', { drainTimeout: 100 })
  const b = await towerOn(t, '127.0.0.1', { drainTimeout: 100 })
  const feed = new TowerFeed(a)
  t.teardown(() => feed.close())
  const updates: FeedUpdate[] = []
  feed.subscribe(update => updates.push(update))
  await b.announce('127.0.0.1', a.port)
  // a reaches b, making it alive, when it has something to hand on.
  a.enqueue('for b')
  await waitFor(() => updates.some(u => u.peers.some(p => p.port === b.port && p.status === 'alive')), 10_000, 'b alive in an update')
  const texts = updates.flatMap(u => u.events.map(e => e.text))
  t.equal(texts.filter(text => text === `discovered 127.0.0.1:${b.port} (new)`).length, 1)
  const row = feed.snapshot().peers.find(p => p.port === b.port)
  t.match(row, { status: 'alive', lastUp: Number, lastDown: null })
  const seqs = feed.snapshot().events.map(e => e.seq)
  t.same(seqs, [...seqs].sort((x, y) => x - y), 'events are numbered in order')
})

t.test(`at most ${MAX_STREAMS} event streams at once`, async t => {
  const tower = await towerOn(t, '127.0.0.1', { drainTimeout: 100 })
  const admin = await startAdmin(tower, { hostname: '127.0.0.1', port: 0 })
  t.teardown(() => admin.close())
  const statuses: number[] = []
  const open = (): Promise<number> => new Promise((resolve, reject) => {
    const req = request(`${admin.url}/events`, response => {
      resolve(response.statusCode ?? 0)
      if (response.statusCode !== 200) response.resume()
    })
    req.on('error', reject)
    req.end()
  })
  for (let i = 0; i < MAX_STREAMS; i++) statuses.push(await open())
  t.ok(statuses.every(status => status === 200), `${MAX_STREAMS} streams open`)
  t.equal(await open(), 503, 'the next is turned away')
})
