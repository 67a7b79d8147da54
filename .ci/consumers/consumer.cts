// Type-checked only: the package's types as a CommonJS app sees them.
import { createTower, type TowerStats } from 'clacks'
import Clacks = require('clacks/compat')

export async function stats (): Promise<TowerStats> {
  const tower = await createTower().init({ port: 0 })
  return tower.stats()
}
export const host = new Clacks.Clacks('key', 'cert', { port: '8001' })
