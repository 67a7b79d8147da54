/**
 * Worker processes for the benchmark: the parent side (spawn, call, kill) and
 * the child side (serve). Children are forked as workers.ts says (compiled
 * JavaScript, or through tsx when the library is run from source) and talk over
 * Node's IPC channel with the `advanced` serialization, so Infinity, Buffers
 * and nested objects cross intact (JSON would turn Infinity into null).
 *
 * Every call has a deadline, every child is killed when the parent exits (even
 * on error or Ctrl-C), and a child exits when its parent goes away.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { WORKER_ENV, workerCommand } from './workers.js'

interface Request { id: number, cmd: string, args: unknown }
interface Response { id: number, ok: boolean, result?: unknown, error?: string }

const live = new Set<ChildProcess>()
let hooked = false

function hookExit (): void {
  if (hooked) return
  hooked = true
  process.on('exit', killAllWorkers)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllWorkers()
      process.exit(130)
    })
  }
}

/** Kills every worker still running (by its own pid, never by name). */
export function killAllWorkers (): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  live.clear()
}

export interface SpawnOptions {
  /** Shown in errors and progress. */
  name: string
  /** Extra Node flags. */
  nodeFlags?: string[]
  /** Extra environment variables. */
  env?: Record<string, string>
  /** Discard the child's stdout and count its lines instead (for chatty code such as the prototype). */
  countStdout?: boolean
  /** How long the child may take to report ready. @default 30_000 */
  readyTimeoutMs?: number
  /** A command the child runs under, e.g. ['ip', 'netns', 'exec', 'ns1'] (it must exec node with its file descriptors). */
  wrap?: string[]
}

export class Worker {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }>()
  #nextId = 1
  #exited: Error | undefined
  /** Lines the child wrote to stdout (only counted with `countStdout`). */
  stdoutLines = 0

  private constructor (child: ChildProcess, readonly name: string) {
    this.#child = child
    child.on('message', (message: Response) => {
      const pending = this.#pending.get(message.id)
      if (pending === undefined) return
      this.#pending.delete(message.id)
      clearTimeout(pending.timer)
      if (message.ok) pending.resolve(message.result)
      else pending.reject(new Error(`${name}: ${message.error ?? 'failed'}`))
    })
    child.on('exit', (code, signal) => {
      live.delete(child)
      this.#exited = new Error(`${name} exited (code ${code}, signal ${signal})`)
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer)
        pending.reject(this.#exited)
      }
      this.#pending.clear()
    })
  }

  /** Forks `bench/workers/<script>.ts` and waits for it to say it is ready. */
  static async spawn (script: string, options: SpawnOptions): Promise<Worker> {
    hookExit()
    const { file, execArgv } = workerCommand(script)
    const settings = {
      env: { ...process.env, ...WORKER_ENV, ...options.env },
      serialization: 'advanced' as const,
      stdio: ['ignore', options.countStdout === true ? 'pipe' : 'inherit', 'inherit', 'ipc'] as Array<'ignore' | 'pipe' | 'inherit' | 'ipc'>
    }
    const nodeArgs = [...execArgv, ...(options.nodeFlags ?? [])]
    const wrap = options.wrap ?? []
    const child = wrap.length === 0
      ? fork(file, [], { ...settings, execArgv: nodeArgs })
      : spawn(wrap[0] as string, [...wrap.slice(1), process.execPath, ...nodeArgs, file], settings)
    live.add(child)
    const worker = new Worker(child, options.name)
    if (options.countStdout === true) {
      child.stdout?.on('data', (chunk: Buffer) => {
        for (const byte of chunk) if (byte === 10) worker.stdoutLines++
      })
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`${options.name} did not start within ${options.readyTimeoutMs ?? 30_000} ms`))
      }, options.readyTimeoutMs ?? 30_000)
      child.once('message', () => {
        clearTimeout(timer)
        resolve()
      })
      child.once('exit', code => {
        clearTimeout(timer)
        reject(new Error(`${options.name} exited with code ${code} before it was ready`))
      })
    })
    return worker
  }

  get pid (): number | undefined {
    return this.#child.pid
  }

  /** False once the child has exited. */
  get alive (): boolean {
    return this.#exited === undefined
  }

  /** Runs a command in the child; rejects after `timeoutMs`. */
  call<T> (cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.#exited !== undefined) return Promise.reject(this.#exited)
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`${this.name}: '${cmd}' took longer than ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      const request: Request = { id, cmd, args }
      this.#child.send(request)
    })
  }

  /** Asks the child to leave, then kills it if it has not within `graceMs`. */
  async close (graceMs = 2_000): Promise<void> {
    if (this.#exited !== undefined) return
    const exited = new Promise<void>(resolve => this.#child.once('exit', () => resolve()))
    this.#child.disconnect()
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  kill (): void {
    if (this.#exited === undefined) this.#child.kill('SIGKILL')
  }
}

export type Handlers = Record<string, (args: never) => unknown>

/** The child side: answers the parent's calls with `handlers`; exits when the parent goes away. */
export function serve (handlers: Handlers): void {
  if (process.send === undefined) throw new Error('a bench worker must be started by bench/lib/ipc.ts (no IPC channel)')
  const send = process.send.bind(process)
  process.on('disconnect', () => process.exit(0))
  process.on('message', (request: Request) => {
    const handler = handlers[request.cmd]
    const answer = (response: Response): void => { if (process.connected) send(response) }
    if (handler === undefined) {
      answer({ id: request.id, ok: false, error: `unknown command '${request.cmd}'` })
      return
    }
    Promise.resolve()
      .then(() => handler(request.args as never))
      .then(
        result => answer({ id: request.id, ok: true, result }),
        (error: unknown) => answer({ id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
      )
  })
  send({ ready: true })
}
