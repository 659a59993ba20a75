import type { CommandModule } from 'yargs';
import { findVariant } from '../../arches/registry.js';
import { DEFAULT_SCENARIO } from '../../core/scenario/load.js';
import { UsageError, type Io } from '../io.js';
import { loadForCli } from '../options.js';
import { renderText } from '../render.js';
import { buildShowView } from '../views/show.js';
import { variantFileOption, variantsWithFiles, type VariantFileArgs } from '../variant-files.js';
import { variantSheet } from '../views/variant-sheet.js';
import { missingLine, usageLine } from './table.js';

interface ShowArgs extends VariantFileArgs {
  variant?: string;
  json: boolean;
}

/** `apf-lab show <variant>`: one variant's mechanism sheet, default costs and knobs, and findings. */
export function showCommand(io: Io): CommandModule<object, ShowArgs> {
  return {
    ...usageLine('show'),
    builder: (y) =>
      variantFileOption(y)
        .positional('variant', { type: 'string', demandOption: true, describe: 'variant id (see `apf-lab list`)' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
    handler: (args) => {
      // yargs lets `apf-lab show` through with no variant; that is a usage error, not an unknown one.
      if (args.variant === undefined || args.variant === '') throw new UsageError(missingLine('show'));
      const variant = findVariant(String(args.variant), variantsWithFiles(args).known);
      const sheet = variantSheet(variant, guestMemoryBytes());
      io.out(args.json ? `${JSON.stringify(sheet, null, 2)}\n` : renderText('show', buildShowView(sheet)));
    },
  };
}

/** The guest memory of the default scenario: the machine a run with no options builds the backend for. */
export function guestMemoryBytes(): number {
  return Math.round(loadForCli(DEFAULT_SCENARIO).machine.guestMemoryMiB * 1024 * 1024);
}
