import t, { type Test } from 'tap'
import { createServer } from 'node:tls'
import { TlsTransport } from '../../src/net/tls-transport.js'
import { startTower, testCertificate, waitFor } from '../helpers/towers.js'

/** A TLS listener speaking clacks/1 that notes where each connection came from. */
async function recordingListener (t: Test, host: string): Promise<{ port: number, from: string[] }> {
  const { key, cert } = await testCertificate()
  const from: string[] = []
  const server = createServer({ key, cert, ALPNProtocols: ['clacks/1'] }, socket => {
    from.push(socket.remoteAddress ?? '')
    socket.destroy()
  })
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  t.teardown(() => { server.close() })
  return { port: (server.address() as { port: number }).port, from }
}

t.test('a transport given its loopback address dials other loopback addresses from it; without one, from 127.0.0.1', async t => {
  const { key, cert } = await testCertificate()
  const listener = await recordingListener(t, '127.0.42.1')
  const settings = { key, cert, ca: undefined, handshakeTimeout: 2000, mutual: false }
  for (const transport of [new TlsTransport({ ...settings, loopbackSource: '127.0.41.1' }), new TlsTransport(settings)]) {
    const stream = transport.dial({ hostname: '127.0.42.1', port: listener.port }, () => {})
    stream.on('error', () => {})
  }
  await waitFor(() => listener.from.length === 2, 5000, 'both dials')
  t.same([...listener.from].sort(), ['127.0.0.1', '127.0.41.1'])
})

t.test('a tower on a loopback address dials from it, so towers on one machine look to each other like separate hosts', async t => {
  const listener = await recordingListener(t, '127.0.44.1')
  const tower = await startTower({ hostname: '127.0.43.1' })
  t.teardown(() => tower.close({ drain: false }))
  tower.expand('127.0.44.1', listener.port)
  tower.enqueue('to make it dial')
  await waitFor(() => listener.from.length > 0, 5000, 'the tower to dial')
  t.equal(listener.from[0], '127.0.43.1')
})
