// A dead drop: a letter sealed to one recipient's public key circulates
// through towers that cannot read it, or even tell whom it is for. The
// recipient's tower tries each message; the one it can open, it reads and
// takes out of circulation. The sender need not stay online.
import { createCipheriv, createDecipheriv, diffieHellman, generateKeyPairSync, createPublicKey, hkdfSync, randomBytes } from 'node:crypto'

const MAGIC = Buffer.from('DD1')
const INFO = Buffer.from('clacks dead-drop v1')

/** An X25519 key pair; the public half, as 32 raw bytes, is what senders need. */
export function keyPair () {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  return { privateKey, publicKey: rawPublic(publicKey) }
}

/** DD1 | sender's one-time public key (32) | IV (12) | tag (16) | ciphertext. */
export function seal (recipient, text) {
  const once = generateKeyPairSync('x25519')
  const ephemeral = rawPublic(once.publicKey)
  const key = deriveKey(diffieHellman({ privateKey: once.privateKey, publicKey: fromRaw(recipient) }), ephemeral, recipient)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.concat([MAGIC, ephemeral]))
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()])
  return Buffer.concat([MAGIC, ephemeral, iv, cipher.getAuthTag(), body])
}

/** The letter's text if it was sealed to this key pair, else undefined. */
export function open ({ privateKey, publicKey }, payload) {
  const bytes = Buffer.from(payload)
  if (bytes.length < 63 || !bytes.subarray(0, 3).equals(MAGIC)) return undefined
  const ephemeral = bytes.subarray(3, 35)
  const key = deriveKey(diffieHellman({ privateKey, publicKey: fromRaw(ephemeral) }), ephemeral, publicKey)
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(35, 47))
  decipher.setAAD(bytes.subarray(0, 35))
  decipher.setAuthTag(bytes.subarray(47, 63))
  try {
    return Buffer.concat([decipher.update(bytes.subarray(63)), decipher.final()]).toString('utf8')
  } catch {
    return undefined // sealed to someone else
  }
}

/** A tower's inboundFilter: letters for `keys` are handed to `deliver` and dropped; the rest pass on. */
export function recipientFilter (keys, deliver) {
  return message => {
    const text = open(keys, message.payload)
    if (text === undefined) return undefined
    deliver(text, message)
    return false
  }
}

function deriveKey (secret, ephemeral, recipient) {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.concat([ephemeral, recipient]), INFO, 32))
}

// X25519 public keys as raw bytes: the last 32 of their DER SubjectPublicKeyInfo.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')
function rawPublic (key) {
  return key.export({ type: 'spki', format: 'der' }).subarray(SPKI_PREFIX.length)
}
function fromRaw (raw) {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
}
