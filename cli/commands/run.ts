import type { CommandModule } from 'yargs';
import { findVariant } from '../../arches/registry.js';
import { compareVariants } from '../../core/compare.js';
import { UsageError, type Io } from '../io.js';
import { resolveScenario, scenarioOptions, type ScenarioArgs } from '../options.js';
import { renderText } from '../render.js';
import { variantFileOption, variantsWithFiles, type VariantFileArgs } from '../variant-files.js';
import { buildCompareView } from '../views/compare.js';
import { missingLine, usageLine } from './table.js';

interface RunArgs extends ScenarioArgs, VariantFileArgs {
  variant: string;
}

/** `apf-lab run <variant>`: one variant through one scenario. */
export function runCommand(io: Io): CommandModule<object, RunArgs> {
  return {
    ...usageLine('run'),
    builder: (y) =>
      variantFileOption(scenarioOptions(y)).positional('variant', { type: 'string', demandOption: true, describe: 'variant id (see `apf-lab list`)' }) as never,
    handler: (args) => {
      // yargs lets `apf-lab run` through with no variant; that is a usage error, not an unknown one.
      if (args.variant === undefined || args.variant === '') throw new UsageError(missingLine('run'));
      const { known } = variantsWithFiles(args);
      const variant = findVariant(String(args.variant), known);
      const { scenario, seed, hooks } = resolveScenario(args, io, known);
      const result = compareVariants(scenario, [variant], { seed, baseline: null, ...hooks });
      io.out(args.json ? `${JSON.stringify(result, null, 2)}\n` : renderText('compare', buildCompareView(result)));
    },
  };
}
