/** The largest payload a tower takes by default: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024

/**
 * Room in a frame for everything but the payload: the tags, sequence number,
 * 16-byte id, hop count and a friend descriptor with a 253-character hostname
 * fit in under 300 bytes; 1 KiB leaves margin for fields added later.
 */
export const FRAME_HEADER_ROOM = 1024

/**
 * A bound on a Message frame's size besides its payload and friend: length
 * prefix, tags, a sequence number up to 2^53, the 16-byte id, the payload's
 * length and the hop count take at most 44 bytes.
 */
export const MESSAGE_FRAME_OVERHEAD = 48

/** The largest frame body (length prefix excluded) read by default. */
export const DEFAULT_MAX_FRAME_BYTES = DEFAULT_MAX_PAYLOAD_BYTES + FRAME_HEADER_ROOM

/** A varint of five bytes holds any 32-bit length; longer prefixes are refused. */
export const MAX_LENGTH_PREFIX_BYTES = 5

/**
 * From this size on a payload is held as its own buffer rather than copied
 * about: the tower's queue keeps it by reference instead of packing it into a
 * slab, so the decoder gives it memory of its own (a copy, unless the frame
 * body already is one) instead of a view that would keep a socket chunk alive.
 * Below it, copying is cheaper than the objects a buffer of its own costs.
 */
export const LARGE_PAYLOAD_BYTES = 4096
