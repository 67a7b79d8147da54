/**
 * Message and Ack frames by hand. Every hop of every message is one Message
 * frame one way and (a share of) one Ack frame the other, so these skip what
 * the generated code spends per frame (a writer that allocates and shifts
 * nested bodies on join, a BigInt per uint64, a reader per frame). They
 * produce and accept exactly the bytes the generated code does (the golden
 * vectors and the fuzz tests compare the two), and hand anything unusual back
 * to it: `decodeMessageFrame` and `decodeAckFrame` return undefined for a body
 * they do not take, and the caller decodes it the general way.
 */
import type { Frame, Message } from '../gen/clacks/v1/frame.js'
import type { TowerDescriptor } from '../gen/clacks/v1/tower.js'
import { isAscii } from 'node:buffer'
import { LARGE_PAYLOAD_BYTES } from './limits.js'

const EMPTY = Buffer.alloc(0)

const TAG_FRAME_MESSAGE = 0x1a // Frame.message: field 3, length-delimited
const TAG_FRAME_ACK = 0x22 // Frame.ack: field 4, length-delimited
const TAG_ACK_SEQ = 0x08 // Ack.seq: field 1, varint
const TAG_SEQ = 0x08 // Message.seq: field 1, varint
const TAG_ID = 0x12 // Message.id: field 2, length-delimited
const TAG_PAYLOAD = 0x1a // Message.payload: field 3, length-delimited
const TAG_HOPS = 0x20 // Message.hops: field 4, varint
const TAG_FRIEND = 0x2a // Message.friend: field 5, length-delimited
const TAG_HOSTNAME = 0x0a // TowerDescriptor.hostname: field 1, length-delimited
const TAG_PORT = 0x10 // TowerDescriptor.port: field 2, varint

/** Bytes a varint of this non-negative integer takes. */
export function varintLength (value: number): number {
  let length = 1
  while (value >= 128) {
    value = Math.floor(value / 128)
    length++
  }
  return length
}

