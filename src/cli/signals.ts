import { constants } from 'node:os'

export type StopSignal = 'SIGINT' | 'SIGTERM'

const SIGNALS: StopSignal[] = ['SIGINT', 'SIGTERM']

/**
 * The first SIGINT or SIGTERM asks for a graceful stop (`stop`); a second one
 * exits at once with 128 + the signal's number, after `beforeExit` (restoring
 * the terminal, say) and saying so through `say`. Returns a function that
 * removes the handlers.
 */
export function onStopSignals (stop: (signal: StopSignal) => void, beforeExit: () => void = () => {},
  say: (line: string) => void = line => process.stderr.write(`clacks: ${line}\n`)): () => void {
  let stopping = false
  const handler = (signal: StopSignal): void => {
    if (!stopping) {
      stopping = true
      stop(signal)
      return
    }
    beforeExit()
    say(`${signal} again: exiting now, without waiting`)
    process.exit(128 + constants.signals[signal])
  }
  for (const signal of SIGNALS) process.on(signal, handler)
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler)
  }
}
