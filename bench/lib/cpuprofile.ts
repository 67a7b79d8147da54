/** A text summary of a V8 .cpuprofile: where the time went, by function and by file. */
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface CallFrame { functionName: string, url: string, lineNumber: number, columnNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export interface Entry { name: string, where: string, selfMs: number, selfPct: number, totalMs: number, totalPct: number }
/** Percentages are of the busy time: the profile's duration less (idle). */
export interface ProfileSummary { durationMs: number, idleMs: number, byFunction: Entry[], byFile: Array<{ where: string, selfMs: number, selfPct: number }> }

const root = fileURLToPath(new URL('../../', import.meta.url))

function where (frame: CallFrame): string {
  if (frame.url === '') return '(native)'
  let path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url
  if (path.startsWith(root)) path = relative(root, path)
  return path
}

function key (frame: CallFrame): string {
  return `${frame.functionName === '' ? '(anonymous)' : frame.functionName}\u0000${where(frame)}:${frame.lineNumber + 1}`
}

export function summarizeProfile (profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  }
  const durationMs = (profile.endTime - profile.startTime) / 1000
  const fnSelf = new Map<string, number>()
  const fnTotal = new Map<string, number>()
  const fileSelf = new Map<string, number>()
  // Inclusive time: a node's own plus its subtree's, counted once per function on any one stack (recursion).
  const visit = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)
    if (node === undefined) return 0
    const k = key(node.callFrame)
    const own = self.get(id) ?? 0
    fnSelf.set(k, (fnSelf.get(k) ?? 0) + own)
    const file = where(node.callFrame)
    const bucket = node.callFrame.url === '' ? node.callFrame.functionName || '(native)' : file
    fileSelf.set(bucket, (fileSelf.get(bucket) ?? 0) + own)
    const fresh = !onStack.has(k)
    if (fresh) onStack.add(k)
    let total = own
    for (const child of node.children ?? []) total += visit(child, onStack)
    if (fresh) {
      onStack.delete(k)
      fnTotal.set(k, (fnTotal.get(k) ?? 0) + total)
    }
    return total
  }
  const rootNode = profile.nodes[0]
  if (rootNode !== undefined) visit(rootNode.id, new Set())
  const idleMs = fileSelf.get('(idle)') ?? 0
  const busyMs = Math.max(1, durationMs - idleMs)
  const pct = (ms: number): number => Math.round(ms / busyMs * 1000) / 10
  const byFunction = [...fnSelf.entries()]
    .filter(([k]) => !k.startsWith('(root)') && !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, ms]) => {
      const [name, at] = k.split('\u0000') as [string, string]
      const total = fnTotal.get(k) ?? ms
      return { name, where: at, selfMs: Math.round(ms), selfPct: pct(ms), totalMs: Math.round(total), totalPct: pct(total) }
    })
  const byFile = [...fileSelf.entries()].filter(([w]) => w !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([w, ms]) => ({ where: w, selfMs: Math.round(ms), selfPct: pct(ms) }))
  return { durationMs: Math.round(durationMs), idleMs: Math.round(idleMs), byFunction, byFile }
}

export function profileMarkdown (s: ProfileSummary): string {
  const lines = [
    `CPU profile of ${Math.round(s.durationMs / 100) / 10} s, ${Math.round(s.idleMs / s.durationMs * 100)} % idle. ` +
      'Percentages are of the busy time. Self = time in the function itself; total = with what it called.',
    '',
    '| self % | self ms | total % | function | where |',
    '|---:|---:|---:|---|---|',
    ...s.byFunction.map(e => `| ${e.selfPct} | ${e.selfMs} | ${e.totalPct} | ${e.name} | ${e.where} |`),
    '',
    '| self % | self ms | file (or native category) |',
    '|---:|---:|---|',
    ...s.byFile.map(e => `| ${e.selfPct} | ${e.selfMs} | ${e.where} |`)
  ]
  return lines.join('\n') + '\n'
}
