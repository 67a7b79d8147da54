// The dead drop on loopback: a sender leaves a letter with two relays and
// goes offline; the recipient joins later, opens it, and it is gone.
import { Tower } from 'clacks'
import { keyPair, recipientFilter, seal } from './dead-drop.js'

const options = { hostname: '127.0.0.1', port: 0, sendrate: 20, drainTimeout: 2000 }
const start = extra => new Tower().init(undefined, undefined, { ...options, ...extra })
const until = async (check, what) => {
  for (const deadline = Date.now() + 20_000; !check();) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const bob = keyPair()
const [relay1, relay2, sender] = await Promise.all([start(), start(), start()])
await relay2.announce('127.0.0.1', relay1.port)
await sender.announce('127.0.0.1', relay1.port)

sender.enqueue(seal(bob.publicKey, 'Meet me at the Tump tower at dawn. — A.'))
sender.enqueue(seal(keyPair().publicKey, 'For somebody else entirely.'))
const { left } = await sender.close()
console.log(`sender: left 2 sealed letters with the relays and went offline (${left} left behind)`)

// Distinct ids: a letter being handed over is, for a moment, held by both sides.
const held = towers => [...new Map(towers.flatMap(t => t.peek({ inFlight: true })).map(m => [m.id, m])).values()]
let letters = []
await until(() => (letters = held([relay1, relay2])).length === 2 && letters.every(m => m.hops >= 3), 'the letters to circulate')
console.log(`relays: holding ${letters.length} letters they cannot read, ${letters.map(m => m.hops).join(' and ')} hops so far`)

let delivered
const recipient = await start({ inboundFilter: recipientFilter(bob, (text, m) => { delivered = { text, hops: m.hops } }) })
await recipient.announce('127.0.0.1', relay1.port)
await until(() => delivered !== undefined, 'the letter to reach its recipient')
console.log(`recipient: opened a letter after ${delivered.hops} hops: "${delivered.text}"`)

const towers = [relay1, relay2, recipient]
await until(() => held(towers).length === 1, 'the letter to leave circulation')
console.log('network: 1 letter still circulates (not for this recipient); the opened one is gone')
await Promise.all(towers.map(t => t.close({ drain: false })))
