/** Bad flags, values and config files: one line on stderr, exit code 2, nothing started. */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expectError } from './helpers/expect.js'
import { assertBuilt, tempDir } from './helpers/spawn.js'

assertBuilt()

t.test('bad flags are usage errors (exit 2)', async t => {
  const state = tempDir(t)
  const cases: Array<[string[], RegExp]> = [
    [['start', '--frobnicate'], /unknown option '--frobnicate'.*clacks start --help/],
    [['start', '--port', 'abc'], /--port.*'abc' is invalid\. must be an integer from 0 to 65535/],
    [['start', '--sendrate', '-1'], /--sendrate.*must be a number >= 0 \(0 means unlimited\)/],
    [['start', '--announce', 'nohost'], /--announce.*must be HOST:PORT/],
    [['start', '--key', join(state, 'key.pem')], /--key and --cert go together/],
    [['start', '--state-dir', state, '--admin', '10.1.2.3:9090'], /not a loopback address.*--admin-public/],
    [['demo', '--towers', '1'], /--towers.*from 2 to 250/],
    [['status'], /--admin <host:port> is required/],
    [['cert'], /--out <dir> is required/],
    [['frobnicate'], /unknown command 'frobnicate'/]
  ]
  for (const [args, message] of cases) await t.test(args.join(' '), t => expectError(t, args, 2, message))
})

t.test('a bad config file is a usage error', async t => {
  const dir = tempDir(t)
  const file = join(dir, 'tower.json')
  writeFileSync(file, '{"port": 0, "colour": "red"}')
  await expectError(t, ['start', '--config', file], 2, /config file .*tower\.json: "colour" is not a flag of this command/)
  writeFileSync(file, '{"port": 0,')
  await expectError(t, ['start', '--config', file], 2, /is not valid JSON/)
})

