#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { BadInputError } from '../core/errors.js';
import { compareCommand } from './commands/compare.js';
import { listCommand } from './commands/list.js';
import { runCommand } from './commands/run.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError, type Io } from './io.js';

/**
 * The apf-lab command line. Commands are registered one by one (STYLE.md §4); a handler
 * parses, calls the library, renders, prints. Exit codes: 0 ok, 1 bad input, 2 usage.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let usageFailure: string | null = null;
  // Commands write into a buffer that is printed only once the whole command line validated
  // and the command finished: nothing is written half-way (yargs may run a handler before it
  // reports an unknown option).
  const out: string[] = [];
  const buffered: Io = { out: (t) => void out.push(t), err: io.err };
  const cli = yargs([...argv])
    .scriptName('apf-lab')
    .command(listCommand(buffered))
    .command(runCommand(buffered))
    .command(compareCommand(buffered))
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .version(false)
    .wrap(100)
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      usageFailure = msg;
    });
  try {
    let helpText = '';
    await cli.parseAsync([...argv], {}, (_e, _argv, output) => {
      helpText = output;
    });
    if (usageFailure !== null) {
      io.err(`apf-lab: ${usageFailure}\n\n${await cli.getHelp()}\n`);
      return EXIT_USAGE;
    }
    if (helpText) io.out(`${helpText}\n`);
    io.out(out.join(''));
    return EXIT_OK;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`apf-lab: ${e.message}\n\n${await cli.getHelp()}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof BadInputError) {
      io.err(`apf-lab: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    io.err(`apf-lab: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_INTERNAL;
  }
}

function isMain(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  runCli(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
