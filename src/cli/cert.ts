/** `clacks cert`: writes a key and a self-signed ECDSA P-256 certificate for a tower. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Command } from 'commander'
import { hostname, integer } from './args.js'
import { runtimeError, usageError } from './exit.js'
import { addFlags, boolean, path, readFlags, value } from './flags.js'
import { CERT_FILE, describeCertificate, KEY_FILE, writeNewPair } from './keys.js'

const FLAGS = {
  out: path('--out <dir>', `the folder to write ${KEY_FILE} and ${CERT_FILE} into (created if missing); a tower's --state-dir uses the same names`),
  hostname: value('--hostname <host>', 'the hostname or IP the tower is reached by: the certificate\'s name (default: localhost)', hostname),
  days: value('--days <n>', 'days the certificate stays valid (default: 365)', integer(1, 100 * 366)),
  force: boolean('--force', 'overwrite existing files')
}

export function certCommand (): Command {
  const command = new Command('cert')
    .summary('write a key and a self-signed certificate for a tower')
    .description(`Writes ${KEY_FILE} (PKCS#8, readable by you only) and ${CERT_FILE} (X.509, ECDSA P-256, SHA-256) for a tower.`)
  addFlags(command, FLAGS)
  return command.action(async () => {
    const flags = readFlags(command, FLAGS)
    if (flags.out === undefined) throw usageError('--out <dir> is required: the folder to write the key and certificate into')
    const name = flags.hostname ?? 'localhost'
    const files = [join(flags.out, KEY_FILE), join(flags.out, CERT_FILE)]
    const existing = files.filter(file => existsSync(file))
    if (existing.length > 0 && flags.force !== true) {
      throw runtimeError(`${existing.join(' and ')} already ${existing.length > 1 ? 'exist' : 'exists'}: use --force to overwrite, or choose another --out`)
    }
    const { cert } = await writeNewPair(flags.out, name, '--out', flags.days)
    const about = describeCertificate(cert)
    console.log(`wrote ${files[0]} and ${files[1]}`)
    console.log(`  ${about.subject}, ECDSA P-256, valid until ${about.validTo}`)
    console.log(`  SHA-256 fingerprint ${about.fingerprint}`)
  })
}
