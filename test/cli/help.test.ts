/** --help on every command, --version, the shebang. */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { assertBuilt, CLI, run } from './helpers/spawn.js'

assertBuilt()

t.test('the binary is an executable script', async t => {
  t.ok(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n'), 'shebang on the first line')
})

t.test('--version', async t => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  const result = await run(t, ['--version'])
  t.same({ code: result.code, stdout: result.stdout }, { code: 0, stdout: version + '\n' })
})

t.test('--help on every command', async t => {
  const top = await run(t, ['--help'])
  t.equal(top.code, 0)
  for (const command of ['demo', 'start', 'status', 'cert']) t.match(top.stdout, new RegExp(`\\n  ${command} `), `lists ${command}`)
  for (const [command, flag] of [['demo', '--towers'], ['start', '--announce'], ['status', '--admin'], ['cert', '--out']]) {
    const help = await run(t, [command as string, '--help'])
    t.equal(help.code, 0, `${command} --help exits 0`)
    t.match(help.stdout, new RegExp(`^Usage: clacks ${command} \\[options\\]`), `${command} usage`)
    t.match(help.stdout, new RegExp(`${flag}.*\\n[^]*--config <file>`), `${command} documents ${flag} and --config`)
  }
})
