/**
 * The Python tower of interop/python/ as a child process: found, generated
 * from the .proto with protoc, started, and driven through its JSON-lines
 * control channel (stdin commands, stdout answers).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { testCertificate } from '../helpers/towers.js'

export const INTEROP_DIR = resolve(fileURLToPath(import.meta.url), '../../../interop/python')

/**
 * A Python that can import Debian's python3-protobuf, and protoc: the reason
 * they are missing, or the interpreter to use. The default python3 may be a
 * pyenv build that does not see Debian's packages, so /usr/bin/python3 is
 * tried first; CLACKS_PYTHON overrides both.
 */
export function findPython (): { python: string } | { missing: string } {
  if (spawnSync('protoc', ['--version']).status !== 0) return { missing: 'protoc is not installed (Debian: apt-get install protobuf-compiler)' }
  const candidates = process.env.CLACKS_PYTHON !== undefined ? [process.env.CLACKS_PYTHON] : ['/usr/bin/python3', 'python3']
  for (const python of candidates) {
    if (spawnSync(python, ['-c', 'import google.protobuf']).status === 0) return { python }
  }
  return { missing: `no Python with the protobuf runtime among ${candidates.join(', ')} (Debian: apt-get install python3-protobuf)` }
}

/** Regenerates interop/python/gen from proto/ (once per test process). */
let generated: Promise<unknown> | undefined
export function generate (): Promise<unknown> {
  generated ??= promisify(execFile)('bash', [join(INTEROP_DIR, 'generate.sh')])
  return generated
}

let certFiles: Promise<{ cert: string, key: string }> | undefined
function certificateFiles (dir: string): Promise<{ cert: string, key: string }> {
  certFiles ??= (async () => {
    const { key, cert } = await testCertificate()
    const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }
    await writeFile(files.cert, cert)
    await writeFile(files.key, key, { mode: 0o600 })
    return files
  })()
  return certFiles
}

export interface PythonHeld { id: string, hops: number, state: 'queued' | 'in-flight' | 'in-doubt' }
export interface PythonPeer { hostname: string, port: number, status: string }
export interface PythonStats { queued: number, in_flight: number, in_doubt: number, counters: Record<string, number>, received_from: Record<string, number> }

export class PythonTower {
  readonly hostname: string
  port = 0
  readonly #child: ChildProcess
  readonly #answers: Array<(line: Record<string, unknown>) => void> = []
  stderr = ''

  private constructor (child: ChildProcess, hostname: string) {
    this.#child = child
    this.hostname = hostname
    child.stderr?.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString()).slice(-4000) })
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', line => {
      this.#answers.shift()?.(JSON.parse(line) as Record<string, unknown>)
    })
  }

  /** Starts a Python tower on `hostname`, port 0; killed when the test ends. */
  static async start (t: Test, python: string, hostname: string, dir: string, args: string[] = []): Promise<PythonTower> {
    await generate()
    const { cert, key } = await certificateFiles(dir)
    const child = spawn(python, [join(INTEROP_DIR, 'tower.py'), '--hostname', hostname, '--port', '0', '--cert', cert, '--key', key, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    const tower = new PythonTower(child, hostname)
    t.teardown(() => { child.kill('SIGKILL') })
    const listening = await tower.#next(10_000)
    tower.port = listening.port as number
    return tower
  }

  async command (op: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    this.#child.stdin?.write(JSON.stringify({ op, ...fields }) + '\n')
    const answer = await this.#next(10_000)
    if (answer.ok !== true) throw new Error(`python tower: ${op} failed: ${String(answer.error)}`)
    return answer
  }

  async enqueue (payload: string): Promise<string> {
    return (await this.command('enqueue', { payload })).id as string
  }

  async held (): Promise<PythonHeld[]> {
    return (await this.command('peek')).held as PythonHeld[]
  }

  async survey (): Promise<PythonPeer[]> {
    return (await this.command('survey')).peers as PythonPeer[]
  }

  async stats (): Promise<PythonStats> {
    return await this.command('stats') as unknown as PythonStats
  }

  #next (ms: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python tower: no answer within ${ms} ms; stderr: ${this.stderr}`)), ms)
      this.#answers.push(line => { clearTimeout(timer); resolve(line) })
      this.#child.once('exit', code => { clearTimeout(timer); reject(new Error(`python tower exited (${String(code)}): ${this.stderr}`)) })
    })
  }
}
