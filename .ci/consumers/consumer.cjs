// A CommonJS app using the installed package: every entry point by require().
const assert = require('node:assert')
const { createTower, ClacksError } = require('clacks')
const Clacks = require('clacks/compat')
const { Simulation } = require('clacks/sim')

async function main () {
  const tower = await createTower().init({ hostname: '127.0.0.1', port: 0 })
  assert.match(tower.enqueue('from CommonJS'), /^[0-9a-f]{32}$/)
  assert.deepStrictEqual(await tower.close(), { left: 1 })
  assert.throws(() => tower.enqueue('closed'), ClacksError)

  const host = new Clacks(undefined, undefined, { hostname: '127.0.0.1', port: '0' })
  host.enqueue('deferred until the start')
  await host.ready
  assert.deepStrictEqual(host.peek(), ['deferred until the start'])
  await host.close({ drain: false })
  assert.equal(typeof Simulation, 'function')
  console.log('CommonJS consumer: ok')
}
main().catch(error => { console.error(error); process.exit(1) })
