/**
 * Certificates for towers.
 *
 * Towers usually run with a self-signed certificate: in protocol v1 a tower's
 * identity is the hostname:port it advertises, and TLS is there for
 * confidentiality and integrity of the link (see PROTOCOL.md, "Transport").
 * `generateCertificate()` makes such a certificate so that a tower can start
 * without an operator-supplied one; `checkKeyPair()` checks an operator's pair
 * before the TLS server is built, so a bad file fails with a clear, typed error
 * instead of an OpenSSL message at the first connection.
 */
import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import type * as X509 from '@peculiar/x509'
import { CertificateError, InvalidOptionError } from '../errors.js'

export interface GenerateCertificateOptions {
  /**
   * The tower's hostname (DNS name, IPv4 or IPv6 address, no brackets): the
   * certificate's subject CN and its SubjectAltName.
   * @default 'localhost'
   */
  hostname?: string
  /**
   * How long the certificate stays valid, in days from now. May be fractional.
   * @default 365
   */
  days?: number
}

export interface KeyAndCertificate {
  /** The private key, PEM, PKCS#8 (`-----BEGIN PRIVATE KEY-----`). */
  key: string
  /** The self-signed X.509 v3 certificate, PEM. */
  cert: string
}

/** @default 'localhost' */
export const DEFAULT_CERTIFICATE_HOSTNAME = 'localhost'
/** @default 365 */
export const DEFAULT_CERTIFICATE_DAYS = 365
/** notBefore is set this far in the past so that peers with a slow clock accept the certificate. */
const CLOCK_SKEW_MS = 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000
/** The same alphabet as TowerDescriptor.hostname in tower.proto. */
const HOSTNAME_PATTERN = /^[A-Za-z0-9._:-]{1,253}$/

const ECDSA_P256: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' }
const ECDSA_SHA256: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' }

/** The DOM WebCrypto types as @peculiar/x509 declares them (this project compiles without the DOM lib). */
type X509Crypto = NonNullable<Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[1]>
type X509KeyPair = X509.X509CertificateCreateSelfSignedParams['keys']

/**
 * The crypto provider handed to @peculiar/x509 on every call, so that this
 * module never touches the library's global `cryptoProvider`. Node's webcrypto
 * is the object the DOM `Crypto` type describes; the cast only bridges the two
 * type declarations.
 */
const provider = webcrypto as unknown as X509Crypto

/**
 * Makes an ECDSA P-256 key and a self-signed certificate (SHA-256) for
 * `hostname`: subject CN = hostname; SubjectAltName = the hostname as a DNS
 * name or an IP address, plus 127.0.0.1, ::1 and localhost when the hostname
 * is 'localhost'; valid from one hour ago until `days` from now; a random
 * 128-bit serial. Takes a few milliseconds (one key generation, one signature).
 *
 * @throws InvalidOptionError when the hostname or days are not valid.
 */
export async function generateCertificate (options: GenerateCertificateOptions = {}): Promise<KeyAndCertificate> {
  const hostname = options.hostname ?? DEFAULT_CERTIFICATE_HOSTNAME
  const days = options.days ?? DEFAULT_CERTIFICATE_DAYS
  if (typeof hostname !== 'string' || !HOSTNAME_PATTERN.test(hostname)) {
    throw new InvalidOptionError('hostname', 'must be 1 to 253 characters of letters, digits, ".", "-", "_" and ":"')
  }
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) {
    throw new InvalidOptionError('days', 'must be a positive number')
  }

  const x509 = await loadX509()
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])
  const pair = keys as unknown as X509KeyPair
  const now = Date.now()
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [hostname] }],
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + days * DAY_MS),
    signingAlgorithm: ECDSA_SHA256,
    keys: pair,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(subjectAltNames(hostname)),
      await x509.SubjectKeyIdentifierExtension.create(pair.publicKey, false, provider)
    ]
  }, provider)

  const key = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string
  return { key, cert: certificate.toString('pem') + '\n' }
}

/**
 * Checks that `key` and `cert` are PEM texts that parse and that the key is
 * the certificate's private key.
 *
 * @throws CertificateError (code CLACKS_ERR_CERTIFICATE) saying which check failed.
 */
export function checkKeyPair (key: string, cert: string): void {
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(key)
  } catch (err) {
    throw new CertificateError('the private key is not a readable PEM private key (an encrypted key is not supported)', { cause: err })
  }
  let certificate: NodeX509Certificate
  try {
    certificate = new NodeX509Certificate(cert)
  } catch (err) {
    throw new CertificateError('the certificate is not a readable PEM X.509 certificate', { cause: err })
  }
  let matches: boolean
  try {
    matches = certificate.checkPrivateKey(privateKey)
  } catch (err) {
    throw new CertificateError('the private key could not be checked against the certificate', { cause: err })
  }
  if (!matches) {
    throw new CertificateError(`the private key does not match the certificate (subject "${certificate.subject.replace(/\n/g, ', ')}")`)
  }
}

let x509Module: typeof X509 | undefined

/**
 * Loads @peculiar/x509 on first use. It needs the `reflect-metadata`
 * polyfill (its dependency tsyringe reads decorator metadata when loaded), so
 * that is loaded first; towers given a certificate never load either. A
 * dynamic import, not a require: the same code runs as ES module and as
 * CommonJS (the package's two builds).
 */
async function loadX509 (): Promise<typeof X509> {
  if (x509Module !== undefined) return x509Module
  await import('reflect-metadata')
  // Its CommonJS build, whole: the namespace's default in either module format.
  x509Module = (await import('@peculiar/x509')).default as unknown as typeof X509
  return x509Module
}

/** 16 random bytes as hex, top bit cleared so that the DER INTEGER stays positive and 16 bytes long. */
function randomSerial (): string {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01
  return bytes.toString('hex')
}

function subjectAltNames (hostname: string): X509.JsonGeneralName[] {
  if (hostname.toLowerCase() === 'localhost') {
    return [
      { type: 'dns', value: hostname },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' }
    ]
  }
  return [{ type: isIP(hostname) === 0 ? 'dns' : 'ip', value: hostname }]
}
