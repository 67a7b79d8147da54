/**
 * The proof-of-concept applications in examples/ run as a user would run
 * them (node examples/NAME/run.js, on the built package), on loopback.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertBuilt } from '../cli/helpers/spawn.js'

assertBuilt()

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function node (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error as { code?: number }).code ?? null, stdout, stderr })
    })
  })
}

const runExample = (name: string): ReturnType<typeof node> => node([join('examples', name, 'run.js')])

t.test('dead-drop: the letter outlives its sender, and only its recipient opens it', async t => {
  const run = await runExample('dead-drop')
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /^sender: left 2 sealed letters with the relays and went offline \(0 left behind\)$/m)
  t.match(run.stdout, /^relays: holding 2 letters they cannot read/m)
  t.match(run.stdout, /^recipient: opened a letter after \d+ hops: "Meet me at the Tump tower at dawn\. — A\."$/m)
  t.match(run.stdout, /^network: 1 letter still circulates \(not for this recipient\); the opened one is gone$/m)
})

t.test('dead-drop: a tampered or misaddressed letter does not open', async t => {
  const script = `
    import { keyPair, open, seal } from './examples/dead-drop/dead-drop.js'
    const bob = keyPair(), eve = keyPair()
    const letter = seal(bob.publicKey, 'hello')
    const tampered = Buffer.from(letter); tampered[tampered.length - 1] ^= 1
    console.log(JSON.stringify([open(bob, letter), open(eve, letter), open(bob, tampered), open(bob, Buffer.from('DD1 short')), open(bob, Buffer.from('plain'))]))`
  const run = await node(['--input-type=module', '-e', script])
  t.equal(run.code, 0, run.stderr)
  t.same(JSON.parse(run.stdout), ['hello', null, null, null, null])
})

t.test('overhead: every tower meets every name, a late one too', async t => {
  const run = await runExample('overhead')
  t.equal(run.code, 0, run.stderr)
  for (const tower of ['tower 1', 'tower 2', 'tower 3', 'late tower']) {
    for (const name of ['Terry Pratchett', 'John Dearheart', 'Robert Dearheart']) {
      const lines = run.stdout.split('\n').filter(line => line === `${tower} hears: GNU ${name}`)
      t.equal(lines.length, 1, `${tower} logs ${name} once`)
    }
  }
  t.match(run.stdout, /the late tower has met all 3 names; the overhead still carries 3 messages/)
})

t.test('board: each post shown once; a late tower sees what still circulates', async t => {
  const run = await runExample('board')
  t.equal(run.code, 0, run.stderr)
  const lines = run.stdout.split('\n')
  t.equal(lines.filter(line => line.startsWith('tower a: new post')).length, 4, 'a shows the four posts once each, though they pass it again and again')
  const atC = lines.filter(line => line.startsWith('tower c: new post'))
  t.equal(atC.length, 3, 'c, joining late, shows the three still circulating')
  t.notMatch(atC.join('\n'), /Fresh bread/, 'and not the one that expired before it joined')
  const board = lines.find(line => line.startsWith("c's board: ")) ?? ''
  for (const text of ['Lost: one Luggage', 'Choir practice', 'semaphore shutters']) t.match(board, text, `c's board lists "${text}"`)
})
