import t, { type Test } from 'tap'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { createHash } from 'node:crypto'
import { systemClock } from '../../src/tower/clock.js'
import { FramedSocket, WRITE_BUFFER_LIMIT, type FrameHandler } from '../../src/net/framed-socket.js'
import { generateCertificate } from '../../src/net/certs.js'
import type { Frame } from '../../src/gen/clacks/v1/frame.js'
import { DEFAULT_MAX_FRAME_BYTES } from '../../src/wire/index.js'

/** A payload whose bytes depend on its number, so any overwritten byte shows. */
function payloadFor (n: number, bytes: number): Buffer {
  const payload = Buffer.allocUnsafe(bytes)
  for (let i = 0; i < bytes; i++) payload[i] = (n * 131 + i * 7) & 0xff
  return payload
}

function messageFrame (n: number, bytes: number): Frame {
  const id = createHash('md5').update(String(n)).digest()
  return { kind: { $case: 'message', value: { seq: n, id, payload: payloadFor(n, bytes), hops: n % 7, friend: undefined } } }
}

function handler (overrides: Partial<FrameHandler>): FrameHandler {
  return { frame: () => {}, readEnd: () => {}, drained: () => {}, unreadable: () => {}, closed: () => {}, ...overrides }
}

/** A connected TLS pair on loopback: the raw sockets, the server side not yet read. */
async function tlsPair (t: Test): Promise<{ client: tls.TLSSocket, server: tls.TLSSocket }> {
  const { key, cert } = await generateCertificate({ hostname: '127.0.0.1' })
  const server = tls.createServer({ key, cert, minVersion: 'TLSv1.3' })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'secureConnection')
  const client = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, rejectUnauthorized: false, minVersion: 'TLSv1.3' })
  await once(client, 'secureConnect')
  const [serverSide] = await accepted as [tls.TLSSocket]
  t.teardown(() => {
    client.destroy()
    serverSide.destroy()
    server.close()
  })
  return { client, server: serverSide }
}

t.test('frames written in many batches while the reader stalls arrive intact and in order', { timeout: 30_000 }, async t => {
  const { client, server } = await tlsPair(t)
  const received: Frame[] = []
  const sender = new FramedSocket(client, DEFAULT_MAX_FRAME_BYTES, handler({}), systemClock)
  // The reader stops reading at once, so writes pile up in the sender's socket
  // buffer while later batches are written: any batch memory reused before
  // its write was done would show as changed bytes.
  server.pause()
  const sizes = [0, 1, 63, 1024, 4000, 16 * 1024, 70_000]
  const total = 3000
  let sent = 0
  while (sent < total) {
    // A batch per tick, of a few frames of mixed sizes.
    for (let i = 0; i < 5 && sent < total; i++, sent++) sender.send(messageFrame(sent + 1, sizes[sent % sizes.length] as number))
    await new Promise(resolve => setImmediate(resolve))
    if (sent === 1500) t.notOk(sender.writable, 'the sender is backed up while the reader is paused')
  }
  const done = new Promise<void>(resolve => {
    new FramedSocket(server, DEFAULT_MAX_FRAME_BYTES, handler({
      frame: frame => {
        received.push(frame)
        if (received.length === total) resolve()
      },
      // Overwritten bytes may well break the framing itself: that ends the wait too.
      unreadable: () => resolve(),
      closed: () => resolve()
    }), systemClock)
  })
  server.resume()
  await done
  let intact = 0
  for (let n = 1; n <= total; n++) {
    const expected = messageFrame(n, sizes[(n - 1) % sizes.length] as number)
    const got = received[n - 1]
    if (got?.kind?.$case === 'message' && expected.kind?.$case === 'message' &&
      got.kind.value.seq === n && Buffer.compare(got.kind.value.payload, expected.kind.value.payload) === 0 &&
      Buffer.compare(got.kind.value.id, expected.kind.value.id) === 0 && got.kind.value.hops === expected.kind.value.hops) intact++
  }
  t.equal(intact, total, 'every frame arrived with the bytes it was sent with, in order')
})

t.test('frames batched in this turn count against the write buffer limit before they are flushed', async t => {
  const { client } = await tlsPair(t)
  const sender = new FramedSocket(client, DEFAULT_MAX_FRAME_BYTES, handler({}), systemClock)
  t.ok(sender.writable)
  let queued = 0
  while (sender.writable && queued < 100) sender.send(messageFrame(++queued, 64 * 1024))
  t.equal(client.writableLength, 0, 'nothing has reached the socket yet')
  t.equal(queued, Math.ceil(WRITE_BUFFER_LIMIT / (64 * 1024 + 40)), 'the batch alone made the socket unwritable at the limit')
})
