import t from 'tap'
import type { Tower, TowerOptions } from '../../src/index.js'
import { startTower, waitFor } from '../helpers/towers.js'

const TOWERS = 12

/** A ring of real towers in one /24 (127.0.60.x), until every tower knows every other. */
async function ringInOneSubnet (options: Partial<TowerOptions>): Promise<{ refused: number, ms: number }> {
  const towers: Tower[] = []
  try {
    for (let i = 0; i < TOWERS; i++) towers.push(await startTower({ hostname: `127.0.60.${10 + i}`, sendrate: 20, ...options }))
    towers.forEach((tower, i) => {
      const next = towers[(i + 1) % TOWERS] as Tower
      tower.expand(next.hostname, next.port)
    })
    const started = Date.now()
    for (let i = 0; i < 10 * TOWERS; i++) (towers[i % TOWERS] as Tower).enqueue(`message ${i}`)
    await waitFor(() => towers.every(tower => tower.survey().length >= TOWERS - 1), 30_000, 'full discovery')
    return { refused: towers.reduce((sum, tower) => sum + tower.stats().dialsRefused, 0), ms: Date.now() - started }
  } finally {
    await Promise.all(towers.map(tower => tower.close({ drain: false })))
  }
}

t.test('towers sharing a /24 are one source to each other unless localSourcesByAddress counts each address apart', async t => {
  const grouped = await ringInOneSubnet({})
  const byAddress = await ringInOneSubnet({ localSourcesByAddress: true })
  t.ok(grouped.refused > 0, `grouped by /24, the per-source budget held dials back (${grouped.refused} refusals; full discovery in ${grouped.ms} ms)`)
  t.ok(byAddress.refused * 10 < grouped.refused, `by address, next to none (${byAddress.refused} refusals; full discovery in ${byAddress.ms} ms)`)
})

t.test('localSourcesByAddress must be a boolean', async t => {
  await t.rejects(startTower({ hostname: '127.0.60.1', localSourcesByAddress: 'yes' as unknown as boolean }), { message: /localSourcesByAddress/ })
})
