/** `clacks demo` off a terminal: plain lines, and a summary that checks conservation. */
import t from 'tap'
import { assertBuilt, clacks, run } from './helpers/spawn.js'

assertBuilt()

t.test('demo --duration 3 ends by itself, and conservation held', async t => {
  const demo = await run(t, ['demo', '--duration', '3'], 60_000)
  t.equal(demo.code, 0, 'exit 0')
  t.equal(demo.stderr, '', 'nothing on stderr')
  t.notMatch(demo.stdout, /\x1b\[/, 'no terminal codes when stdout is not a terminal')
  t.match(demo.stdout, /^clacks demo: 5 towers on loopback, 20 messages, 50 msg\/s per tower, for 3 s/)
  t.match(demo.stdout, /t1 127\.0\.0\.2:\d+\n +t2 127\.0\.0\.3:\d+/, 'towers on separate loopback hosts')
  t.match(demo.stdout, /t3 joins, announcing itself to t2 only/)
  t.match(demo.stdout, /t3 discovered t1/, 'discovery spreads beyond the first links')
  t.match(demo.stdout, /\[ +\d+\.\ds\] peers known \d+\/20 · queued \d+ · in flight \d+ · [\d.]+ hand-offs\/s · queues t1:\d+/, 'periodic lines')
  t.match(demo.stdout, /injected +20 messages; held 20 distinct, 0 lost, 0 duplicated/)
  t.match(demo.stdout, /conservation held: none lost, none duplicated\n$/)
})

t.test('Ctrl-C ends the demo gracefully, with the same check', async t => {
  const demo = clacks(t, ['demo', '--towers', '3', '--messages', '7', '--sendrate', '0'])
  await demo.waitFor('stdout', /peers known/, 30_000)
  demo.child.kill('SIGINT')
  t.same(await demo.exit(30_000), { code: 0, signal: null })
  t.match(demo.stdout, /injected +7 messages; held 7 distinct, 0 lost, 0 duplicated/)
  t.match(demo.stdout, /conservation held/)
})
