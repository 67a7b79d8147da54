import type { ClacksMessage } from '../index.js'
import { formatHostPort } from './args.js'

/** One received message as printed by `clacks start --print`. */
export interface PrintedMessage {
  id: string
  hops: number
  /** The tower it came from, HOST:PORT. */
  from?: string
  encoding: 'utf8' | 'base64'
  payload: string
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** The payload as text when it is valid UTF-8, else as base64. */
export function toPrinted (message: ClacksMessage): PrintedMessage {
  let encoding: PrintedMessage['encoding'] = 'utf8'
  let payload: string
  try {
    payload = strictUtf8.decode(message.payload)
  } catch {
    encoding = 'base64'
    payload = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength).toString('base64')
  }
  const from = message.from === undefined ? {} : { from: formatHostPort(message.from) }
  return { id: message.id, hops: message.hops, ...from, encoding, payload }
}

export function messageLine (message: ClacksMessage): string {
  return JSON.stringify(toPrinted(message)) + '\n'
}
