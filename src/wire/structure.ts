/**
 * The wire structure of a frame body, checked without decoding it: every tag
 * names a field number above 0 with a wire type protobuf defines for proto3
 * (varint, 64-bit, length-delimited, 32-bit; no groups), every length stays
 * inside its message, and the fields that hold messages hold well-formed
 * messages in turn, a Frame holds at most one kind field, and strings are
 * valid UTF-8. The generated decoder stops quietly at a zero or
 * end-group tag inside a nested message and keeps what it read; protoc and
 * protobufjs refuse such bytes, and so do we.
 */
import { isUtf8 } from 'node:buffer'

/** Field numbers that hold a message, and which one, for every message a Frame can contain. */
export const MESSAGE_FIELDS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  'clacks.v1.Frame': {
    1: 'clacks.v1.Hello',
    2: 'clacks.v1.Welcome',
    3: 'clacks.v1.Message',
    4: 'clacks.v1.Ack',
    5: 'clacks.v1.Refusal',
    6: 'clacks.v1.Announce',
    7: 'clacks.v1.Goodbye'
  },
  'clacks.v1.Hello': { 2: 'clacks.v1.TowerDescriptor' },
  'clacks.v1.Welcome': { 2: 'clacks.v1.TowerDescriptor' },
  'clacks.v1.Message': { 5: 'clacks.v1.TowerDescriptor' },
  'clacks.v1.Ack': {},
  'clacks.v1.Refusal': {},
  'clacks.v1.Announce': { 1: 'clacks.v1.TowerDescriptor' },
  'clacks.v1.Goodbye': {},
  'clacks.v1.TowerDescriptor': {}
}

/** Field numbers that are members of a oneof: a body may hold at most one of them, once. */
export const ONEOF_FIELDS: Readonly<Record<string, ReadonlySet<number>>> = {
  'clacks.v1.Frame': new Set([1, 2, 3, 4, 5, 6, 7])
}

/** Field numbers that hold a `string`: proto3 requires valid UTF-8 there. */
export const STRING_FIELDS: Readonly<Record<string, ReadonlySet<number>>> = {
  'clacks.v1.Refusal': new Set([3]),
  'clacks.v1.Goodbye': new Set([2]),
  'clacks.v1.TowerDescriptor': new Set([1])
}

const NONE: ReadonlySet<number> = new Set()

const VARINT = 0
const FIXED64 = 1
const LENGTH_DELIMITED = 2
const FIXED32 = 5

/** Nesting is at most Frame > Hello > TowerDescriptor; this bounds the recursion whatever the table says. */
const MAX_DEPTH = 8

/** Why the body is not a well-formed `type`, or undefined when it is. */
export function structureProblem (body: Uint8Array, type = 'clacks.v1.Frame'): string | undefined {
  return check(body, 0, body.length, type, 0)
}

function check (body: Uint8Array, start: number, end: number, type: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `messages nested deeper than ${MAX_DEPTH}`
  const nested = MESSAGE_FIELDS[type] ?? {}
  const oneof = ONEOF_FIELDS[type] ?? NONE
  const strings = STRING_FIELDS[type] ?? NONE
  // A decoder keeps the last oneof member it reads: a second one would silently drop the first.
  let oneofSeen = false
  let pos = start
  while (pos < end) {
    const tag = readVarint(body, pos, end)
    if (tag === undefined) return `a tag runs past the end of ${type}`
    pos = tag.next
    if (tag.value > 0xffffffff) return `a tag over 32 bits in ${type}`
    const field = Math.floor(tag.value / 8)
    const wireType = tag.value % 8
    if (field === 0) return `field number 0 in ${type}`
    if (oneof.has(field)) {
      if (oneofSeen) return `more than one oneof field in ${type}`
      oneofSeen = true
    }
    switch (wireType) {
      case VARINT: {
        const value = readVarint(body, pos, end)
        if (value === undefined) return `a varint runs past the end of ${type}`
        pos = value.next
        break
      }
      case FIXED64: pos += 8; break
      case FIXED32: pos += 4; break
      case LENGTH_DELIMITED: {
        const length = readVarint(body, pos, end)
        if (length === undefined || length.next + length.value > end) return `a length runs past the end of ${type}`
        const inner = nested[field]
        if (strings.has(field) && !isUtf8(body.subarray(length.next, length.next + length.value))) {
          return `field ${field} of ${type} is not valid UTF-8`
        }
        if (inner !== undefined) {
          const problem = check(body, length.next, length.next + length.value, inner, depth + 1)
          if (problem !== undefined) return problem
        }
        pos = length.next + length.value
        break
      }
      default:
        return `wire type ${wireType} (field ${field}) in ${type}`
    }
    if (pos > end) return `a fixed-size field runs past the end of ${type}`
  }
  return undefined
}

/** A varint of at most 10 bytes, ending before `end`; undefined when it does not. */
function readVarint (body: Uint8Array, pos: number, end: number): { value: number, next: number } | undefined {
  let value = 0
  let scale = 1
  for (let i = 0; i < 10 && pos < end; i++) {
    const byte = body[pos++] as number
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return { value, next: pos }
    scale *= 128
  }
  return undefined
}
