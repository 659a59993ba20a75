import type { CommandModule } from 'yargs';
import { listBuiltinScenarios } from '../../core/scenario/load.js';
import { loadForCli } from '../options.js';
import type { Io } from '../io.js';
import { renderText } from '../render.js';
import { variantFileOption, variantsWithFiles, type VariantFileArgs } from '../variant-files.js';
import { scenarioHeader } from '../views/compare.js';
import { idColumnWidth, variantBlock, variantSheet, variantSummary } from '../views/variant-sheet.js';
import { guestMemoryBytes } from './show.js';
import { usageLine } from './table.js';

/** `apf-lab list`: variants with their mechanisms, and the built-in scenarios. */
export function listCommand(io: Io): CommandModule<object, { json: boolean } & VariantFileArgs> {
  return {
    ...usageLine('list'),
    builder: (y) => variantFileOption(y).option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
    handler: (args) => {
      const { known } = variantsWithFiles(args);
      const scenarios = listBuiltinScenarios().map((name) => {
        const s = loadForCli(name);
        return { name, lines: scenarioHeader(s, s.seed) };
      });
      if (args.json) {
        const memory = guestMemoryBytes();
        const variants = known.map((v) => variantSummary(variantSheet(v, memory)));
        io.out(`${JSON.stringify({ variants, scenarios: scenarios.map((s) => s.name) }, null, 2)}\n`);
        return;
      }
      const width = idColumnWidth(known.map((v) => v.id));
      io.out(renderText('list', { variants: known.map((v) => variantBlock(v, width)), scenarios }));
    },
  };
}
