/** `clacks start --trust`: tofu keeps its pins in the state directory; ca needs --ca. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { assertBuilt, clacks, run, tempDir } from './helpers/spawn.js'

assertBuilt()

const START = ['start', '--hostname', '127.0.0.1', '--port', '0', '--status-interval', '0']

t.test('--trust tofu pins the towers it dials in STATE_DIR/pins.json', async t => {
  const dir = tempDir(t)
  const b = clacks(t, [...START, '--state-dir', join(dir, 'b')])
  const [, portB] = await b.waitFor('stderr', /tower 127\.0\.0\.1:(\d+) is up/) as unknown as [string, string]
  const a = clacks(t, [...START, '--state-dir', join(dir, 'a'), '--trust', 'tofu', '--announce', `127.0.0.1:${portB}`])
  await a.waitFor('stderr', /type lines to enqueue them/)
  a.child.kill('SIGTERM')
  t.equal((await a.exit()).code, 0)
  const pins = join(dir, 'a', 'pins.json')
  t.ok(existsSync(pins), 'the pin file was written')
  const saved = JSON.parse(readFileSync(pins, 'utf8')) as { pins: Record<string, string> }
  t.match(saved.pins[`127.0.0.1:${portB}`], /^[0-9a-f]{64}$/, 'the announced tower is pinned')
  b.child.kill('SIGTERM')
  await b.exit()
})

t.test('--trust ca without --ca is a usage error', async t => {
  const result = await run(t, [...START, '--state-dir', join(tempDir(t), 'c'), '--trust', 'ca'])
  t.equal(result.code, 2)
  t.match(result.stderr, /--trust ca needs --ca FILE/)
})