/** Writes a varint of a non-negative integer below 2^53; returns the offset after it. */
export function writeVarint (buffer: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    buffer[offset++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  buffer[offset++] = value
  return offset
}

function friendLength (friend: TowerDescriptor, hostnameBytes: number): number {
  return (hostnameBytes > 0 ? 1 + varintLength(hostnameBytes) + hostnameBytes : 0) +
    (friend.port !== 0 ? 1 + varintLength(friend.port) : 0)
}

/** A friend as a Message frame carries it (field tag, length, TowerDescriptor), with what it was made from. */
interface FriendField {
  hostname: string
  port: number
  bytes: Buffer
}

/**
 * Friends' fields, by descriptor object. The friend of a message is a peer
 * of the tower's table, a long-lived object, so its bytes are made once
 * instead of measuring and writing its hostname as UTF-8 three times a frame.
 * A descriptor whose hostname or port changed since is encoded afresh.
 */
const friendFields = new WeakMap<TowerDescriptor, FriendField>()

function friendField (friend: TowerDescriptor): Buffer {
  const cached = friendFields.get(friend)
  if (cached !== undefined && cached.hostname === friend.hostname && cached.port === friend.port) return cached.bytes
  const hostnameBytes = Buffer.byteLength(friend.hostname)
  const inner = friendLength(friend, hostnameBytes)
  const bytes = Buffer.alloc(1 + varintLength(inner) + inner)
  let offset = 0
  bytes[offset++] = TAG_FRIEND
  offset = writeVarint(bytes, offset, inner)
  if (hostnameBytes > 0) {
    bytes[offset++] = TAG_HOSTNAME
    offset = writeVarint(bytes, offset, hostnameBytes)
    offset += bytes.write(friend.hostname, offset, 'utf8')
  }
  if (friend.port !== 0) {
    bytes[offset++] = TAG_PORT
    writeVarint(bytes, offset, friend.port)
  }
  friendFields.set(friend, { hostname: friend.hostname, port: friend.port, bytes })
  return bytes
}

/**
 * What writing the record measured last needs: the Message body's length
 * and the friend's field. FrameBatch measures a record to reserve room for
 * it and writes it at once, so the writers below take these from that
 * measurement: measure a record right before writing it.
 */
let measuredInner = 0
let measuredFriend: Buffer | undefined

/** The size of a record's Message frame in delimited form (length prefix included); the writers below then write that record. */
export function recordFrameSize (record: MessageRecord): number {
  const { seq, idLength, payloadLength, hops, friend } = record
  const friendBytes = friend === undefined ? undefined : friendField(friend)
  let inner = 0
  if (seq !== 0) inner += 1 + varintLength(seq)
  if (idLength !== 0) inner += 1 + varintLength(idLength) + idLength
  if (payloadLength !== 0) inner += 1 + varintLength(payloadLength) + payloadLength
  if (hops !== 0) inner += 1 + varintLength(hops)
  if (friendBytes !== undefined) inner += friendBytes.length
  measuredInner = inner
  measuredFriend = friendBytes
  const body = 1 + varintLength(inner) + inner
  return varintLength(body) + body
}

/**
 * Writes the record just measured (recordFrameSize) as a Message frame in
 * delimited form at `offset`, which must have that many bytes of room;
 * returns the offset after it.
 */
export function writeRecordFrame (buffer: Buffer, offset: number, record: MessageRecord): number {
  offset = writeRecordFrameHead(buffer, offset, record)
  offset = copyRange(record.payloadBytes, record.payloadStart, record.payloadLength, buffer, offset)
  return writeRecordFrameTail(buffer, offset, record.hops)
}

/**
 * Writes the record just measured up to its payload's bytes: everything
 * before them, the payload's tag and length included. The payload itself
 * may then be copied after it or, when large, written to the socket as it is.
 */
export function writeRecordFrameHead (buffer: Buffer, offset: number, record: MessageRecord): number {
  const { seq, idLength, payloadLength } = record
  const inner = measuredInner
  offset = writeVarint(buffer, offset, 1 + varintLength(inner) + inner)
  buffer[offset++] = TAG_FRAME_MESSAGE
  offset = writeVarint(buffer, offset, inner)
  if (seq !== 0) {
    buffer[offset++] = TAG_SEQ
    offset = writeVarint(buffer, offset, seq)
  }
  if (idLength !== 0) {
    buffer[offset++] = TAG_ID
    offset = writeVarint(buffer, offset, idLength)
    offset = copyRange(record.idBytes, record.idStart, idLength, buffer, offset)
  }
  if (payloadLength !== 0) {
    buffer[offset++] = TAG_PAYLOAD
    offset = writeVarint(buffer, offset, payloadLength)
  }
  return offset
}

/** Writes what follows the payload of the record just measured: the hop count and the friend. */
export function writeRecordFrameTail (buffer: Buffer, offset: number, hops: number): number {
  if (hops !== 0) {
    buffer[offset++] = TAG_HOPS
    offset = writeVarint(buffer, offset, hops)
  }
  if (measuredFriend !== undefined) {
    buffer.set(measuredFriend, offset)
    offset += measuredFriend.length
  }
  return offset
}

/** Ranges this short are copied byte by byte: cheaper than the view that copying with set() needs. */
const COPY_LOOP_BYTES = 32

/**
 * Copies `length` bytes of `source` from `start` into `target` at `offset`;
 * returns the offset after them. The view set() copies from is a plain
 * Uint8Array: a Buffer's subarray() goes through Buffer's constructor and
 * cost ~80 ns more per copy, twice per hop (into the queue, into the batch).
 */
export function copyRange (source: Uint8Array, start: number, length: number, target: Uint8Array, offset: number): number {
  if (length <= COPY_LOOP_BYTES && length !== source.length) for (let i = 0; i < length; i++) target[offset + i] = source[start + i] as number
  else target.set(start === 0 && length === source.length ? source : new Uint8Array(source.buffer, source.byteOffset + start, length), offset)
  return offset + length
}

/** `length` bytes of `bytes` from `start`: the array itself when that is all of it, else a view. */
export function rangeOf (bytes: Uint8Array, start: number, length: number): Uint8Array {
  return start === 0 && length === bytes.length ? bytes : bytes.subarray(start, start + length)
}

/** Where the decoder stands; one per module, since decoding never yields mid-frame. */
let pos = 0
/** Set when a varint ran past its end, was too long, or was too large: hand the body back. */
let bad = false

/** Reads a varint of at most `maxBytes` bytes, ending before `end`. */
function readVarint (body: Uint8Array, end: number, maxBytes: number): number {
  let value = 0
  let scale = 1
  for (let i = 0; i < maxBytes && pos < end; i++) {
    const byte = body[pos++] as number
    // Multiply rather than shift (past 2^31) or raise to a power (a call per byte).
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return value
    scale *= 128
  }
  bad = true
  return 0
}

/** Whether a body owns its memory: not a view into a larger buffer (a socket chunk, a pool). */
function ownsMemory (body: Uint8Array): boolean {
  return body.byteOffset === 0 && body.buffer.byteLength === body.byteLength
}

/**
 * Gives a large payload decoded by the generated code (a view, whatever its
 * size) memory of its own when the body does not own it, as the fast path does.
 */
export function ownLargePayload (message: Message, body: Uint8Array): void {
  if (message.payload.length >= LARGE_PAYLOAD_BYTES && !ownsMemory(body)) message.payload = Buffer.from(message.payload)
}

/**
 * A Message frame decoded where it lies: its numbers and its friend read
 * out, its id and payload left in place, as offsets into the bytes they are
 * in. Making a view of a byte range costs more than decoding the rest of the
 * frame (~80 ns each on a 2-core VM), and a tower only copies them into its
 * queue, so it reads records and asks for views only when someone wants the
 * message as an object (a filter, a listener). A reader fills one record
 * again and again; what it points at is valid until the decoder is given
 * more bytes, so whatever is kept is copied at once.
 */
export interface MessageRecord {
  seq: number
  hops: number
  friend: TowerDescriptor | undefined
  /** The id: `idLength` bytes of `idBytes` from `idStart`. */
  idBytes: Uint8Array
  idStart: number
  idLength: number
  /** The payload: `payloadLength` bytes of `payloadBytes` from `payloadStart`. */
  payloadBytes: Uint8Array
  payloadStart: number
  payloadLength: number
  /** Whether a view of the payload keeps no more memory alive than the frame itself (see messagePayload). */
  payloadOwned: boolean
}

export function newMessageRecord (): MessageRecord {
  return { seq: 0, hops: 0, friend: undefined, idBytes: EMPTY, idStart: 0, idLength: 0, payloadBytes: EMPTY, payloadStart: 0, payloadLength: 0, payloadOwned: false }
}

/** Lets go of the bytes a record points into. */
export function clearMessageRecord (record: MessageRecord): void {
  record.idBytes = record.payloadBytes = EMPTY
  record.friend = undefined
}

/**
 * Fills `record` from a message as an object (a Message that took the
 * general way, its large payload already its own, or a message a tower holds).
 */
export function recordOfMessage (message: { id: Uint8Array, payload: Uint8Array, hops: number, seq?: number, friend?: TowerDescriptor }, record: MessageRecord): MessageRecord {
  record.seq = message.seq ?? 0
  record.hops = message.hops
  record.friend = message.friend
  record.idBytes = message.id
  record.idStart = 0
  record.idLength = message.id.length
  record.payloadBytes = message.payload
  record.payloadStart = 0
  record.payloadLength = message.payload.length
  record.payloadOwned = true
  return record
}

/** The id as a view of the bytes it lies in. */
export function messageId (record: MessageRecord): Buffer {
  return viewOf(record.idBytes, record.idStart, record.idLength)
}

/**
 * The payload as a tower holds it: a view, but for a payload of
 * LARGE_PAYLOAD_BYTES or more in bytes the frame does not own (a socket
 * chunk), which is copied: it will be queued as it is and would keep the
 * chunk alive.
 */
export function messagePayload (record: MessageRecord): Buffer {
  const { payloadBytes, payloadStart, payloadLength } = record
  if (payloadLength < LARGE_PAYLOAD_BYTES || record.payloadOwned) return viewOf(payloadBytes, payloadStart, payloadLength)
  const copy = Buffer.allocUnsafe(payloadLength)
  copy.set(rangeOf(payloadBytes, payloadStart, payloadLength))
  return copy
}

/** A view of `length` bytes of `bytes` from `start`; an empty field is the shared empty buffer, which keeps nothing alive. */
function viewOf (bytes: Uint8Array, start: number, length: number): Buffer {
  return length === 0 ? EMPTY : Buffer.from(bytes.buffer, bytes.byteOffset + start, length)
}

/**
 * Reads a frame body (`body` from `start` to `end`) that is exactly one
 * Message, in the field order our encoder writes, each field at most once,
 * into `record`; false for anything else (the body then goes the general way).
 */
export function readMessageRecord (body: Uint8Array, start: number, end: number, record: MessageRecord): boolean {
  if (body[start] !== TAG_FRAME_MESSAGE) return false
  pos = start + 1
  bad = false
  const innerLength = readVarint(body, end, 5)
  if (bad || pos + innerLength !== end) return false
  record.seq = record.hops = record.idStart = record.idLength = record.payloadStart = record.payloadLength = 0
  record.friend = undefined
  record.idBytes = record.payloadBytes = body
  record.payloadOwned = start === 0 && end === body.length && ownsMemory(body)
  let lastTag = 0
  while (pos < end) {
    const tag = body[pos++] as number
    // Fields in ascending order, once each: the canonical form. Anything else goes the general way.
    if (tag <= lastTag) return false
    lastTag = tag
    switch (tag) {
      case TAG_SEQ:
        // 8 varint bytes hold 2^56: any seq up to 2^53 - 1, the most a seq may be.
        record.seq = readVarint(body, end, 8)
        if (record.seq > Number.MAX_SAFE_INTEGER) return false
        break
      case TAG_ID:
        record.idLength = readLength(body, end)
        record.idStart = pos - record.idLength
        break
      case TAG_PAYLOAD:
        record.payloadLength = readLength(body, end)
        record.payloadStart = pos - record.payloadLength
        break
      case TAG_HOPS:
        record.hops = readVarint(body, end, 5)
        if (record.hops > 0xffffffff) return false
        break
      case TAG_FRIEND:
        record.friend = readFriend(body, end)
        break
      default:
        return false
    }
    if (bad) return false
  }
  return true
}

/** The record decodeMessageFrame reads into before it makes a Message of it. */
const scratch = newMessageRecord()

/**
 * Decodes a frame body (`body` from `start` to `end`) that is exactly one
 * Message as readMessageRecord takes it; anything else returns undefined.
 * The id and the payload are views into the body, as the generated
 * decoder's are, but for a large payload the body does not own (see
 * messagePayload).
 */
export function decodeMessageFrame (body: Uint8Array, start = 0, end = body.length): Frame | undefined {
  if (!readMessageRecord(body, start, end, scratch)) return undefined
  const message: Message = { seq: scratch.seq, id: messageId(scratch), payload: messagePayload(scratch), hops: scratch.hops, friend: scratch.friend }
  // The scratch record must not keep the body alive.
  clearMessageRecord(scratch)
  return { kind: { $case: 'message', value: message } }
}

/** Reads a length-delimited field's length and moves past its bytes; bad when they run past `end`. */
function readLength (body: Uint8Array, end: number): number {
  const length = readVarint(body, end, 5)
  if (bad || pos + length > end) {
    bad = true
    return 0
  }
  pos += length
  return length
}

/**
 * Friends decoded lately, by their bytes, in a direct-mapped cache. Every
 * message names a random alive tower, so the same descriptors come again and
 * again, and turning a hostname's bytes into a string costs more than the
 * rest of the frame. A cached descriptor is frozen and shared by every frame
 * that carries the same bytes, which also lets the tower remember what it
 * made of it.
 */
const FRIEND_CACHE_SLOTS = 256
const cachedFriendBytes: Array<Uint8Array | undefined> = new Array<undefined>(FRIEND_CACHE_SLOTS).fill(undefined)
const cachedFriends: Array<TowerDescriptor | undefined> = new Array<undefined>(FRIEND_CACHE_SLOTS).fill(undefined)

function readFriend (body: Uint8Array, end: number): TowerDescriptor | undefined {
  const length = readVarint(body, end, 5)
  const start = pos
  const friendEnd = start + length
  if (bad || friendEnd > end) {
    bad = true
    return undefined
  }
  let hash = length
  for (let i = start; i < friendEnd; i++) hash = (Math.imul(hash, 31) + (body[i] as number)) | 0
  const slot = hash & (FRIEND_CACHE_SLOTS - 1)
  const cached = cachedFriendBytes[slot]
  if (cached !== undefined && cached.length === length && sameBytes(cached, body, start)) {
    pos = friendEnd
    return cachedFriends[slot]
  }
  const friend = parseFriend(body, friendEnd)
  if (!bad) {
    cachedFriendBytes[slot] = body.slice(start, friendEnd)
    cachedFriends[slot] = Object.freeze(friend)
  }
  return friend
}

/** Whether `body` holds the bytes of `bytes` at `start`. */
function sameBytes (bytes: Uint8Array, body: Uint8Array, start: number): boolean {
  if (start + bytes.length > body.length) return false
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== body[start + i]) return false
  return true
}

