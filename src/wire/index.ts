export { encodeFrame, FrameBatch } from './encoder.js'
export { FrameDecoder, decodeFrameBody, type FrameDecoderOptions } from './decoder.js'
export { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_PAYLOAD_BYTES, FRAME_HEADER_ROOM, MAX_LENGTH_PREFIX_BYTES, MESSAGE_FRAME_OVERHEAD } from './limits.js'
export { messageId, messagePayload, newMessageRecord, recordOfMessage, type MessageRecord } from './message-fast-path.js'
