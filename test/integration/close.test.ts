import t from 'tap'
import { freePort, startTower, waitFor } from '../helpers/towers.js'

// Long enough that waiting it out cannot pass for returning early, even on a loaded machine.
const DRAIN_TIMEOUT = 60_000
const EARLY = DRAIN_TIMEOUT / 2

async function timed<T> (run: () => Promise<T>): Promise<{ result: T, ms: number }> {
  const started = Date.now()
  const result = await run()
  return { result, ms: Date.now() - started }
}

t.test('a tower with no peer returns from close() at once and reports what it still held', async t => {
  const tower = await startTower({ drainTimeout: DRAIN_TIMEOUT })
  tower.enqueue('nowhere to go')
  const { result, ms } = await timed(() => tower.close())
  t.same(result, { left: 1 })
  t.ok(ms < EARLY, `closed in ${ms} ms, not at drainTimeout`)
})

t.test('a tower whose only peer does not answer returns from close() once the dial has failed', async t => {
  const tower = await startTower({ drainTimeout: DRAIN_TIMEOUT })
  tower.expand('127.0.0.1', await freePort('127.0.0.1'))
  tower.enqueue('nobody listening there')
  const { result, ms } = await timed(() => tower.close())
  t.same(result, { left: 1 })
  t.ok(ms < EARLY, `closed in ${ms} ms, not at drainTimeout`)
})

t.test('two towers closed together both return early, and between them still hold every message', async t => {
  const one = await startTower({ drainTimeout: DRAIN_TIMEOUT })
  const two = await startTower({ drainTimeout: DRAIN_TIMEOUT })
  await one.announce('127.0.0.1', two.port)
  await waitFor(() => two.survey().some(peer => peer.port === one.port), 5000, 'two to know one')
  one.pause()
  two.pause()
  for (let i = 0; i < 20; i++) (i % 2 === 0 ? one : two).enqueue(`message ${i}`)
  const { result: [left1, left2], ms } = await timed(() => Promise.all([one.close(), two.close()]))
  t.equal(left1.left + left2.left, 20, 'every message is counted as left by exactly one of them')
  t.ok(ms < EARLY, `closed in ${ms} ms, not at drainTimeout`)
})

t.test('a tower closing beside a running peer still hands everything on', async t => {
  const leaving = await startTower({ drainTimeout: DRAIN_TIMEOUT })
  const staying = await startTower()
  t.teardown(() => staying.close({ drain: false }))
  leaving.pause()
  leaving.expand('127.0.0.1', staying.port)
  for (let i = 0; i < 10; i++) leaving.enqueue(`message ${i}`)
  t.same(await leaving.close(), { left: 0 })
  await waitFor(() => staying.stats().received === 10, 5000, 'the staying tower to hold all ten')
  t.pass('all ten reached the staying tower')
})
