import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { Frame } from '../gen/clacks/v1/frame.js'
import { clearMessageRecord, MAX_ACK_FRAME_BYTES, newMessageRecord, rangeOf, recordFrameSize, recordOfMessage, writeAckFrame, writeRecordFrame, writeRecordFrameHead, writeRecordFrameTail, type MessageRecord } from './message-fast-path.js'

/** One writer for every frame encodeFrame makes (a connection's Hello and Welcome, a Goodbye): a new one each time cost an allocation per frame. */
let writer = new BinaryWriter()
const REUSED_WRITER_BYTES = 4096

/**
 * Encodes one frame in protobuf's delimited form: the body's length as a
 * varint, then the body, in a single buffer. Uses the generated code: this is
 * the reference the fast path in FrameBatch is checked against.
 */
export function encodeFrame (frame: Frame): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = Frame.encode(frame, writer.fork()).join().finish()
  } catch (error) {
    // A field out of range stops the encoder half-way: the next frame starts with a clean writer.
    writer = new BinaryWriter()
    throw error
  }
  // finish() copies out and rewinds, keeping the writer's memory for the next frame, unless a rare big one grew it.
  if (bytes.length > REUSED_WRITER_BYTES) writer = new BinaryWriter()
  return bytes
}

/**
 * A batch writes its frames into segments of this size. Memory written again
 * and again stays in the CPU's caches; a fresh buffer per batch did not (a
 * 1 KiB frame cost ~330 ns to write into one, ~130 ns into a reused one).
 * As large as the most a link batches (WRITE_BUFFER_LIMIT, 1 MiB), so that a
 * batch is one chunk: node:tls copies the chunks of a corked write into one
 * buffer before encrypting them, and at 1 KiB a busy link's batches of
 * ~260 KiB were 5 segments of 64 KiB, every byte copied once more.
 */
export const SEGMENT_BYTES = 1024 * 1024

/**
 * A batch of at most this many bytes leaves as a copy the size of its frames,
 * and its segment goes straight back to the spares: a write of a few frames
 * (an acknowledgement, a quiet link's messages) never holds a whole 1 MiB
 * segment while it waits in a socket. With only MAX_SPARE_SEGMENTS spares, a
 * tower with many moderately busy links would otherwise allocate and pin a
 * segment per link per write; a copy of at most 64 KiB costs a few
 * microseconds, less than encrypting it.
 */
const COPY_OUT_BYTES = 64 * 1024

/** Segments kept for reuse, by every batch in the process together: at most 4 MiB. */
const MAX_SPARE_SEGMENTS = 4
const spareSegments: Buffer[] = []

/** A segment of SEGMENT_BYTES, or a buffer of its own for a frame too big for one (a friend with a huge hostname). */
function takeSegment (size: number): Buffer {
  if (size > SEGMENT_BYTES) return Buffer.allocUnsafe(size)
  return spareSegments.pop() ?? Buffer.allocUnsafeSlow(SEGMENT_BYTES)
}

/**
 * Takes back segments a finished batch handed out (see FrameBatch.finishSegments)
 * once nothing reads them any more: their socket write has completed.
 */
export function recycleSegments (segments: readonly Buffer[]): void {
  for (const segment of segments) {
    if (segment.length === SEGMENT_BYTES && spareSegments.length < MAX_SPARE_SEGMENTS) spareSegments.push(segment)
  }
}

/**
 * A payload at least this large goes to the socket as it is, between the
 * batch's own bytes, instead of being copied into the batch: at 16 KiB and
 * more the copy costs more than the extra chunk in a corked write.
 */
export const BY_REFERENCE_BYTES = 16 * 1024

/** A finished batch: chunks to write in order, and the segments they are cut from. */
export interface FinishedBatch {
  chunks: Uint8Array[]
  /** Give these to recycleSegments once the chunks are written, or drop them. */
  segments: Buffer[]
}

const NO_SEGMENTS: Buffer[] = []

/**
 * Collects many frames for one socket write, so that a busy link makes one
 * write for a whole batch instead of one per frame. Message and Ack frames
 * are written straight into the batch's segment, large payloads by
 * reference; other frames go through the generated encoder.
 */
