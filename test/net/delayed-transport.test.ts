import { once } from 'node:events'
import t from 'tap'
import { ConnectionError } from '../../src/errors.js'
import { Tower } from '../../src/index.js'
import { DELAY_HIGH_WATER_BYTES, DelayedTransport, type DelayedStream } from '../../src/net/delayed-transport.js'
import { TlsTransport } from '../../src/net/tls-transport.js'
import { testCertificate, waitFor } from '../helpers/towers.js'

const DELAY = 100

async function delayedTls (delayMs: number): Promise<DelayedTransport> {
  const { key, cert } = await testCertificate()
  return new DelayedTransport(new TlsTransport({ key, cert, ca: undefined, handshakeTimeout: 5000, mutual: false }), delayMs)
}

t.test('real TLS on loopback with added delay: a round trip takes two delays, and the bytes are on the wire meanwhile', async t => {
  const transport = await delayedTls(DELAY)
  const listener = await transport.listen('127.0.0.1', 0, stream => stream.on('data', chunk => stream.write(chunk)))
  t.teardown(() => listener.close())
  const client = transport.dial({ hostname: '127.0.0.1', port: listener.port }, () => {
    const sentAt = performance.now()
    client.write(Buffer.from('ping'))
    t.equal(transport.bytesInTransit, 4, 'the ping is held back: on the wire')
    client.once('data', (chunk: Buffer) => {
      const roundTrip = performance.now() - sentAt
      t.equal(chunk.toString(), 'ping', 'echoed')
      t.ok(roundTrip >= 2 * DELAY, `round trip ${roundTrip.toFixed(1)} ms ≥ 2 x ${DELAY} ms`)
      t.equal(transport.bytesInTransit, 0, 'nothing left on the wire')
      client.end()
    })
  })
  await once(client, 'close')
  const refused = await new Promise<Error | null | undefined>(resolve => t.equal(client.write(Buffer.from('late'), resolve), false, 'a write after the close is refused'))
  t.type(refused, ConnectionError, '…and its writer hears of it')
  t.equal(transport.bytesInTransit, 0, 'nothing held for a closed connection')
})

t.test('writes arrive in order and whole, write() says when to wait, end() follows the data', async t => {
  const transport = await delayedTls(20)
  const received: Buffer[] = []
  const closed = new Promise<void>(resolve => {
    void transport.listen('127.0.0.1', 0, stream => {
      stream.on('data', chunk => received.push(chunk))
      stream.on('close', resolve)
    }).then(listener => {
      t.teardown(() => listener.close())
      const client = transport.dial({ hostname: '127.0.0.1', port: listener.port }, () => { void send(client) })
    })
  })
  const chunks = 300
  const size = 1024
  let maxBuffered = 0
  let waits = 0
  async function send (client: DelayedStream): Promise<void> {
    for (let n = 0; n < chunks; n++) {
      const ok = client.write(Buffer.alloc(size, n & 0xff))
      maxBuffered = Math.max(maxBuffered, client.writableLength)
      if (!ok) {
        waits++
        await once(client, 'drain')
      }
    }
    client.end()
  }
  await closed
  const all = Buffer.concat(received)
  t.equal(all.length, chunks * size, 'every byte arrived before the end')
  t.ok(Array.from({ length: chunks }, (_, n) => all[n * size] === (n & 0xff) && all[n * size + size - 1] === (n & 0xff)).every(Boolean), 'in the order written')
  t.ok(waits > 0, `write() returned false ${waits} times`)
  t.ok(maxBuffered <= DELAY_HIGH_WATER_BYTES + size, `held at most ${maxBuffered} bytes (mark ${DELAY_HIGH_WATER_BYTES})`)
  t.equal(transport.bytesInTransit, 0, 'nothing held once closed')
})

t.test('two real towers over delayed links: the hand-off and its Ack each take the added delay', async t => {
  const { key, cert } = await testCertificate()
  const transport = await delayedTls(DELAY)
  const towers = await Promise.all([0, 1].map(() => new Tower().init(key, cert, { hostname: '127.0.0.1', port: 0, sendrate: Infinity, transport })))
  t.teardown(() => Promise.all(towers.map(tower => tower.close({ drain: false }))))
  const [a, b] = towers as [Tower, Tower]
  a.expand('127.0.0.1', b.port)
  let arrivedAt = 0
  b.once('message', () => { arrivedAt = performance.now() })
  const enqueuedAt = performance.now()
  a.enqueue(Buffer.from('over a slow link'))
  await waitFor(() => a.stats().acked >= 1, 10 * DELAY + 5000, 'the Ack')
  const ackedAt = performance.now()
  t.ok(arrivedAt > 0, 'b received the message')
  t.ok(ackedAt - enqueuedAt >= 2 * DELAY, `enqueued to acknowledged: ${(ackedAt - enqueuedAt).toFixed(0)} ms ≥ 2 x ${DELAY} ms (a dial's round trip, the message's delay and the Ack's)`)
  t.ok(ackedAt - arrivedAt >= DELAY, `received to acknowledged: ${(ackedAt - arrivedAt).toFixed(0)} ms ≥ ${DELAY} ms (the Ack's way back)`)
})
