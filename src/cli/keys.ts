/**
 * The key and certificate a tower runs with: the operator's files, or a
 * self-signed pair generated once and kept in the state folder.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { checkKeyPair, ClacksError, generateCertificate } from '../index.js'
import { reason, runtimeError, usageError } from './exit.js'

export const KEY_FILE = 'key.pem'
export const CERT_FILE = 'cert.pem'

export interface KeyPair {
  key: string
  cert: string
  /** Where they came from, for the start-up line. */
  origin: string
}

/**
 * The state folder: --state-dir, else systemd's $STATE_DIRECTORY, else
 * $XDG_STATE_HOME/clacks, else ~/.local/state/clacks.
 */
export function defaultStateDir (env: NodeJS.ProcessEnv = process.env): string {
  const systemd = env.STATE_DIRECTORY?.split(':')[0]
  if (systemd !== undefined && systemd !== '') return systemd
  const xdg = env.XDG_STATE_HOME
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'state'), 'clacks')
}

/** Reads and checks an operator's pair. */
export function readKeyPair (keyFile: string, certFile: string): KeyPair {
  const key = readText(keyFile, 'key')
  const cert = readText(certFile, 'certificate')
  checkPair(key, cert, `${keyFile} and ${certFile}`, 'check the files, or leave out --key and --cert to use a generated certificate')
  return { key, cert, origin: `key ${keyFile}, certificate ${certFile}` }
}

/** The pair kept in `dir`, made (and written, key readable by the owner only) on first use. */
export async function stateKeyPair (dir: string, hostname: string): Promise<KeyPair> {
  const keyFile = join(dir, KEY_FILE)
  const certFile = join(dir, CERT_FILE)
  const hasKey = existsSync(keyFile)
  const hasCert = existsSync(certFile)
  if (hasKey !== hasCert) {
    const [found, missing] = hasKey ? [keyFile, certFile] : [certFile, keyFile]
    throw runtimeError(`${found} is there but ${missing} is not: restore it, or remove ${found} to have a new pair generated`)
  }
  if (hasKey) {
    const key = readText(keyFile, 'key')
    const cert = readText(certFile, 'certificate')
    checkPair(key, cert, `${keyFile} and ${certFile}`, `remove both files to have a new pair generated, or pass --key and --cert`)
    return { key, cert, origin: `certificate kept in ${dir}` }
  }
  const pair = await writeNewPair(dir, hostname, '--state-dir')
  return { ...pair, origin: `new self-signed certificate for ${hostname}, kept in ${dir}` }
}

/** Generates an ECDSA P-256 pair for `hostname` and writes key.pem and cert.pem into `dir` (given by `flag`, named in the hint). */
export async function writeNewPair (dir: string, hostname: string, flag: '--out' | '--state-dir', days?: number): Promise<{ key: string, cert: string }> {
  let pair: { key: string, cert: string }
  try {
    pair = await generateCertificate({ hostname, days })
  } catch (error) {
    if (error instanceof ClacksError) throw usageError(`cannot make a certificate: ${error.message}`)
    throw error
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(join(dir, KEY_FILE), pair.key, { mode: 0o600 })
    writeFileSync(join(dir, CERT_FILE), pair.cert, { mode: 0o644 })
  } catch (error) {
    throw runtimeError(`cannot write the key and certificate into ${dir}: ${reason(error)} (choose a writable folder with ${flag})`, error)
  }
  return pair
}

/** "SHA-256 AB:CD:…" and the expiry date, for people comparing certificates. */
export function describeCertificate (cert: string): { fingerprint: string, validTo: string, subject: string } {
  const x509 = new X509Certificate(cert)
  return { fingerprint: x509.fingerprint256, validTo: x509.validTo, subject: x509.subject.replace(/\n/g, ', ') }
}

/** The file trust 'tofu' keeps its pins in, inside the state directory. */
export const PIN_FILE = 'pins.json'

/** A CA certificate file (PEM) for --ca. */
export function readCaFile (file: string): string {
  const text = readText(file, 'CA certificate')
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw runtimeError(`the CA certificate file ${file} holds no PEM certificate`)
  return text
}

function readText (file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw runtimeError(`cannot read the ${what} file ${file}: ${reason(error)}`, error)
  }
}

function checkPair (key: string, cert: string, where: string, fix: string): void {
  try {
    checkKeyPair(key, cert)
  } catch (error) {
    if (!(error instanceof ClacksError)) throw error
    throw runtimeError(`${where}: ${error.message}; ${fix}`, error)
  }
}
