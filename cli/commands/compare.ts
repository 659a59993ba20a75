import type { CommandModule } from 'yargs';
import { variantsToCompare } from '../../arches/registry.js';
import { compareVariants } from '../../core/compare.js';
import { UsageError, type Io } from '../io.js';
import { resolveScenario, scenarioOptions, type ScenarioArgs } from '../options.js';
import { renderText } from '../render.js';
import { idsWithFiles, variantFileOption, variantsWithFiles, type VariantFileArgs } from '../variant-files.js';
import { buildCompareView } from '../views/compare.js';
import { usageLine } from './table.js';

interface CompareArgs extends ScenarioArgs, VariantFileArgs {
  variants?: string[];
  baseline: boolean;
}

/**
 * `apf-lab compare <variant>…`: the same scenario and seed through each, with the no-APF baseline
 * of each architecture compared (`sync-x86`, `sync-arm64`) so that every ratio is on one machine.
 */
export function compareCommand(io: Io): CommandModule<object, CompareArgs> {
  return {
    ...usageLine('compare'),
    builder: (y) =>
      variantFileOption(scenarioOptions(y))
        .positional('variants', { type: 'string', array: true, describe: 'variant ids (see `apf-lab list`); `sync` = the baseline of each architecture' })
        .option('baseline', {
          type: 'boolean',
          default: true,
          describe: 'include each architecture\'s no-APF baseline (--no-baseline to leave them out)',
        }) as never,
    handler: (args) => {
      const { known, fromFiles } = variantsWithFiles(args);
      const named = (args.variants ?? []).map(String);
      // A variant file's variant is compared too, after those named (once, if it is named as well).
      const ids = idsWithFiles(named, fromFiles);
      if (ids.length === 0) throw new UsageError('name a variant to compare (see `apf-lab list`), or give --variant-file');
      const variants = variantsToCompare(ids, { baselines: args.baseline, known });
      const { scenario, seed, hooks } = resolveScenario(args, io, known);
      const result = compareVariants(scenario, variants, { seed, ...hooks });
      io.out(args.json ? `${JSON.stringify(result, null, 2)}\n` : renderText('compare', buildCompareView(result)));
    },
  };
}