function parseFriend (body: Uint8Array, friendEnd: number): TowerDescriptor {
  const friend: TowerDescriptor = { hostname: '', port: 0 }
  let lastTag = 0
  while (pos < friendEnd && !bad) {
    const tag = body[pos++] as number
    if (tag <= lastTag) bad = true
    lastTag = tag
    if (tag === TAG_HOSTNAME) {
      const hostnameLength = readVarint(body, friendEnd, 5)
      // Not ASCII (no valid hostname is): the general decoder checks the UTF-8 and the tower refuses it.
      if (bad || pos + hostnameLength > friendEnd || !isAscii(body.subarray(pos, pos + hostnameLength))) bad = true
      else friend.hostname = Buffer.from(body.buffer, body.byteOffset + pos, hostnameLength).toString('utf8')
      pos += hostnameLength
    } else if (tag === TAG_PORT) {
      friend.port = readVarint(body, friendEnd, 5)
      if (friend.port > 0xffffffff) bad = true
    } else {
      bad = true
    }
  }
  if (pos !== friendEnd) bad = true
  return friend
}

/** The largest Ack frame in delimited form: a seq up to 2^53 takes 8 varint bytes. */
export const MAX_ACK_FRAME_BYTES = 12

/**
 * Writes an Ack frame in delimited form at `offset`, which must have
 * MAX_ACK_FRAME_BYTES of room; returns the offset after it.
 */
export function writeAckFrame (buffer: Buffer, offset: number, seq: number): number {
  const inner = seq === 0 ? 0 : 1 + varintLength(seq)
  buffer[offset++] = 2 + inner
  buffer[offset++] = TAG_FRAME_ACK
  buffer[offset++] = inner
  if (seq === 0) return offset
  buffer[offset++] = TAG_ACK_SEQ
  return writeVarint(buffer, offset, seq)
}

/** Decodes a frame body (`body` from `start` to `end`) that is exactly one Ack as our encoder writes it; anything else returns undefined. */
export function decodeAckFrame (body: Uint8Array, start = 0, end = body.length): Frame | undefined {
  if (body[start] !== TAG_FRAME_ACK || end - start < 2 || body[start + 1] !== end - start - 2) return undefined
  if (end - start === 2) return { kind: { $case: 'ack', value: { seq: 0 } } }
  if (body[start + 2] !== TAG_ACK_SEQ) return undefined
  pos = start + 3
  bad = false
  const seq = readVarint(body, end, 8)
  if (bad || pos !== end || seq > Number.MAX_SAFE_INTEGER) return undefined
  return { kind: { $case: 'ack', value: { seq } } }
}
