// The board on loopback: two towers post, one post expires, and a tower
// that joins later sees the posts still circulating, each once.
import { Tower } from 'clacks'
import { boardOptions, post, watch } from './board.js'

const start = () => new Tower().init(undefined, undefined, { hostname: '127.0.0.1', port: 0, sendrate: 20, ...boardOptions() })
const until = async (check, what) => {
  for (const deadline = Date.now() + 30_000; !check();) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
const show = (name, board) => console.log(`${name}'s board: ${board.current().map(p => `"${p.text}" (${p.author})`).join(', ')}`)

const [a, b] = await Promise.all([start(), start()])
let seenAtA = 0
const boardA = watch(a, p => console.log(`tower a: new post by ${p.author}: ${p.text} (${++seenAtA} seen)`))
await b.announce('127.0.0.1', a.port)
post(a, 'alice', 'Lost: one Luggage, answers to nothing.')
post(a, 'alice', 'Choir practice moved to Thursday.')
post(b, 'bob', 'Fresh bread at the Tump, today only.', 3000)
post(b, 'bob', 'Selling: slightly used semaphore shutters.')
await until(() => seenAtA === 4, 'a to see every post')

// Wait until bob's short-lived post has expired and left circulation.
// Distinct ids: a message being handed over is, for a moment, held by both sides.
const circulating = () => new Set([a, b].flatMap(t => t.peek({ inFlight: true }).map(m => m.id))).size
await until(() => circulating() === 3, 'the expired post to leave circulation')
show('a', boardA)
console.log('the bread has gone stale: 3 posts still circulate; tower c joins')

const c = await start()
const boardC = watch(c, p => console.log(`tower c: new post by ${p.author}: ${p.text}`))
await c.announce('127.0.0.1', a.port)
await until(() => boardC.current().length === 3, 'c to see every post still circulating')
show('c', boardC)
await Promise.all([a, b, c].map(t => t.close({ drain: false })))
