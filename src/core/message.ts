import { randomFillSync } from 'node:crypto'
import type { TowerAddress } from './address.js'

/** A message as a tower holds it: identity, bytes, and how far it has come. */
export interface HeldMessage {
  /** 16 random bytes, fixed when first enqueued, unchanged from tower to tower. */
  readonly id: Buffer
  payload: Buffer
  /** Hand-offs between towers so far. */
  hops: number
  /** For a copy the outbound filter changed: the message as held, which is what comes back if the hand-off fails. */
  original?: HeldMessage
}

/** A message as the public API shows it. */
export interface ClacksMessage {
  /** The id as 32 lowercase hex characters. */
  id: string
  payload: Uint8Array
  hops: number
  /** The tower it came from, for received messages. */
  from?: TowerAddress
}

export const MESSAGE_ID_BYTES = 16

// Ids are cut from a pool filled in one call: randomFillSync per message costs
// a syscall-sized slice of the per-message budget.
const ID_POOL_BYTES = MESSAGE_ID_BYTES * 256
let idPool = Buffer.allocUnsafe(0)
let idPoolOffset = 0

/** A fresh random 16-byte message id. */
export function newMessageId (): Buffer {
  if (idPoolOffset === idPool.length) {
    idPool = randomFillSync(Buffer.allocUnsafe(ID_POOL_BYTES))
    idPoolOffset = 0
  }
  const id = idPool.subarray(idPoolOffset, idPoolOffset + MESSAGE_ID_BYTES)
  idPoolOffset += MESSAGE_ID_BYTES
  return id
}

/**
 * A copy of a few bytes that a long-lived object keeps (a link's session id,
 * its peer's instance id) in memory of its own. A small Buffer is cut from a
 * shared 8 KiB slab, and one kept among short-lived ones keeps the whole slab
 * alive: in a simulated network with 12,000 links those slabs were 45 % of
 * the heap.
 */
export function ownedCopy (bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length)
  copy.set(bytes)
  return copy
}

/**
 * Where a tower's random ids (message, instance and session ids) come from:
 * the crypto pool above when `random` is Math.random (production), else
 * `random` itself, so that a seeded source fixes every id of a simulated run.
 */
export function idSourceFor (random: () => number): () => Buffer {
  if (random === Math.random) return newMessageId
  return () => {
    const id = Buffer.allocUnsafe(MESSAGE_ID_BYTES)
    for (let i = 0; i < MESSAGE_ID_BYTES; i += 4) id.writeUInt32BE(Math.floor(random() * 0x100000000) >>> 0, i)
    return id
  }
}

/** Two hex digits for every byte value. */
const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/**
 * An id as lowercase hex. By table rather than Buffer#toString: this runs for
 * every message a filter or a listener sees, and the native call with the
 * Buffer it needs costs 2.5 times as much for 16 bytes.
 */
export function idToHex (id: Uint8Array): string {
  let hex = ''
  for (let i = 0; i < id.length; i++) hex += HEX_BYTES[id[i] as number] as string
  return hex
}

export function toPublicMessage (message: HeldMessage, from?: TowerAddress): ClacksMessage {
  const view: ClacksMessage = { id: idToHex(message.id), payload: message.payload, hops: message.hops }
  if (from !== undefined) view.from = { hostname: from.hostname, port: from.port }
  return view
}
