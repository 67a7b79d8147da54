/**
 * Every error Clacks raises is a ClacksError with a stable `code`, so callers
 * branch on `err.code`, never on message text or class name.
 */
export type ClacksErrorCode =
  | 'CLACKS_ERR_FRAME_TOO_LARGE'
  | 'CLACKS_ERR_VARINT_TOO_LONG'
  | 'CLACKS_ERR_MALFORMED_FRAME'
  | 'CLACKS_ERR_PROTOCOL'
  | 'CLACKS_ERR_INVALID_OPTION'
  | 'CLACKS_ERR_INVALID_ARGUMENT'
  | 'CLACKS_ERR_INVALID_ADDRESS'
  | 'CLACKS_ERR_INVALID_PAYLOAD'
  | 'CLACKS_ERR_QUEUE_FULL'
  | 'CLACKS_ERR_REFUSED'
  | 'CLACKS_ERR_HANDSHAKE_TIMEOUT'
  | 'CLACKS_ERR_CONNECTION'
  | 'CLACKS_ERR_NOT_STARTED'
  | 'CLACKS_ERR_ALREADY_STARTED'
  | 'CLACKS_ERR_CLOSED'
  | 'CLACKS_ERR_CERTIFICATE'
  | 'CLACKS_ERR_LISTEN'
  | 'CLACKS_ERR_SIM_VIOLATION'
  | 'CLACKS_ERR_UNTRUSTED'

export class ClacksError extends Error {
  readonly code: ClacksErrorCode

  constructor (code: ClacksErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** A frame's declared length is over the limit; raised before any of it is buffered. */
export class FrameTooLargeError extends ClacksError {
  constructor (readonly length: number, readonly limit: number) {
    super('CLACKS_ERR_FRAME_TOO_LARGE', `frame of ${length} bytes is over the ${limit}-byte limit`)
  }
}

/** A length prefix runs on past the five bytes any allowed length fits in. */
export class VarintTooLongError extends ClacksError {
  constructor () {
    super('CLACKS_ERR_VARINT_TOO_LONG', 'length prefix is longer than 5 bytes')
  }
}

/** The bytes of a frame are not a valid `Frame` of this protocol version. */
export class MalformedFrameError extends ClacksError {
  constructor (message: string, options?: { cause?: unknown }) {
    super('CLACKS_ERR_MALFORMED_FRAME', message, options)
  }
}

/** A well-formed frame arrived where the conversation does not allow it. */
export class ProtocolError extends ClacksError {
  constructor (message: string) {
    super('CLACKS_ERR_PROTOCOL', message)
  }
}

export class InvalidOptionError extends ClacksError {
  /** What is wrong with the value, without the option's name: for callers that name options their own way (CLI flags). */
  readonly problem: string

  constructor (readonly option: string, problem: string) {
    super('CLACKS_ERR_INVALID_OPTION', `option "${option}": ${problem}`)
    this.problem = problem
  }
}

/** A call's arguments are not of a shape it takes (for options, see InvalidOptionError). */
export class InvalidArgumentError extends ClacksError {
  constructor (message: string) {
    super('CLACKS_ERR_INVALID_ARGUMENT', message)
  }
}

export class InvalidAddressError extends ClacksError {
  constructor (message: string) {
    super('CLACKS_ERR_INVALID_ADDRESS', message)
  }
}

export class InvalidPayloadError extends ClacksError {
  constructor (message: string) {
    super('CLACKS_ERR_INVALID_PAYLOAD', message)
  }
}

export class QueueFullError extends ClacksError {
  constructor (message: string) {
    super('CLACKS_ERR_QUEUE_FULL', message)
  }
}

/** The remote tower refused us: it ignores us, or speaks another version, or is full. */
export class RefusedError extends ClacksError {
  constructor (message: string) {
    super('CLACKS_ERR_REFUSED', message)
  }
}

export class HandshakeTimeoutError extends ClacksError {
  constructor (ms: number) {
    super('CLACKS_ERR_HANDSHAKE_TIMEOUT', `handshake did not finish within ${ms} ms`)
  }
}

export class ConnectionError extends ClacksError {
  constructor (message: string, options?: { cause?: unknown }) {
    super('CLACKS_ERR_CONNECTION', message, options)
  }
}

export class NotStartedError extends ClacksError {
  constructor () {
    super('CLACKS_ERR_NOT_STARTED', 'the tower is not started: call init() first')
  }
}

/** init() on a tower that was started before: a tower starts once. */
export class AlreadyStartedError extends ClacksError {
  constructor (state: string) {
    super('CLACKS_ERR_ALREADY_STARTED', `init() was already called: this tower is ${state}, and a tower starts once (make another with createTower())`)
  }
}

export class ClosedError extends ClacksError {
  constructor () {
    super('CLACKS_ERR_CLOSED', 'the tower is closed')
  }
}

export class CertificateError extends ClacksError {
  constructor (message: string, options?: { cause?: unknown }) {
    super('CLACKS_ERR_CERTIFICATE', message, options)
  }
}

/** The tower could not listen: the port is taken, or the address is not this machine's. */
export class ListenError extends ClacksError {
  /** The system's reason, e.g. 'EADDRINUSE' (port taken), 'EADDRNOTAVAIL' (not this machine's address), 'EACCES'. */
  readonly reason: string | undefined

  constructor (message: string, options?: { cause?: unknown, reason?: string }) {
    super('CLACKS_ERR_LISTEN', message, options)
    this.reason = options?.reason
  }
}

/** Under trust 'tofu', a tower showed another public key than the one pinned to its address. */
export class UntrustedError extends ClacksError {
  constructor (message: string) {
    super('CLACKS_ERR_UNTRUSTED', message)
  }
}
