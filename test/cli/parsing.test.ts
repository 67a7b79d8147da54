import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { hostPort, listenAddress, rate, integer, isLoopback, formatHostPort } from '../../src/cli/args.js'
import { addFlags, boolean, list, path, readFlags, value } from '../../src/cli/flags.js'
import { CliError, EXIT_USAGE, flagName, fromLibraryError } from '../../src/cli/exit.js'
import { InvalidOptionError, ListenError } from '../../src/index.js'
import { tempDir } from './helpers/spawn.js'

t.test('host:port', async t => {
  t.same(hostPort('127.0.0.1:8080'), { hostname: '127.0.0.1', port: 8080 })
  t.same(hostPort('tower.example:7'), { hostname: 'tower.example', port: 7 })
  t.same(hostPort('[::1]:9'), { hostname: '::1', port: 9 })
  t.equal(formatHostPort({ hostname: '::1', port: 9 }), '[::1]:9')
  for (const bad of ['nohost', ':80', 'a b:80', 'host:', 'host:65536', 'host:0', 'host:8x']) {
    t.throws(() => hostPort(bad), InvalidArgumentError, bad)
  }
  t.same(listenAddress('9090'), { hostname: '127.0.0.1', port: 9090 }, 'a bare port is loopback')
  t.same(listenAddress('127.0.0.1:0'), { hostname: '127.0.0.1', port: 0 }, 'port 0 allowed where we listen')
})

t.test('rates: 0 means unlimited', async t => {
  t.equal(rate('0'), Infinity)
  t.equal(rate('unlimited'), Infinity)
  t.equal(rate('2.5'), 2.5)
  for (const bad of ['-1', '', 'fast', 'NaN']) t.throws(() => rate(bad), InvalidArgumentError, bad)
  t.equal(integer(2, 5)('3'), 3)
  for (const bad of ['1', '6', '2.5', ' ', 'x']) t.throws(() => integer(2, 5)(bad), InvalidArgumentError, bad)
})

t.test('loopback', async t => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) t.ok(isLoopback(host), host)
  for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) t.notOk(isLoopback(host), host)
})

const TABLE = {
  port: value('--port <port>', 'port', integer(0, 65535)),
  announce: list('--announce <host:port...>', 'peers', hostPort),
  stateDir: path('--state-dir <dir>', 'dir'),
  print: boolean('--print', 'print')
}

function parse (args: string[]): ReturnType<typeof readFlags<typeof TABLE>> {
  const command = new Command('x').exitOverride().configureOutput({ outputError: () => {} })
  addFlags(command, TABLE)
  command.parse(args, { from: 'user' })
  return readFlags(command, TABLE)
}

t.test('config file: keys are the flags, the command line wins, paths are relative to the file', async t => {
  const dir = tempDir(t)
  const file = join(dir, 'tower.json')
  writeFileSync(file, JSON.stringify({ port: 7000, 'state-dir': 'state', announce: '127.0.0.1:1', print: true }))
  t.same(parse(['--config', file]), { port: 7000, stateDir: join(dir, 'state'), announce: [{ hostname: '127.0.0.1', port: 1 }], print: true })
  const both = parse(['--config', file, '--port', '7001', '--announce', 'a:1', 'b:2'])
  t.equal(both.port, 7001, 'the command line wins')
  t.same(both.announce, [{ hostname: 'a', port: 1 }, { hostname: 'b', port: 2 }], 'variadic values are collected')
  writeFileSync(file, JSON.stringify({ stateDir: '/abs', announce: ['a:1', 'b:2'] }))
  t.same(parse(['--config', file]), { stateDir: '/abs', announce: [{ hostname: 'a', port: 1 }, { hostname: 'b', port: 2 }] }, 'camelCase keys and lists')
})

t.test('config file mistakes are usage errors naming the file and key', async t => {
  const dir = tempDir(t)
  const cases: Array<[string, RegExp]> = [
    ['{"port": 7000, "colour": "red"}', /"colour" is not a flag of this command \(known: port, announce, state-dir, print\)/],
    ['{"port": "x"}', /"port" must be an integer from 0 to 65535/],
    ['{"print": "yes"}', /"print" must be true or false/],
    ['{"announce": [1]}', /"announce" must be a string or a list of strings/],
    ['[1, 2]', /must hold a JSON object/],
    ['{"port": ', /is not valid JSON/]
  ]
  for (const [text, message] of cases) {
    const file = join(dir, 'c.json')
    writeFileSync(file, text)
    const error = t.throws(() => parse(['--config', file])) as unknown
    t.ok(error instanceof CliError && error.exitCode === EXIT_USAGE, `${text}: a usage error`)
    t.match((error as Error).message, message, text)
  }
  const missing = t.throws(() => parse(['--config', join(dir, 'none.json')])) as unknown as CliError
  t.match(missing.message, /cannot be read \(no such file or directory\)/)
})

t.test('library errors become one-line CLI errors', async t => {
  t.equal(flagName('maxQueueMessages'), '--max-queue-messages')
  const option = fromLibraryError(new InvalidOptionError('sendrate', 'must be a positive number'))
  t.equal(option?.exitCode, EXIT_USAGE)
  t.equal(option?.message, '--sendrate: must be a positive number')
  t.equal(fromLibraryError(new ListenError('cannot listen'))?.exitCode, 1)
  t.equal(fromLibraryError(new TypeError('a bug')), undefined, 'anything else is a bug, reported with its stack')
})
