/**
 * What happens when whoever reads stdout goes away (`clacks demo | head`):
 * by default the command ends quietly, exit 0, as Unix tools do. A command
 * that should outlive its reader (a tower printing arrivals) says so.
 */
let whenGone: (error: NodeJS.ErrnoException) => void = () => process.exit(0)

export function guardStdout (): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') whenGone(error)
    else throw error
  })
}

/** Replaces the default (exit 0) for this run. */
export function onStdoutGone (handler: (error: NodeJS.ErrnoException) => void): void {
  whenGone = handler
}
