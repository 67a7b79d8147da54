/** --help, --version, and `clacks cert`. */
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkKeyPair } from '../../src/index.js'
import { assertBuilt, CLI, run, tempDir } from './helpers/spawn.js'

assertBuilt()

t.test('the binary is an executable script', async t => {
  t.ok(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n'), 'shebang on the first line')
})

t.test('--version', async t => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  const result = await run(t, ['--version'])
  t.same({ code: result.code, stdout: result.stdout }, { code: 0, stdout: version + '\n' })
})

t.test('--help on every command', async t => {
  const top = await run(t, ['--help'])
  t.equal(top.code, 0)
  for (const command of ['demo', 'start', 'status', 'cert']) t.match(top.stdout, new RegExp(`\\n  ${command} `), `lists ${command}`)
  for (const [command, flag] of [['demo', '--towers'], ['start', '--announce'], ['status', '--admin'], ['cert', '--out']]) {
    const help = await run(t, [command as string, '--help'])
    t.equal(help.code, 0, `${command} --help exits 0`)
    t.match(help.stdout, new RegExp(`^Usage: clacks ${command} \\[options\\]`), `${command} usage`)
    t.match(help.stdout, new RegExp(`${flag}.*\\n[^]*--config <file>`), `${command} documents ${flag} and --config`)
  }
})

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
