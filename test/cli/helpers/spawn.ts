/**
 * Runs the real `clacks` binary (dist/cli/main.js, as npm installs it) in a
 * child process. Every wait is bounded and every child is killed in teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const CLI = join(ROOT, 'dist', 'cli', 'main.js')

interface Teardown {
  teardown (fn: () => void | Promise<void>): void
}

/** Fails loudly when dist/ is missing or older than src/cli (npm test builds first; `npx tap` alone does not). */
export function assertBuilt (): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
  const built = statSync(CLI).mtimeMs
  const sources = join(ROOT, 'src', 'cli')
  for (const file of readdirSync(sources)) {
    if (statSync(join(sources, file)).mtimeMs > built) throw new Error(`dist/ is older than src/cli/${file}: run \`npm run build\` first`)
  }
}

export function tempDir (t: Teardown, prefix = 'clacks-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface SpawnOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Another build of the command (an earlier release, say) instead of this tree's. */
  cli?: string
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export class Clacks {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<Exit>
  #listeners = new Set<() => void>()

  constructor (args: string[], options: SpawnOptions = {}) {
    this.child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      // The human log lines unless a test asks for JSON (the default when stderr is not a terminal, as here).
      env: { ...process.env, NODE_DEBUG: '', CLACKS_LOG_FORMAT: 'pretty', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { this.stdout += chunk; this.#changed() })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.stderr += chunk; this.#changed() })
    // A child that exited before we wrote to it must not crash the test with EPIPE.
    this.child.stdin?.on('error', () => {})
    // 'close', not 'exit': by then everything the child wrote has been read.
    this.exited = new Promise(resolve => this.child.on('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal })))
  }

  #changed (): void {
    for (const listener of this.#listeners) listener()
  }

  /** Resolves with the first match of `pattern` in stdout or stderr; rejects after `ms` or if the child exits first. */
  waitFor (stream: 'stdout' | 'stderr', pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = this[stream].match(pattern)
        if (match === null) return false
        done()
        resolve(match)
        return true
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out after ${ms} ms waiting for ${pattern} on ${stream}\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`))
      }, ms)
      const listener = (): void => { check() }
      const done = (): void => {
        clearTimeout(timer)
        this.#listeners.delete(listener)
      }
      if (check()) return
      this.#listeners.add(listener)
      this.exited.then(exit => {
        if (check()) return
        done()
        reject(new Error(`exited (${exit.code ?? exit.signal}) before ${pattern} appeared on ${stream}\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`))
      }, () => {})
    })
  }

  write (line: string): void {
    this.child.stdin?.write(line + '\n')
  }

  /** Waits for the exit, at most `ms`, then kills. */
  async exit (ms = 30_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>(resolve => { timer = setTimeout(() => resolve('timeout'), ms) })
    const result = await Promise.race([this.exited, timeout])
    clearTimeout(timer)
    if (result === 'timeout') {
      this.kill()
      throw new Error(`did not exit within ${ms} ms\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`)
    }
    return result
  }

  kill (): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}

/** Starts `clacks ARGS`, killed in teardown if still running. */
export function clacks (t: Teardown, args: string[], options: SpawnOptions = {}): Clacks {
  const child = new Clacks(args, options)
  t.teardown(async () => {
    child.kill()
    await child.exited
  })
  return child
}

/** Runs `clacks ARGS` to its end (at most `ms`), stdin closed. */
export async function run (t: Teardown, args: string[], ms = 30_000, options: SpawnOptions = {}): Promise<Exit & { stdout: string, stderr: string }> {
  const child = clacks(t, args, options)
  child.child.stdin?.end()
  const exit = await child.exit(ms)
  return { ...exit, stdout: child.stdout, stderr: child.stderr }
}
