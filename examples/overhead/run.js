// The overhead on loopback: three towers send names; a fourth joins late and
// still meets every one, because the names never stop moving.
import { Tower } from 'clacks'
import { listen, remember } from './overhead.js'

const NAMES = ['Terry Pratchett', 'John Dearheart', 'Robert Dearheart']
const start = () => new Tower().init(undefined, undefined, { hostname: '127.0.0.1', port: 0, sendrate: 10 })
const until = async (check, what) => {
  for (const deadline = Date.now() + 30_000; !check();) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const towers = []
async function join (name) {
  const tower = await start()
  const heard = listen(tower, who => console.log(`${name} hears: GNU ${who}`))
  if (towers.length > 0) await tower.announce('127.0.0.1', towers[0].tower.port)
  towers.push({ name, tower, heard })
  return tower
}

for (const [i, name] of NAMES.entries()) remember(await join(`tower ${i + 1}`), name)
await until(() => towers.every(t => t.heard.size === NAMES.length), 'every tower to hear every name')
console.log('every tower has heard every name; a fourth tower joins late')

await join('late tower')
await until(() => towers.at(-1).heard.size === NAMES.length, 'the late tower to hear every name')
// Distinct ids: a message being handed over is, for a moment, held by both sides.
const held = new Set(towers.flatMap(t => t.tower.peek({ inFlight: true }).map(m => m.id)))
console.log(`the late tower has met all ${NAMES.length} names; the overhead still carries ${held.size} messages`)
await Promise.all(towers.map(t => t.tower.close({ drain: false })))
