import type { Test } from 'tap'
import { createServer, type Server } from 'node:net'
import { run } from './spawn.js'

/** A port something else listens on, closed in teardown. */
export async function takenPort (t: Test): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return (server.address() as { port: number }).port
}

/** A port nothing listens on (bound, then released). */
export async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

export async function expectError (t: Test, args: string[], code: number, message: RegExp): Promise<void> {
  const result = await run(t, args)
  t.equal(result.code, code, `exit code ${code}`)
  const lines = result.stderr.split('\n').filter(line => line !== '')
  t.equal(lines.length, 1, 'one line on stderr')
  t.match(lines[0], /^clacks( \w+)?: /, 'says it is clacks speaking')
  t.match(result.stderr, message)
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace')
}

