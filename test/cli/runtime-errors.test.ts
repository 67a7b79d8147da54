/**
 * Well-formed commands the world says no to (a taken port, unreadable or
 * mismatched key and certificate, an unreachable peer): one line on stderr
 * saying what and how to fix it, exit code 1, never a stack trace.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateCertificate } from '../../src/index.js'
import { closedPort, expectError, takenPort } from './helpers/expect.js'
import { assertBuilt, tempDir } from './helpers/spawn.js'

assertBuilt()

t.test('a taken port is a runtime error (exit 1) that says how to fix it', async t => {
  const port = await takenPort(t)
  const state = tempDir(t)
  await expectError(t, ['start', '--hostname', '127.0.0.1', '--port', String(port), '--state-dir', state], 1,
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use; choose another with --port, or --port 0`))
  await expectError(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', state, '--admin', `127.0.0.1:${port}`], 1,
    new RegExp(`cannot serve the admin endpoint on 127\\.0\\.0\\.1:${port}: address already in use`))
})

t.test('unreadable or mismatched key and certificate are runtime errors', async t => {
  const dir = tempDir(t)
  const one = await generateCertificate({ hostname: '127.0.0.1' })
  const two = await generateCertificate({ hostname: '127.0.0.1' })
  writeFileSync(join(dir, 'one.key'), one.key)
  writeFileSync(join(dir, 'two.crt'), two.cert)
  writeFileSync(join(dir, 'garbage.key'), 'not a key\n')
  const start = ['start', '--hostname', '127.0.0.1', '--port', '0']
  await expectError(t, [...start, '--key', join(dir, 'missing.key'), '--cert', join(dir, 'two.crt')], 1,
    /cannot read the key file .*missing\.key: no such file or directory/)
  await expectError(t, [...start, '--key', join(dir, 'one.key'), '--cert', join(dir, 'two.crt')], 1,
    /one\.key and .*two\.crt: the private key does not match the certificate.*leave out --key and --cert/)
  await expectError(t, [...start, '--key', join(dir, 'garbage.key'), '--cert', join(dir, 'two.crt')], 1,
    /garbage\.key and .*two\.crt: the private key is not a readable PEM private key/)
  // A state folder whose pair was tampered with is refused, not silently replaced.
  writeFileSync(join(dir, 'key.pem'), one.key)
  writeFileSync(join(dir, 'cert.pem'), two.cert)
  await expectError(t, [...start, '--state-dir', dir], 1, /does not match the certificate.*remove both files/)
})

t.test('an unreachable --announce target is a runtime error', async t => {
  const port = await closedPort()
  const state = tempDir(t)
  await expectError(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', state, '--announce', `127.0.0.1:${port}`], 1,
    new RegExp(`cannot announce to 127\\.0\\.0\\.1:${port}: connection refused; check that a tower runs there.*--expand`))
})

t.test('status of an endpoint that is not there is a runtime error', async t => {
  const port = await closedPort()
  await expectError(t, ['status', '--admin', `127.0.0.1:${port}`], 1, /cannot reach http:\/\/127\.0\.0\.1:\d+\/status: connection refused/)
})

t.test('a folder that cannot be made names the flag that chose it, and the reason in words', async t => {
  const dir = tempDir(t)
  const file = join(dir, 'afile')
  writeFileSync(file, 'not a folder\n')
  await expectError(t, ['cert', '--out', join(file, 'x')], 1,
    /cannot write the key and certificate into .*afile\/x: a part of the path is not a directory \(choose a writable folder with --out\)/)
  await expectError(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', file], 1,
    /cannot write the key and certificate into .*afile: a file of that name is there, not a directory \(choose a writable folder with --state-dir\)/)
})
