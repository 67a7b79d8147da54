// Reads tap's closing "# { total: N, pass: N, fail: N ... }" line from a test
// log and prints the plain "N passed, N failed" line CI reads.
import { readFileSync } from 'node:fs'

const log = readFileSync(process.argv[2], 'utf8')
const summary = [...log.matchAll(/^# \{ total: (\d+)(.*)\}$/gm)].at(-1)
if (summary === undefined) {
  console.log('0 passed, 1 failed')
  process.exit(0)
}
const field = name => Number(new RegExp(`${name}: (\\d+)`).exec(summary[2])?.[1] ?? 0)
const failed = field('fail')
console.log(`${field('pass')} passed, ${failed} failed`)
