import type { CommandModule } from 'yargs';
import { findVariant } from '../../arches/registry.js';
import { runExperiment } from '../../core/reproduce.js';
import { listBuiltinScenarios } from '../../core/scenario/load.js';
import type { Scenario } from '../../core/scenario/schema.js';
import { UsageError, type Io } from '../io.js';
import { loadForCli, wholeFlag } from '../options.js';
import { renderText } from '../render.js';
import { buildReproduceView } from '../views/reproduce.js';
import { usageLine } from './table.js';

interface ReproduceArgs {
  experiments?: string[];
  seeds: string;
  json: boolean;
}

/** The built-in scenarios that carry a published experiment, loaded once, in file-name order. */
export function builtinExperiments(): { id: string; scenario: Scenario }[] {
  return listBuiltinScenarios()
    .map((id) => ({ id, scenario: loadForCli(id) }))
    .filter((e) => e.scenario.experiment !== undefined);
}

/**
 * `apf-lab reproduce [experiment…]`: each published experiment (a scenario with an `experiment`
 * block) run over several seeds, the lab's ratio next to the published one (issue 7 §3).
 */
export function reproduceCommand(io: Io): CommandModule<object, ReproduceArgs> {
  return {
    ...usageLine('reproduce'),
    builder: (y) =>
      y
        .positional('experiments', { type: 'string', array: true, describe: 'experiment scenario names or files (default: every built-in one)' })
        // A string, parsed here: yargs would turn "abc" into NaN and "1e1" into 10.
        .option('seeds', { type: 'string', default: '5', requiresArg: true, describe: 'seeds per figure: the scenario\'s seed and the ones after it' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of the table' }) as never,
    handler: (args) => {
      const seeds = wholeFlag('--seeds', String(args.seeds), 100);
      const names = (args.experiments ?? []).map(String);
      const chosen = names.length > 0 ? names.map((id) => ({ id, scenario: loadForCli(id) })) : builtinExperiments();
      const experiments = chosen.map(({ id, scenario }) => {
        const list = Array.from({ length: seeds }, (_, k) => scenario.seed + k);
        return runExperiment(id, scenario, (v) => findVariant(v), { seeds: list, onProgress: io.progress, signal: io.signal });
      });
      io.out(args.json ? `${JSON.stringify({ experiments }, null, 2)}\n` : renderText('reproduce', buildReproduceView(experiments)));
    },
  };
}
