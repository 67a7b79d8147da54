/**
 * Who a tower trusts, option `trust`:
 *
 * - 'open': TLS encrypts, nobody is authenticated (with the `ca` option the
 *   towers this one dials are checked against it). Anyone may talk to the
 *   tower; the network is public by design.
 * - 'tofu': trust on first use. The public key a tower shows the first time
 *   a dial to its address completes a Clacks handshake is pinned to that
 *   address; a later dial that meets another key is refused and reported,
 *   until the operator unpins it. It catches a key that changed (a
 *   man in the middle, or a different machine now at that address); it
 *   cannot judge the first contact.
 * - 'ca': a closed network. Both sides show a certificate signed by the
 *   `ca` and both verify it: a stranger is refused in the TLS handshake,
 *   before a single frame is read.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { PeerCertificate } from 'node:tls'
import { CertificateError } from '../errors.js'

export type TrustMode = 'open' | 'tofu' | 'ca'

export const TRUST_MODES: readonly TrustMode[] = ['open', 'tofu', 'ca']

/** What the 'untrusted' event reports: a tower at a pinned address showed another key. */
export interface UntrustedTower {
  hostname: string
  port: number
  /** SHA-256 of the pinned public key, hex. */
  pinned: string
  /** SHA-256 of the public key shown now, hex. */
  presented: string
}

/** The SHA-256 of a certificate's public key, hex: what is pinned (a renewed certificate with the same key still matches). */
export function publicKeyFingerprint (certificate: PeerCertificate): string | undefined {
  const key = certificate.pubkey
  return key === undefined ? undefined : createHash('sha256').update(key).digest('hex')
}

interface PinFile {
  version: 1
  pins: Record<string, string>
}

/**
 * Pins by peer-table key, bounded (the oldest pin goes first), kept in a
 * JSON file when given one so that they survive a restart. The file is
 * written whole (to a temporary name, then renamed) when asked to save.
 */
export class PinStore {
  readonly #pins = new Map<string, string>()
  readonly #file: string | undefined
  readonly #maxPins: number
  #dirty = false

  constructor (file: string | undefined, maxPins: number) {
    this.#file = file
    this.#maxPins = maxPins
    if (file !== undefined) this.#load(file)
  }

  get size (): number {
    return this.#pins.size
  }

  /** Whether anything changed since the last save. */
  get dirty (): boolean {
    return this.#dirty
  }

  get (key: string): string | undefined {
    return this.#pins.get(key)
  }

  /** Pins `fingerprint` to `key` unless a pin is there already. */
  pinIfNew (key: string, fingerprint: string): void {
    if (this.#pins.has(key)) return
    if (this.#pins.size >= this.#maxPins) this.#pins.delete(this.#pins.keys().next().value as string)
    this.#pins.set(key, fingerprint)
    this.#dirty = true
  }

  /** Forgets the pin of `key`; true when there was one. */
  unpin (key: string): boolean {
    const had = this.#pins.delete(key)
    if (had) this.#dirty = true
    return had
  }

  /** Writes the pins to the file, if there is one and anything changed. */
  save (): void {
    if (this.#file === undefined || !this.#dirty) return
    const content: PinFile = { version: 1, pins: Object.fromEntries(this.#pins) }
    mkdirSync(dirname(this.#file), { recursive: true })
    const temporary = `${this.#file}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 })
    renameSync(temporary, this.#file)
    this.#dirty = false
  }

  #load (file: string): void {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new CertificateError(`cannot read the pin file ${file}: ${(error as Error).message}`, { cause: error })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new CertificateError(`the pin file ${file} is not JSON`, { cause: error })
    }
    const pins = (parsed as Partial<PinFile> | null)?.pins
    if (typeof pins !== 'object' || pins === null) throw new CertificateError(`the pin file ${file} has no "pins" object`)
    for (const [key, fingerprint] of Object.entries(pins)) {
      if (typeof fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(fingerprint)) throw new CertificateError(`the pin file ${file}: ${key} has no SHA-256 fingerprint`)
      this.#pins.set(key, fingerprint)
    }
  }
}
