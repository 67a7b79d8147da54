import type { Readable } from 'node:stream'

export interface LineHandlers {
  /** A complete line, without its line ending, at most maxBytes bytes of UTF-8. */
  line (text: string): void
  /** A line grew past maxBytes: it is skipped up to its end, and reported once. */
  tooLong (maxBytes: number): void
}

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/**
 * Splits a byte stream into lines, holding at most `maxBytes` of a line at a
 * time: a line longer than that is dropped as it streams in (readline would
 * buffer it whole, and a stream with no newline at all, such as /dev/zero,
 * grew until the process died of a RangeError). Returns a function that
 * stops reading.
 */
export function readBoundedLines (input: Readable, maxBytes: number, handlers: LineHandlers): () => void {
  let pending: Buffer[] = []
  let pendingBytes = 0
  let skipping = false

  const append = (part: Buffer): void => {
    if (skipping || part.length === 0) return
    if (pendingBytes + part.length > maxBytes + 1) {
      // One byte of room for a '\r' that the line ending may still take away.
      pending = []
      pendingBytes = 0
      skipping = true
      handlers.tooLong(maxBytes)
      return
    }
    pending.push(part)
    pendingBytes += part.length
  }

  const endLine = (): void => {
    if (!skipping) {
      let line = Buffer.concat(pending, pendingBytes)
      if (line.at(-1) === CARRIAGE_RETURN) line = line.subarray(0, -1)
      if (line.length > maxBytes) handlers.tooLong(maxBytes)
      else handlers.line(line.toString('utf8'))
    }
    pending = []
    pendingBytes = 0
    skipping = false
  }

  const onData = (chunk: Buffer): void => {
    let start = 0
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      append(chunk.subarray(start, end))
      endLine()
      start = end + 1
    }
    // Kept as a copy: the stream may reuse its chunk's memory.
    append(Buffer.from(chunk.subarray(start)))
  }

  const onEnd = (): void => {
    if (pendingBytes > 0 || skipping) endLine()
  }

  input.on('data', onData)
  input.on('end', onEnd)
  return () => {
    input.off('data', onData)
    input.off('end', onEnd)
  }
}
