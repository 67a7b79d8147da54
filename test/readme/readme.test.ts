/**
 * The README's promises, kept: its code snippets compile and run as written
 * (against the built package, imported by its name), the stats() fields it
 * names exist, and `npm start` does what it says.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { startTower } from '../helpers/towers.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const run = promisify(execFile)

/** The fenced blocks of one language, in order. */
function snippets (language: string): string[] {
  return Array.from(README.matchAll(new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm')), match => match[1] as string)
}

/** A scratch app whose node_modules/clacks is this repository, as an install would make it. */
function scratchApp (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'clacks-readme-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules', 'clacks'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-snippets', private: true }))
  return dir
}

t.test('the TypeScript snippets compile, strictly, and run as written', async t => {
  const blocks = snippets('ts')
  t.ok(blocks.length > 0, 'the README has TypeScript snippets')
  const dir = scratchApp(t)
  const files = blocks.map((code, i) => {
    writeFileSync(join(dir, `snippet-${i + 1}.mts`), code)
    return `snippet-${i + 1}.mts`
  })
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, outDir: 'out', typeRoots: [join(ROOT, 'node_modules/@types')], types: ['node'] },
    files
  }))
  await t.resolves(run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir]), 'tsc compiles them')
  for (const file of files) {
    const { stderr } = await run(process.execPath, [join(dir, 'out', file.replace('.mts', '.mjs'))], { cwd: dir, timeout: 60_000 })
    t.equal(stderr, '', `${file} runs to its end, without a word on stderr`)
  }
})

t.test('the JavaScript snippets run as written, from CommonJS', async t => {
  const blocks = snippets('js')
  t.ok(blocks.length > 0, 'the README has JavaScript snippets')
  const dir = scratchApp(t)
  for (const [i, code] of blocks.entries()) {
    const file = join(dir, `snippet-${i + 1}.cjs`)
    writeFileSync(file, code)
    const { stdout, stderr } = await run(process.execPath, [file], { cwd: dir, timeout: 60_000 })
    t.equal(stderr, '', `snippet ${i + 1} runs without a word on stderr`)
    t.match(stdout, /left: 1/, 'and prints what close() says')
  }
})

t.test('every stats() field the README names is one stats() has', async t => {
  const line = README.split('\n').find(text => text.startsWith('tower.stats()')) ?? ''
  const named = (line.split('counters:')[1] ?? '').split(',').map(item => item.trim().split(/\s/)[0] as string).filter(name => /^\w+$/.test(name))
  t.ok(named.length >= 10, `the README names fields: ${named.join(', ')}`)
  const tower = await startTower()
  t.teardown(() => tower.close({ drain: false }))
  const fields = Object.keys(tower.stats())
  for (const name of named) t.ok(fields.includes(name), `stats().${name} exists`)
})

t.test('npm start runs the demo the README says, and it ends by itself with the conservation check', async t => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const command = (pkg.scripts.start as string).split('&&').map(part => part.trim()).find(part => part.startsWith('node ')) as string
  const args = command.split(/\s+/).slice(1)
  t.same(args.slice(1), ['demo', '--duration', '10'], 'npm start runs clacks demo --duration 10')
  t.match(README, /npm start +# install, then run a local network of 5 towers on loopback for 10 s/, 'as the README\'s first lines say')
  t.match(README, /`npm start` runs `clacks demo --duration 10`/)
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, timeout: 90_000 })
  t.match(stdout, /for 10 s/)
  t.match(stdout, /conservation held/, 'it ended by itself, with the check')
})

t.test('the README\'s clacks cert command works as written', async t => {
  const line = README.split('\n').find(text => text.startsWith('clacks cert ')) as string
  const args = line.split('#')[0]?.trim().split(/\s+/).slice(1) as string[]
  const dir = mkdtempSync(join(tmpdir(), 'clacks-readme-cert-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { stdout } = await run(process.execPath, [join(ROOT, 'dist/cli/main.js'), ...args], { cwd: dir, timeout: 30_000 })
  t.match(stdout, /wrote \S*tower1\/key\.pem and \S*tower1\/cert\.pem/, 'the key and certificate in ./tower1')
})
