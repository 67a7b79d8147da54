/** `clacks cert`. */
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkKeyPair } from '../../src/index.js'
import { assertBuilt, run, tempDir } from './helpers/spawn.js'

assertBuilt()

t.test('cert writes an ECDSA P-256 key and a self-signed certificate', async t => {
  const out = join(tempDir(t), 'tower')
  const made = await run(t, ['cert', '--out', out, '--hostname', 'tower.example'])
  t.equal(made.code, 0)
  t.match(made.stdout, /wrote .*key\.pem and .*cert\.pem\n +CN=tower\.example, ECDSA P-256, valid until .*\n +SHA-256 fingerprint [0-9A-F:]{95}\n/)
  const key = readFileSync(join(out, 'key.pem'), 'utf8')
  const cert = readFileSync(join(out, 'cert.pem'), 'utf8')
  t.doesNotThrow(() => checkKeyPair(key, cert), 'the key is the certificate\'s')
  const x509 = new X509Certificate(cert)
  t.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1')
  t.equal(x509.subject, 'CN=tower.example')
  t.match(x509.subjectAltName, /DNS:tower\.example/)
  t.ok(x509.verify(x509.publicKey), 'self-signed')
  t.equal(statSync(join(out, 'key.pem')).mode & 0o777, 0o600, 'the key is readable by its owner only')

  const again = await run(t, ['cert', '--out', out])
  t.equal(again.code, 1, 'existing files are not overwritten')
  t.match(again.stderr, /already exist: use --force to overwrite/)
  t.equal(readFileSync(join(out, 'cert.pem'), 'utf8'), cert)
  const forced = await run(t, ['cert', '--out', out, '--force'])
  t.equal(forced.code, 0)
  t.not(readFileSync(join(out, 'cert.pem'), 'utf8'), cert, '--force makes a new pair')
})
