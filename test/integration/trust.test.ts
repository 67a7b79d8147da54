/**
 * Trust modes: under 'tofu' a changed key at a pinned address is refused and
 * reported, until unpinned, and pins survive a restart with a pin file; under
 * 'ca' a stranger is refused in the TLS handshake, before any frame.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Tower, type TowerOptions, type UntrustedTower } from '../../src/index.js'
import { generateCertificate } from '../../src/net/certs.js'
import { RawPeer } from '../helpers/raw-peer.js'
import { waitFor } from '../helpers/towers.js'

const FAST: Partial<TowerOptions> = { sendrate: Infinity, backoffInitial: 50, backoffMax: 200 }

function scratch (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'clacks-trust-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function tower (t: Test, hostname: string, options: Partial<TowerOptions>, pair?: { key: string, cert: string }): Promise<Tower> {
  const { key, cert } = pair ?? await generateCertificate({ hostname })
  const started = await new Tower().init(key, cert, { hostname, port: 0, ...FAST, ...options })
  t.teardown(async () => { try { await started.close({ drain: false }) } catch { /* closed by the test */ } })
  return started
}

t.test('tofu: a changed key at a pinned address is refused and reported, until unpinned; pins survive a restart', async t => {
  const pinFile = join(scratch(t), 'pins.json')
  const sender = await tower(t, '127.0.0.61', { trust: 'tofu', pinFile })
  const first = await tower(t, '127.0.0.62', {})
  first.pause()
  sender.expand('127.0.0.62', first.port)
  sender.enqueue('to the first key')
  await waitFor(() => first.stats().received === 1, 5000, 'the first hand-off')
  const port = first.port
  await first.close({ drain: false })

  // Another machine (another key) at the same address.
  const impostor = await tower(t, '127.0.0.62', { port })
  impostor.pause()
  const untrusted: UntrustedTower[] = []
  sender.on('untrusted', tower => untrusted.push(tower))
  const id = sender.enqueue('not for a changed key')
  await waitFor(() => untrusted.length > 0, 5000, 'the changed key to be reported')
  t.match(untrusted[0], { hostname: '127.0.0.62', port, pinned: /^[0-9a-f]{64}$/, presented: /^[0-9a-f]{64}$/ })
  t.not(untrusted[0]?.pinned, untrusted[0]?.presented)
  t.ok(sender.stats().untrustedRefused >= 1, 'counted')
  t.equal(impostor.stats().received, 0, 'nothing reached the changed key')
  t.ok(sender.peek().some(message => message.id === id), 'the message stayed with the sender')

  // A restart keeps the pin.
  await sender.close({ drain: false })
  const saved = JSON.parse(readFileSync(pinFile, 'utf8')) as { pins: Record<string, string> }
  t.equal(saved.pins[`127.0.0.62:${port}`], untrusted[0]?.pinned, 'the pin is in the file')
  const restarted = await tower(t, '127.0.0.61', { trust: 'tofu', pinFile })
  let refusedAgain = false
  restarted.on('untrusted', () => { refusedAgain = true })
  restarted.expand('127.0.0.62', port)
  restarted.enqueue('after the restart')
  await waitFor(() => refusedAgain, 5000, 'the restarted tower to refuse the changed key')
  t.equal(impostor.stats().received, 0)

  t.equal(restarted.unpin('127.0.0.62', port), true, 'unpinned')
  await waitFor(() => impostor.stats().received === 1, 5000, 'the new key to be accepted once unpinned')
  await restarted.close({ drain: false })
  const repinned = JSON.parse(readFileSync(pinFile, 'utf8')) as { pins: Record<string, string> }
  t.not(repinned.pins[`127.0.0.62:${port}`], untrusted[0]?.pinned, 'the new key is pinned now')
})

t.test('tofu: a pin file that is not one fails the start with a typed error', async t => {
  const pinFile = join(scratch(t), 'pins.json')
  writeFileSync(pinFile, 'not json')
  const { key, cert } = await generateCertificate({ hostname: '127.0.0.61' })
  await t.rejects(new Tower().init(key, cert, { hostname: '127.0.0.61', port: 0, trust: 'tofu', pinFile }), { code: 'CLACKS_ERR_CERTIFICATE' })
})

/** A CA and one certificate it signed for the test's addresses, made with openssl. */
function closedNetwork (t: Test): { ca: string, key: string, cert: string } {
  const dir = scratch(t)
  const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }) }
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=clacks test CA', '-days', '1')
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tower.key', '-out', 'tower.csr', '-subj', '/CN=127.0.0.71')
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.71,IP:127.0.0.72\nextendedKeyUsage=serverAuth,clientAuth\n')
  run('x509', '-req', '-in', 'tower.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tower.pem', '-days', '1', '-extfile', 'ext.cnf')
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  return { ca: read('ca.pem'), key: read('tower.key'), cert: read('tower.pem') }
}

t.test('ca: members exchange messages; a stranger is refused in the TLS handshake', async t => {
  let network: { ca: string, key: string, cert: string }
  try {
    network = closedNetwork(t)
  } catch (error) {
    t.comment(`skipped: openssl is needed to make a CA (${(error as Error).message})`)
    return
  }
  const { ca, key, cert } = network
  const a = await tower(t, '127.0.0.71', { trust: 'ca', ca }, { key, cert })
  const b = await tower(t, '127.0.0.72', { trust: 'ca', ca }, { key, cert })
  b.pause()
  a.expand('127.0.0.72', b.port)
  a.enqueue('inside the network')
  await waitFor(() => b.stats().received === 1, 5000, 'a member to reach a member')

  // A tower with its own self-signed certificate, and a bare TLS client with none.
  const stranger = await tower(t, '127.0.0.73', {})
  stranger.expand('127.0.0.72', b.port)
  stranger.enqueue('from outside')
  const raw = await RawPeer.connect(b.port, '127.0.0.72').catch(() => undefined)
  raw?.hello()
  await waitFor(() => b.stats().tlsFailures >= 2, 5000, 'both strangers to fail the TLS handshake')
  if (raw !== undefined) await raw.waitClosed()
  t.equal(raw?.frames.length ?? 0, 0, 'the bare client got no frame')
  t.equal(b.stats().received, 1, 'nothing from a stranger was taken')
  t.equal(b.stats().protocolErrors, 0, 'no frame of theirs was read')
  t.notOk(b.survey().some(peer => peer.hostname === '127.0.0.73'), 'the stranger is not in the table')
})

t.test('trust "ca" needs a CA', async t => {
  const { key, cert } = await generateCertificate({ hostname: '127.0.0.74' })
  await t.rejects(new Tower().init(key, cert, { hostname: '127.0.0.74', port: 0, trust: 'ca' }), { code: 'CLACKS_ERR_INVALID_OPTION' })
  await t.rejects(new Tower().init(key, cert, { hostname: '127.0.0.74', port: 0, trust: 'closed' as 'ca' }), { code: 'CLACKS_ERR_INVALID_OPTION' })
})
