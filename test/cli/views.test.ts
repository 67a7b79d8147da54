import t from 'tap'
import { renderLine, renderSummary, renderTable, discovery, type Frame, type TowerRow } from '../../src/cli/demo-view.js'
import type { Conservation } from '../../src/cli/demo-network.js'
import { messageLine, toPrinted } from '../../src/cli/print.js'
import { formatStatus } from '../../src/cli/status.js'
import type { StatusDocument } from '../../src/cli/admin.js'
import { bytes, duration, RateMeter } from '../../src/cli/status-line.js'

function row (name: string, known: number, queued: number): TowerRow {
  return { name, address: `127.0.0.${name.slice(1)}:4000`, peers: { new: 0, alive: known, lost: 0, dead: 0, ignored: 0 }, queued, inFlight: 1, rates: { in: 10, out: 12.5 }, acked: 100 }
}

const frame: Frame = { elapsed: 2.04, towers: [row('t1', 2, 3), row('t2', 1, 0), row('t3', 1, 4)], injected: 7, events: ['  0.4s  t2 discovered t1'] }

t.test('discovery counts peer-table entries against everyone-knows-everyone', async t => {
  t.same(discovery(frame.towers), { known: 4, possible: 6 })
})

t.test('a plain line per tick', async t => {
  t.equal(renderLine(frame), '[  2.0s] peers known 4/6 · queued 7 · in flight 3 · 37.5 hand-offs/s · queues t1:3 t2:0 t3:4')
})

