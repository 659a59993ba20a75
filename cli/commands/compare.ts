import type { CommandModule } from 'yargs';
import { findVariant } from '../../arches/registry.js';
import { compareVariants } from '../../core/compare.js';
import type { Io } from '../io.js';
import { resolveScenario, scenarioOptions, type ScenarioArgs } from '../options.js';
import { renderText } from '../render.js';
import { buildCompareView } from '../views/compare.js';

export const BASELINE = 'sync';

interface CompareArgs extends ScenarioArgs {
  variants: string[];
  baseline: boolean;
}

/** `apf-lab compare <variant>…`: the same scenario and seed through each, `sync` first as the baseline. */
export function compareCommand(io: Io): CommandModule<object, CompareArgs> {
  return {
    command: 'compare <variants..>',
    describe: 'run one scenario through several variants, side by side (sync baseline included)',
    builder: (y) =>
      scenarioOptions(y)
        .positional('variants', { type: 'string', array: true, demandOption: true, describe: 'variant ids (see `apf-lab list`)' })
        .option('baseline', { type: 'boolean', default: true, describe: 'include the sync baseline (--no-baseline to leave it out)' }) as never,
    handler: (args) => {
      const ids = args.variants.map(String);
      const withBase = args.baseline && !ids.includes(BASELINE) ? [BASELINE, ...ids] : ids;
      const variants = [...new Set(withBase)].map(findVariant);
      const { scenario, seed, hooks } = resolveScenario(args, io);
      const baseline = withBase.includes(BASELINE) ? BASELINE : null;
      const result = compareVariants(scenario, variants, { seed, baseline, ...hooks });
      io.out(args.json ? `${JSON.stringify(result, null, 2)}\n` : renderText('compare', buildCompareView(result)));
    },
  };
}
