/**
 * How an acceptor acknowledges, seen from a hand-driven dialer over real TLS:
 * a lone message at once, a burst with a few cumulative Acks rather than one
 * per socket read, and a refusal always before the Ack that covers it.
 */
import t, { type Test } from 'tap'
import { RefusalReason } from '../../src/gen/clacks/v1/frame.js'
import type { Tower, TowerOptions } from '../../src/index.js'
import { ACK_EVERY_MESSAGES } from '../../src/net/inbound.js'
import { brief, messageFrame, RawPeer } from '../helpers/raw-peer.js'
import { startTower, waitFor } from '../helpers/towers.js'

/** A paused tower (it keeps what it takes) and a raw dialer past its handshake, both ended with the test. */
async function towerAndDialer (t: Test, options: Partial<TowerOptions> = {}): Promise<{ tower: Tower, raw: RawPeer }> {
  const tower = await startTower(options)
  t.teardown(() => tower.close({ drain: false }))
  tower.pause()
  const raw = await RawPeer.connect(tower.port)
  t.teardown(() => raw.destroy())
  await raw.handshake()
  return { tower, raw }
}

t.test('a lone message is acknowledged without waiting for more', async t => {
  const { raw } = await towerAndDialer(t)
  raw.send(messageFrame(1))
  t.equal(brief(await raw.next(2000)), 'ack 1')
  raw.send(messageFrame(2))
  t.equal(brief(await raw.next(2000)), 'ack 2', 'and the next one too')
})

t.test('a burst is acknowledged cumulatively: a few Acks, not one per read', async t => {
  const { tower, raw } = await towerAndDialer(t)
  // 600 KiB in one write: about 38 TLS records of 16 KiB, each a socket read at the tower.
  const count = 600
  const payload = Buffer.alloc(1024, 0x61)
  raw.sendAll(Array.from({ length: count }, (_, i) => messageFrame(i + 1, { payload })))
  const acks: number[] = []
  while (acks.at(-1) !== count) {
    const frame = await raw.next(5000)
    if (frame.kind?.$case !== 'ack') throw new Error(`expected acks only, got ${brief(frame)}`)
    acks.push(frame.kind.value.seq)
  }
  t.ok(acks.every((seq, i) => i === 0 || seq > (acks[i - 1] as number)), `acks rise: ${acks.join(', ')}`)
  // At least one per ACK_EVERY_MESSAGES, and one per turn of the event loop that read some: far fewer than the reads.
  t.ok(acks.length >= Math.floor(count / ACK_EVERY_MESSAGES), `at least one Ack per ${ACK_EVERY_MESSAGES} messages (${acks.length})`)
  t.ok(acks.length <= 12, `${acks.length} Acks for ${count} messages of 1 KiB (one per 16 KiB read would be ~38)`)
  t.ok(acks.slice(0, -1).every((seq, i) => seq - (i === 0 ? 0 : acks[i - 1] as number) <= ACK_EVERY_MESSAGES + 16),
    'no Ack leaves much more than ACK_EVERY_MESSAGES (plus one read) unacknowledged')
  await waitFor(() => tower.stats().queued === count, 2000, 'all queued')
  t.equal(tower.stats().queued, count, 'every message taken')
})

t.test('a refusal comes before the Ack that covers it', async t => {
  const { raw } = await towerAndDialer(t, { maxPayloadBytes: 100 })
  raw.sendAll([messageFrame(1), messageFrame(2, { payload: Buffer.alloc(200) }), messageFrame(3)])
  const answers = [brief(await raw.next(2000)), brief(await raw.next(2000))]
  t.same(answers, [`refusal 2 ${RefusalReason[RefusalReason.REFUSAL_REASON_TOO_LARGE].replace('REFUSAL_REASON_', '')}`, 'ack 3'])
})
