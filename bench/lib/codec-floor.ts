/**
 * The floor of the codec micro-benchmark: the least any JavaScript codec can
 * do for a Message frame on this machine. Encoding writes the length prefix,
 * the tags and the varints and copies the id, the payload and the friend's
 * bytes (given ready-made) into a reused buffer; decoding reads the varints
 * back and notes where the id, the payload and the friend lie. No checks, no
 * friend decoding, no objects, no views. What the real codec costs above this
 * is what its checks and its API cost; this much is the price of JavaScript.
 */
import { varintLength, writeVarint } from '../../src/wire/message-fast-path.js'

/** A Message frame's fields, the friend already encoded (field tag, length, TowerDescriptor). */
export interface FloorMessage {
  seq: number
  id: Uint8Array
  payload: Uint8Array
  hops: number
  friendField: Uint8Array
}

/** Where decodeFloor found the last frame's fields. */
export interface FloorFields {
  seq: number
  hops: number
  idStart: number
  payloadStart: number
  payloadLength: number
  friendStart: number
}

const TAG_FRAME_MESSAGE = 0x1a
const TAG_SEQ = 0x08
const TAG_ID = 0x12
const TAG_PAYLOAD = 0x1a
const TAG_HOPS = 0x20

/** Writes `m` as a delimited Message frame at `offset` (every field non-empty); returns the offset after it. */
export function encodeFloor (buffer: Uint8Array, offset: number, m: FloorMessage): number {
  const inner = 1 + varintLength(m.seq) + 2 + m.id.length + 1 + varintLength(m.payload.length) + m.payload.length +
    1 + varintLength(m.hops) + m.friendField.length
  offset = writeVarint(buffer, offset, 1 + varintLength(inner) + inner)
  buffer[offset++] = TAG_FRAME_MESSAGE
  offset = writeVarint(buffer, offset, inner)
  buffer[offset++] = TAG_SEQ
  offset = writeVarint(buffer, offset, m.seq)
  buffer[offset++] = TAG_ID
  buffer[offset++] = m.id.length
  buffer.set(m.id, offset)
  offset += m.id.length
  buffer[offset++] = TAG_PAYLOAD
  offset = writeVarint(buffer, offset, m.payload.length)
  buffer.set(m.payload, offset)
  offset += m.payload.length
  buffer[offset++] = TAG_HOPS
  offset = writeVarint(buffer, offset, m.hops)
  buffer.set(m.friendField, offset)
  return offset + m.friendField.length
}

let pos = 0

function readVarint (bytes: Uint8Array): number {
  let value = 0
  for (let scale = 1; ; scale *= 128) {
    const byte = bytes[pos++] as number
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return value
  }
}

/** Reads the delimited Message frames in `bytes` up to `end` into `into`, one after another; returns how many. */
export function decodeFloor (bytes: Uint8Array, end: number, into: FloorFields): number {
  let frames = 0
  pos = 0
  while (pos < end) {
    const frameEnd = readVarint(bytes) + pos
    pos++ // Frame.message's tag
    readVarint(bytes) // its length: the message ends with the frame
    while (pos < frameEnd) {
      const tag = bytes[pos++] as number
      if (tag === TAG_SEQ) into.seq = readVarint(bytes)
      else if (tag === TAG_HOPS) into.hops = readVarint(bytes)
      else {
        const length = readVarint(bytes)
        if (tag === TAG_ID) into.idStart = pos
        else if (tag === TAG_PAYLOAD) {
          into.payloadStart = pos
          into.payloadLength = length
        } else into.friendStart = pos
        pos += length
      }
    }
    frames++
  }
  return frames
}
