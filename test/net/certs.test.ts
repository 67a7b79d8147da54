import t from 'tap'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { checkKeyPair, generateCertificate } from '../../src/net/certs.js'
import { ClacksError } from '../../src/errors.js'

const ALPN = 'clacks/1'
const HOUR_MS = 60 * 60 * 1000
const DAY_MS = 24 * HOUR_MS

/** What a TLS 1.3 client on 127.0.0.1 sees of a server built from `pair`. */
async function handshake (
  pair: { key: string, cert: string },
  client: Partial<tls.ConnectionOptions> = { rejectUnauthorized: false }
): Promise<{ protocol: string | null, alpn: string | false | null, peer: tls.PeerCertificate, authorized: boolean }> {
  const server = tls.createServer({ ...pair, minVersion: 'TLSv1.3', ALPNProtocols: [ALPN] }, socket => socket.end())
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const { port } = server.address() as AddressInfo
    const socket = tls.connect({ host: '127.0.0.1', port, minVersion: 'TLSv1.3', ALPNProtocols: [ALPN], ...client })
    try {
      await once(socket, 'secureConnect')
      return { protocol: socket.getProtocol(), alpn: socket.alpnProtocol, peer: socket.getPeerCertificate(), authorized: socket.authorized }
    } finally {
      socket.destroy()
    }
  } finally {
    server.close()
  }
}

function isCertificateError (err: unknown): boolean {
  return err instanceof ClacksError && err.code === 'CLACKS_ERR_CERTIFICATE'
}

t.test('a generated pair serves TLS 1.3 with ALPN clacks/1 on 127.0.0.1', async t => {
  const pair = await generateCertificate()
  const seen = await handshake(pair)
  t.equal(seen.protocol, 'TLSv1.3')
  t.equal(seen.alpn, ALPN)
  t.equal(seen.peer.subject.CN, 'localhost')
  t.equal(seen.peer.subjectaltname, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
  t.equal(seen.authorized, false, 'self-signed: not authorized without a CA, yet connected')
})

t.test('a dialer that pins the certificate as its CA verifies it, names included', async t => {
  const pair = await generateCertificate()
  // 127.0.0.1 is in the SubjectAltName, so the default identity check passes.
  const pinned = await handshake(pair, { ca: pair.cert, rejectUnauthorized: true })
  t.equal(pinned.authorized, true)

  const other = await generateCertificate()
  await t.rejects(handshake(pair, { ca: other.cert, rejectUnauthorized: true }), /self[- ]signed/i,
    'another certificate as CA does not verify it')
})

t.test('the certificate: ECDSA P-256, SHA-256, self-signed, names, validity, serial', async t => {
  const before = Date.now()
  const { key, cert } = await generateCertificate({ hostname: 'tower.example', days: 30 })
  const after = Date.now()

  t.match(key, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/, 'PKCS#8 PEM')
  t.match(cert, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/)
  const privateKey = createPrivateKey(key)
  t.equal(privateKey.asymmetricKeyType, 'ec')
  t.same(privateKey.asymmetricKeyDetails, { namedCurve: 'prime256v1' })

  const x = new X509Certificate(cert)
  t.equal(x.subject, 'CN=tower.example')
  t.equal(x.issuer, 'CN=tower.example')
  t.equal(x.subjectAltName, 'DNS:tower.example')
  t.equal(x.ca, false)
  t.ok(x.verify(x.publicKey), 'signed by its own key')
  t.ok(x.checkPrivateKey(privateKey))
  // ecdsa-with-SHA256 is OID 1.2.840.10045.4.3.2: 06 08 2a 86 48 ce 3d 04 03 02
  t.ok(x.raw.includes(Buffer.from('06082a8648ce3d040302', 'hex')), 'signature algorithm ecdsa-with-SHA256')

  // X.509 times have one-second resolution.
  const notBefore = Date.parse(x.validFrom)
  const notAfter = Date.parse(x.validTo)
  t.ok(notBefore >= before - HOUR_MS - 1000 && notBefore <= after - HOUR_MS, 'valid from one hour ago')
  t.ok(notAfter >= before + 30 * DAY_MS - 1000 && notAfter <= after + 30 * DAY_MS, 'valid for `days`')

  const defaults = new X509Certificate((await generateCertificate()).cert)
  const lifetime = Date.parse(defaults.validTo) - Date.parse(defaults.validFrom)
  t.ok(Math.abs(lifetime - (365 * DAY_MS + HOUR_MS)) <= 2000, 'default 365 days')

  t.match(x.serialNumber, /^[0-7][0-9A-F]{31}$/, '128-bit positive serial')
  t.not(x.serialNumber, defaults.serialNumber, 'random serial')
})

t.test('an IP hostname goes in the SubjectAltName as an IP address', async t => {
  const v4 = new X509Certificate((await generateCertificate({ hostname: '10.1.2.3' })).cert)
  t.equal(v4.subject, 'CN=10.1.2.3')
  t.equal(v4.subjectAltName, 'IP Address:10.1.2.3')
  const v6 = new X509Certificate((await generateCertificate({ hostname: 'fd00::7' })).cert)
  t.equal(v6.subjectAltName, 'IP Address:FD00:0:0:0:0:0:0:7')
})

t.test('invalid options are refused with a typed error', async t => {
  for (const hostname of ['', 'a b', 'tower\n', 'x'.repeat(254), '[::1]', 'CN=evil,O=x']) {
    await t.rejects(generateCertificate({ hostname }), { code: 'CLACKS_ERR_INVALID_OPTION' }, JSON.stringify(hostname.slice(0, 20)))
  }
  for (const days of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    await t.rejects(generateCertificate({ days }), { code: 'CLACKS_ERR_INVALID_OPTION' }, `days ${days}`)
  }
})

t.test('checkKeyPair', async t => {
  const a = await generateCertificate()
  const b = await generateCertificate()

  t.doesNotThrow(() => checkKeyPair(a.key, a.cert), 'a matching pair')
  t.throws(() => checkKeyPair(a.key, b.cert), { code: 'CLACKS_ERR_CERTIFICATE', message: /does not match/ }, 'a mismatched pair')
  t.throws(() => checkKeyPair('garbage', a.cert), { code: 'CLACKS_ERR_CERTIFICATE', message: /private key/ }, 'a garbage key')
  t.throws(() => checkKeyPair(a.key, 'garbage'), { code: 'CLACKS_ERR_CERTIFICATE', message: /certificate/ }, 'a garbage certificate')
  t.throws(() => checkKeyPair(a.cert, a.key), { code: 'CLACKS_ERR_CERTIFICATE' }, 'key and certificate swapped')
  t.throws(() => checkKeyPair('', ''), { code: 'CLACKS_ERR_CERTIFICATE' }, 'empty strings')

  try {
    checkKeyPair(a.key, b.cert)
    t.fail('should throw')
  } catch (err) {
    t.ok(isCertificateError(err), 'a ClacksError with code CLACKS_ERR_CERTIFICATE')
  }
  try {
    checkKeyPair('garbage', a.cert)
    t.fail('should throw')
  } catch (err) {
    t.ok((err as Error).cause !== undefined, 'keeps the parser error as cause')
  }
})

t.test('generation time (reported, not asserted)', async t => {
  const runs = 50
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await generateCertificate()
    times.push(performance.now() - start)
  }
  times.sort((x, y) => x - y)
  const at = (q: number): string => (times[Math.min(runs - 1, Math.floor(q * runs))] as number).toFixed(2)
  t.comment(`generateCertificate over ${runs} runs: min ${at(0)} ms, median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`)
  t.pass()
})