t.test('the table is drawn in place with ANSI codes', async t => {
  const text = renderTable(frame, { towers: 3, messages: 7, sendrate: 50, duration: 3 })
  t.ok(text.startsWith('\x1b[H'), 'cursor home first')
  t.ok(text.endsWith('\x1b[J'), 'clears what the last frame left below')
  t.match(text, /t1 +127\.0\.0\.1:4000 +0 +2 +0 +0 +3 +10\.0 +12\.5 +1/)
  t.match(text, /4 of 6 peer entries/)
  t.match(text, /t2 discovered t1/)
  const many = { ...frame, towers: Array.from({ length: 50 }, (_, i) => row(`t${i + 1}`, 49, 1)) }
  t.match(renderTable(many, { towers: 50, messages: 7, sendrate: 50, duration: undefined }, 24), /… and 41 more towers/, 'fits a small terminal')
  const withPage = renderTable({ ...many, url: 'http://127.0.0.1:5000/' }, { towers: 50, messages: 7, sendrate: 50, duration: undefined }, 24)
  t.match(withPage, /watch it live in a browser:\x1b\[0m http:\/\/127\.0\.0\.1:5000\/\x1b\[K\n/, 'the page\'s address under the title')
  t.match(withPage, /… and 42 more towers/, 'and a tower row fewer, to fit the same terminal')
})

const held: Conservation = { injected: 7, held: 7, lost: 0, duplicated: 0, unknown: 0, settled: true, stillInFlight: 0, holdings: [3, 0, 4], meanHops: 12.25, maxHops: 20, ok: true }

t.test('the summary says whether conservation held', async t => {
  const good = renderSummary(held, frame, 3, false)
  t.match(good, /injected +7 messages; held 7 distinct, 0 lost, 0 duplicated/)
  t.match(good, /conservation held: none lost, none duplicated/)
  t.match(good, /held by +t1 3 · t2 0 · t3 4/)
  t.notMatch(good, /\x1b/, 'no colour off a terminal')
  t.match(renderSummary({ ...held, held: 6, lost: 1, ok: false }, frame, 3, false), /conservation FAILED: 1 lost, 0 duplicated/)
  const unsettled = renderSummary({ ...held, settled: false, stillInFlight: 2, ok: false }, frame, 3, false)
  t.match(unsettled, /2 messages were still in flight/)
  t.match(unsettled, /NOT VERIFIED/)
})

t.test('printed messages: UTF-8 as text, anything else as base64', async t => {
  t.same(toPrinted({ id: 'ab', hops: 2, payload: Buffer.from('héllo ✓'), from: { hostname: '127.0.0.1', port: 5 } }),
    { id: 'ab', hops: 2, from: '127.0.0.1:5', encoding: 'utf8', payload: 'héllo ✓' })
  t.same(toPrinted({ id: 'ab', hops: 0, payload: Buffer.from([0xff, 0xfe, 0x00]) }), { id: 'ab', hops: 0, encoding: 'base64', payload: '//4A' })
  t.equal(messageLine({ id: 'ab', hops: 1, payload: Buffer.from('x') }), '{"id":"ab","hops":1,"encoding":"utf8","payload":"x"}\n')
})

t.test('rates over a sliding window; sizes and durations for people', async t => {
  const meter = new RateMeter({ received: 0, acked: 0 }, 0, 1000)
  t.same(meter.sample({ received: 10, acked: 5 }, 500), { in: 20, out: 10 })
  t.same(meter.sample({ received: 20, acked: 10 }, 1000), { in: 20, out: 10 })
  t.same(meter.sample({ received: 30, acked: 15 }, 2000), { in: 10, out: 5 }, 'the baseline moves to the newest sample a window old')
  t.equal(bytes(999), '999 B')
  t.equal(bytes(1234), '1.2 kB')
  t.equal(bytes(5_600_000), '5.6 MB')
  t.equal(duration(3725), '1h 2m 5s')
  t.equal(duration(9), '9s')
})

t.test('status for a person', async t => {
  const doc = {
    tower: { hostname: '127.0.0.1', port: 7000, instanceId: '0123456789abcdef0123456789abcdef' },
    uptimeSeconds: 75,
    options: { sendrate: null, byterate: null, killtimeout: 1000 },
    stats: {
      enqueued: 1, sent: 2, acked: 2, returned: 0, refused: 0, received: 3, refusedInbound: 0, bytesSent: 20, bytesReceived: 30,
      filteredOut: 0, filteredIn: 0, queueFull: 4, connectionsRefused: 0, handshakeTimeouts: 0, ignoredRefused: 0,
      queued: 5, queuedBytes: 2048, inFlight: 1, inDoubt: 0, peers: { new: 0, alive: 1, lost: 1, dead: 0, ignored: 0 },
      connections: { inbound: 1, outbound: 1 }, peerTableFull: 0, tlsFailures: 0, protocolErrors: 0, sessions: 1,
      dialsMade: 2, dialsFailed: 1, dialsRefused: 0, localHintsRefused: 0, untrustedRefused: 0, dialsHandshaking: 0, hintsRefused: 0
    },
    survey: [
      { hostname: '127.0.0.1', port: 7001, status: 'lost', since: Date.now() - 5000, discovered: 0 },
      { hostname: '127.0.0.1', port: 7002, status: 'alive', since: Date.now() - 60_000, discovered: 0 }
    ]
  } satisfies StatusDocument
  const text = formatStatus(doc, 20)
  t.match(text, /tower +127\.0\.0\.1:7000 +instance 0123456789ab +up 1m 15s/)
  t.match(text, /held +6 messages: queued 5 \(2\.0 kB\), in flight 1/)
  t.match(text, /sendrate unlimited, byterate unlimited/)
  t.match(text, /problems +queue full 4/)
  t.match(text, /alive +127\.0\.0\.1:7002[^\n]*\n +lost +127\.0\.0\.1:7001/, 'alive peers first')
  t.notMatch(formatStatus(doc, 0), /peers \(/, '--peers 0 lists none')
})

t.test('the summary names the largest holders when there are many towers', async t => {
  const towers = Array.from({ length: 12 }, (_, i) => row(`t${i + 1}`, 11, 0))
  const holdings = [9, 0, 1, 0, 0, 0, 0, 8, 0, 0, 2, 3]
  const text = renderSummary({ ...held, injected: 23, held: 23, holdings }, { ...frame, towers }, 3, false)
  t.match(text, /held by +t1 9 · t8 8 · t12 3 · t11 2 · t3 1 · the other 7 towers 0\n/)
})
