/**
 * Where `clacks start` takes each setting from: the command line over the
 * environment (CLACKS_*) over the --config file over the default, as
 * `clacks config --json` reports it, case by case.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { http, started } from './helpers/operate.js'
import { assertBuilt, clacks, run, tempDir } from './helpers/spawn.js'

assertBuilt()

interface Case {
  name: string
  flags?: string[]
  env?: Record<string, string>
  file?: Record<string, unknown>
  /** The setting looked at, as a flag. */
  setting: string
  value: unknown
  /** "flag --port", "env CLACKS_PORT", "file" (the config file's path is appended), "default", "unset". */
  source: string
}

const CASES: Case[] = [
  { name: 'nothing given: the default', setting: '--port', value: 8080, source: 'default' },
  { name: 'the file alone', file: { port: 7001 }, setting: '--port', value: 7001, source: 'file' },
  { name: 'the environment over the file', file: { port: 7001 }, env: { CLACKS_PORT: '7002' }, setting: '--port', value: 7002, source: 'env CLACKS_PORT' },
  { name: 'a flag over both', file: { port: 7001 }, env: { CLACKS_PORT: '7002' }, flags: ['--port', '7003'], setting: '--port', value: 7003, source: 'flag --port' },
  { name: 'an empty variable is unset', file: { port: 7001 }, env: { CLACKS_PORT: '' }, setting: '--port', value: 7001, source: 'file' },
  { name: 'a kebab-case flag from the environment', env: { CLACKS_DRAIN_TIMEOUT: '25000' }, setting: '--drain-timeout', value: 25000, source: 'env CLACKS_DRAIN_TIMEOUT' },
  { name: 'a list from the environment, comma-separated', env: { CLACKS_BOOTSTRAP: '127.0.0.1:7001, 127.0.0.2:7002' }, setting: '--bootstrap', value: ['127.0.0.1:7001', '127.0.0.2:7002'], source: 'env CLACKS_BOOTSTRAP' },
  { name: 'a list from the file', file: { announce: ['127.0.0.3:7003'] }, setting: '--announce', value: ['127.0.0.3:7003'], source: 'file' },
  { name: 'a list flag replaces the environment\'s list', env: { CLACKS_BOOTSTRAP: '127.0.0.1:7001' }, flags: ['--bootstrap', '127.0.0.9:7009,127.0.0.8:7008'], setting: '--bootstrap', value: ['127.0.0.9:7009', '127.0.0.8:7008'], source: 'flag --bootstrap' },
  { name: 'a switch from the environment', env: { CLACKS_PRINT: 'true' }, setting: '--print', value: true, source: 'env CLACKS_PRINT' },
  { name: 'a switch turned off by the environment over the file', file: { quiet: true }, env: { CLACKS_QUIET: '0' }, setting: '--quiet', value: false, source: 'env CLACKS_QUIET' },
  { name: 'a rate of 0 from the environment is unlimited', env: { CLACKS_SENDRATE: '0' }, setting: '--sendrate', value: 'unlimited', source: 'env CLACKS_SENDRATE' },
  { name: 'the log format from the environment', env: { CLACKS_LOG_FORMAT: 'pretty' }, setting: '--log-format', value: 'pretty', source: 'env CLACKS_LOG_FORMAT' },
  { name: 'the log format defaults to json off a terminal', env: { CLACKS_LOG_FORMAT: '' }, setting: '--log-format', value: 'json', source: 'default' },
  { name: 'a DNS name with its port', env: { CLACKS_BOOTSTRAP_DNS: 'clacks.default.svc.cluster.local:7070' }, setting: '--bootstrap-dns', value: 'clacks.default.svc.cluster.local:7070', source: 'env CLACKS_BOOTSTRAP_DNS' },
  { name: 'a queue limit from the file', file: { 'max-queue-messages': 500000 }, setting: '--max-queue-messages', value: 500000, source: 'file' },
  { name: 'no admin endpoint unless asked', setting: '--admin', value: null, source: 'unset' }
]