export class FrameBatch {
  /** The segment being written, taken from the spares at the first frame. */
  #segment: Buffer | undefined
  /** Bytes used in #segment. */
  #used = 0
  /** Where the bytes of #segment not yet in #chunks begin. */
  #chunkStart = 0
  #chunks: Uint8Array[] = []
  /** Full segments, already cut into #chunks. */
  #full: Buffer[] = []
  #length = 0
  #count = 0
  /** The record add() writes a Message through. */
  readonly #message = newMessageRecord()

  /** Frames added since the last finish. */
  get count (): number {
    return this.#count
  }

  /** Bytes added since the last finish. */
  get length (): number {
    return this.#length
  }

  add (frame: Frame): this {
    const kind = frame.kind
    if (kind?.$case === 'message') {
      this.#addRecord(recordOfMessage(kind.value, this.#message))
      clearMessageRecord(this.#message)
    } else if (kind?.$case === 'ack') {
      this.#addAck(kind.value.seq)
    } else {
      this.#addChunk(encodeFrame(frame))
    }
    this.#count++
    return this
  }

  /**
   * Adds a Message frame for a record (see MessageRecord): its id and payload
   * are copied from where they lie, large payloads taken by reference.
   */
  addMessageRecord (record: MessageRecord): this {
    this.#addRecord(record)
    this.#count++
    return this
  }

  /**
   * The frames added so far, in order, as chunks to write in order, with the
   * segments under them; the batch starts empty again. A small batch comes
   * as a copy of its own, with no segments.
   */
  finishSegments (): FinishedBatch {
    const segment = this.#segment
    const chunks = this.#chunks
    let segments = NO_SEGMENTS
    if (segment !== undefined) {
      if (this.#full.length === 0 && chunks.length === 0 && this.#used <= COPY_OUT_BYTES) {
        if (this.#used > 0) {
          const copy = Buffer.allocUnsafe(this.#used)
          segment.copy(copy, 0, 0, this.#used)
          chunks.push(copy)
        }
        recycleSegments([segment])
      } else {
        this.#cutChunk()
        segments = this.#full
        segments.push(segment)
        this.#full = []
      }
    }
    this.#segment = undefined
    this.#chunks = []
    this.#used = this.#chunkStart = this.#length = this.#count = 0
    return { chunks, segments }
  }

  /** The frames added so far, in order, as chunks; the batch starts empty again. */
  finishChunks (): Uint8Array[] {
    return this.finishSegments().chunks
  }

  /** The frames added so far, in order, in one buffer; the batch starts empty again. */
  finish (): Uint8Array {
    const chunks = this.finishChunks()
    return chunks.length === 1 ? chunks[0] as Uint8Array : Buffer.concat(chunks)
  }

  #addRecord (record: MessageRecord): void {
    const size = recordFrameSize(record)
    this.#length += size
    const payloadLength = record.payloadLength
    if (payloadLength < BY_REFERENCE_BYTES) {
      this.#used = writeRecordFrame(this.#reserve(size), this.#used, record)
      return
    }
    const segment = this.#reserve(size - payloadLength)
    this.#used = writeRecordFrameHead(segment, this.#used, record)
    this.#cutChunk()
    this.#chunks.push(rangeOf(record.payloadBytes, record.payloadStart, payloadLength))
    this.#used = writeRecordFrameTail(segment, this.#used, record.hops)
  }

  #addAck (seq: number): void {
    const segment = this.#reserve(MAX_ACK_FRAME_BYTES)
    const start = this.#used
    this.#used = writeAckFrame(segment, start, seq)
    this.#length += this.#used - start
  }

  /** A frame encoded elsewhere goes out as it is, between the segment's bytes. */
  #addChunk (bytes: Uint8Array): void {
    this.#cutChunk()
    this.#chunks.push(bytes)
    this.#length += bytes.length
  }

  /** Hands what the segment holds since the last chunk to #chunks: the next chunk starts at #used. */
  #cutChunk (): void {
    if (this.#segment !== undefined && this.#used > this.#chunkStart) this.#chunks.push(this.#segment.subarray(this.#chunkStart, this.#used))
    this.#chunkStart = this.#used
  }

  /** The segment with `size` free bytes after #used: a new one when the current one is full. */
  #reserve (size: number): Buffer {
    const segment = this.#segment
    if (segment !== undefined && this.#used + size <= segment.length) return segment
    if (segment !== undefined) {
      this.#cutChunk()
      this.#full.push(segment)
    }
    const next = takeSegment(size)
    this.#segment = next
    this.#used = this.#chunkStart = 0
    return next
  }
}
