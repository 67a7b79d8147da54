// A bulletin board with no server: posts circulate between towers, each
// tower shows every post that passes, once (by the post's own id), and a
// post past its expiry is dropped by whichever tower holds it next, so
// a tower that joins late sees what still circulates.
import { randomUUID } from 'node:crypto'

/** Posts `text` as `author` from `tower`, circulating for `ttlMs`. */
export function post (tower, author, text, ttlMs = 60 * 60_000) {
  const id = randomUUID()
  tower.enqueue(JSON.stringify({ board: 1, id, author, text, expires: Date.now() + ttlMs }))
  return id
}

/** The tower options that keep a board: expired posts leave circulation here, in or out. */
export function boardOptions () {
  const drop = message => parse(message.payload)?.expires < Date.now() ? false : undefined
  return { inboundFilter: drop, outboundFilter: drop }
}

/** A board that fills as posts pass `tower`; `onPost(post)` is called for each new one. */
export function watch (tower, onPost = () => {}) {
  const posts = new Map()
  tower.on('queued', message => {
    const p = parse(message.payload)
    if (p === undefined || posts.has(p.id) || p.expires < Date.now()) return
    posts.set(p.id, p)
    onPost(p)
  })
  return {
    /** The posts seen here that have not expired, oldest first. */
    current: () => [...posts.values()].filter(p => p.expires >= Date.now())
  }
}

function parse (payload) {
  try {
    const p = JSON.parse(Buffer.from(payload).toString('utf8'))
    const valid = p?.board === 1 && typeof p.id === 'string' && typeof p.author === 'string' && typeof p.text === 'string' && typeof p.expires === 'number'
    return valid ? p : undefined
  } catch {
    return undefined // not a post: someone else's message
  }
}
