import t from 'tap'
import type { Tower } from '../../src/index.js'
import { towerOn, waitFor } from '../helpers/towers.js'

const UNREACHABLE = 999

t.test('two towers that each know 999 unreachable addresses besides each other find each other within seconds and move messages', async t => {
  const towers = [await towerOn(t, '127.0.0.1'), await towerOn(t, '127.0.0.1')] as [Tower, Tower]
  for (const [i, tower] of towers.entries()) {
    const other = towers[1 - i] as Tower
    tower.expand(other.hostname, other.port)
    // Nothing listens on port 9 there: each dial is refused, and the peer goes lost.
    for (let k = 0; k < UNREACHABLE; k++) tower.expand(`127.1.${k >> 8}.${(k & 255) + 1}`, 9)
    for (let m = 0; m < 100; m++) tower.enqueue(`message ${m}`)
  }
  const started = Date.now()
  // Before picks passed over new peers for a bounded time, each tower tried ~16 a second (one pass per
  // maintenance tick) and two towers moved nothing for a minute.
  await waitFor(() => towers.every(tower => tower.stats().acked >= 100 && tower.stats().peers.new === 0), 30_000, 'both towers to try every address and hand messages on')
  t.comment(`every address tried and messages moving after ${Date.now() - started} ms`)
  for (const tower of towers) t.equal(tower.stats().peers.lost, UNREACHABLE, 'the unreachable addresses are lost, the other tower is not')
})
