import t from 'tap'
import { startTower } from '../helpers/towers.js'

t.test('sendrate 0 is unlimited at init, as in the CLI and setRate', async t => {
  const tower = await startTower({ sendrate: 0, byterate: 0 })
  t.teardown(() => tower.close({ drain: false }))
  t.equal(tower.options.sendrate, Infinity)
  t.equal(tower.options.byterate, Infinity)
})

t.test('tower.options shows the rates setRate put in force', async t => {
  const tower = await startTower({ sendrate: 10 })
  t.teardown(() => tower.close({ drain: false }))
  tower.setRate({ sendrate: 250, sendburst: 5 })
  t.equal(tower.options.sendrate, 250)
  t.equal(tower.options.sendburst, 5)
  t.equal(tower.options.byterate, Infinity, 'a rate left out keeps its value')
  tower.setRate({ sendrate: 0 })
  t.equal(tower.options.sendrate, Infinity, '0 is unlimited')
  t.throws(() => tower.setRate({ sendrate: -1 }), { code: 'CLACKS_ERR_INVALID_OPTION' })
  t.equal(tower.options.sendrate, Infinity, 'a refused change changes nothing')
})
