#!/usr/bin/env node
/**
 * The `clacks` command: parses the command line and hands over to one
 * command. Plain `clacks` runs the demo.
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { certCommand } from './cert.js'
import { configCommand } from './config.js'
import { conformanceCommand } from './conformance.js'
import { demoCommand } from './demo.js'
import { dynamicsCommand } from './dynamics.js'
import { EXIT_OK, EXIT_USAGE, report } from './exit.js'
import { simulateCommand } from './simulate.js'
import { startCommand } from './start.js'
import { statusCommand } from './status.js'
import { guardStdout } from './stdout.js'

function version (): string {
  // The same relative path from src/cli (tsx) and dist/cli (built).
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** One line for commander's own complaints (unknown flag, bad value), with where to look. */
function oneLine (command: Command): (text: string, write: (text: string) => void) => void {
  return (text, write) => {
    const name = command.name() === 'clacks' ? 'clacks' : `clacks ${command.name()}`
    write(`${name}: ${text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (see '${name} --help')\n`)
  }
}

export function program (): Command {
  const clacks = new Command('clacks')
    .description('Clacks: peer-to-peer messaging where the network itself is the storage.\nRun `clacks` alone for a live demo on this machine.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .exitOverride()
  clacks.configureOutput({ outputError: oneLine(clacks) })
  for (const command of [demoCommand(), startCommand(), statusCommand(), certCommand(), configCommand(), conformanceCommand(), simulateCommand(), dynamicsCommand()]) {
    command.helpOption('-h, --help', 'show help').exitOverride().configureOutput({ outputError: oneLine(command) })
    clacks.addCommand(command)
  }
  return clacks
}

async function main (argv: string[]): Promise<number> {
  const args = argv.slice(2)
  if (args.length === 0) args.push('demo')
  const clacks = program()
  let running = 'clacks'
  clacks.hook('preAction', (_, command) => { running = `clacks ${command.name()}` })
  try {
    await clacks.parseAsync(args, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    return report(running, error)
  }
}

guardStdout()
process.exitCode = await main(process.argv)