t.test('precedence: flag > environment > file > default', async t => {
  const dir = tempDir(t)
  for (const [index, row] of CASES.entries()) {
    const args = ['config', '--json', ...(row.flags ?? [])]
    const env: Record<string, string> = { ...row.env }
    let file: string | undefined
    if (row.file !== undefined) {
      file = join(dir, `case-${index}.json`)
      writeFileSync(file, JSON.stringify(row.file))
      // Half the cases name the file by flag, half by CLACKS_CONFIG: both are the same file.
      if (index % 2 === 0) args.push('--config', file)
      else env.CLACKS_CONFIG = file
    }
    const result = await run(t, args, 30_000, { env })
    t.equal(result.code, 0, `${row.name}: exit 0 ${result.stderr}`)
    const settings = JSON.parse(result.stdout) as Record<string, { value: unknown, source: string }>
    const source = row.source === 'file' ? `file ${file}` : row.source
    t.same(settings[row.setting], { value: row.value, source }, row.name)
  }
})

t.test('paths: from the environment relative to the working directory, from a file relative to the file', async t => {
  const dir = tempDir(t)
  const file = join(dir, 'tower.json')
  writeFileSync(file, JSON.stringify({ 'state-dir': 'from-file', key: 'tower.key' }))
  const result = await run(t, ['config', '--json', '--config', file], 30_000, { cwd: dir, env: { CLACKS_STATE_DIR: 'from-env' } })
  const settings = JSON.parse(result.stdout) as Record<string, { value: unknown, source: string }>
  t.same(settings['--state-dir'], { value: join(dir, 'from-env'), source: 'env CLACKS_STATE_DIR' })
  t.same(settings['--key'], { value: join(dir, 'tower.key'), source: `file ${file}` })
})

t.test('a bad value in the environment is a usage error naming the variable', async t => {
  for (const [name, value] of [['CLACKS_PORT', 'eighty'], ['CLACKS_PRINT', 'maybe'], ['CLACKS_LOG_LEVEL', 'loud'], ['CLACKS_BOOTSTRAP', '127.0.0.1']]) {
    for (const command of ['config', 'start']) {
      const result = await run(t, [command], 30_000, { env: { [name as string]: value as string } })
      t.equal(result.code, 2, `${command} with ${name}=${value}: exit 2`)
      t.match(result.stderr, new RegExp(`^clacks ${command}: environment variable ${name}="${value}": must`), 'one line naming the variable')
    }
  }
})

t.test('the table for a person shows every setting and its source', async t => {
  const result = await run(t, ['config', '--sendrate', '100'], 30_000, { env: { CLACKS_PORT: '7070' } })
  t.equal(result.code, 0)
  t.match(result.stdout, /^--port +7070 +env CLACKS_PORT$/m)
  t.match(result.stdout, /^--sendrate +100 +flag --sendrate$/m)
  t.match(result.stdout, /^--byterate +unlimited +default$/m)
  t.match(result.stdout, /^--announce +- +unset$/m)
})

t.test('a CLACKS_ variable that is no setting is named, not silently ignored', async t => {
  const result = await run(t, ['config'], 30_000, { env: { CLACKS_DRAIN_TIMOUT: '5000' } })
  t.equal(result.code, 0)
  t.match(result.stderr, /^clacks config: CLACKS_DRAIN_TIMOUT is not a setting of clacks start: ignored$/m)
  t.match(result.stdout, /^--drain-timeout +10000 +default$/m)
})

t.test('start runs with what config shows: a queue limit from the environment bites', async t => {
  const dir = tempDir(t)
  const tower = clacks(t, ['start', '--port', '0', '--status-interval', '0'], {
    env: { CLACKS_HOSTNAME: '127.0.0.1', CLACKS_ADMIN: '127.0.0.1:0', CLACKS_STATE_DIR: dir, CLACKS_MAX_QUEUE_MESSAGES: '2' }
  })
  const { admin } = await started(tower)
  const answers = []
  for (let i = 0; i < 3; i++) answers.push((await http('POST', `${admin}/enqueue`, `m${i}`)).status)
  t.same(answers, [201, 201, 503], 'the third message meets a full queue')
})
