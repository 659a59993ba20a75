import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { findVariant, VARIANTS } from '../../arches/registry.js';
import { checkExperiment, runExperiment } from '../../core/reproduce.js';
import { listBuiltinScenarios, scenarioFile } from '../../core/scenario/load.js';
import type { Scenario } from '../../core/scenario/schema.js';
import { UsageError, type Io } from '../io.js';
import { ALLOW_LARGE_OPTION, checkRunnable, loadForCli, wholeFlag } from '../options.js';
import type { SizeLimit } from '../../core/scenario/size-limit.js';
import { renderText } from '../render.js';
import { buildReproduceView } from '../views/reproduce.js';
import { usageLine } from './table.js';

interface ReproduceArgs {
  experiments?: string[];
  seeds: string;
  json: boolean;
  allowLarge: boolean;
}

/** The built-in scenarios that carry a published experiment, loaded once, in file-name order. */
export function builtinExperiments(): { id: string; scenario: Scenario }[] {
  return listBuiltinScenarios()
    .map((id) => ({ id, scenario: loadForCli(id) }))
    .filter((e) => e.scenario.experiment !== undefined);
}

/**
 * `apf-lab reproduce [experiment…]`: each published experiment (a scenario with an `experiment`
 * block) run over several seeds, the lab's ratio next to the published one (facts/anchors.md
 * §A1, §A2; facts/arm64.md §7).
 */
export function reproduceCommand(io: Io): CommandModule<object, ReproduceArgs> {
  return {
    ...usageLine('reproduce'),
    builder: (y) =>
      y
        .positional('experiments', { type: 'string', array: true, describe: 'experiment scenario names or files (default: every built-in one)' })
        // A string, parsed here: yargs would turn "abc" into NaN and "1e1" into 10.
        .option('seeds', { type: 'string', default: '5', requiresArg: true, describe: 'seeds per figure: the scenario\'s seed and the ones after it' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of the table' })
        .option('allow-large', ALLOW_LARGE_OPTION) as never,
    handler: (args) => {
      const seeds = wholeFlag('--seeds', String(args.seeds), 100);
      const names = (args.experiments ?? []).map(String);
      // An empty word names nothing: a mistake on the command line, as an empty --scenario is.
      if (names.includes('')) throw new UsageError('an experiment name is empty (name a built-in experiment or a scenario file)');
      checkNamedOnce(names);
      const chosen = names.length > 0 ? names.map((id) => ({ id, scenario: loadForCli(id) })) : builtinExperiments();
      const limits = new Map<string, SizeLimit | undefined>();
      for (const { id, scenario } of chosen) {
        const exp = checkExperiment(id, scenario, (v) => findVariant(v));
        // The size limits and knob checks every command applies before it runs a scenario, against
        // every variant as run and sweep check one (it checked only the experiment's own), so that
        // a scenario is refused or accepted as a whole.
        limits.set(id, checkRunnable(scenario, id, VARIANTS, args.allowLarge));
        checkSeedsFit(id, scenario.seed, seeds);
      }
      const experiments = chosen.map(({ id, scenario }) => {
        const list = Array.from({ length: seeds }, (_, k) => scenario.seed + k);
        return runExperiment(id, scenario, (v) => findVariant(v), { seeds: list, onProgress: io.progress, signal: io.signal, sizeLimit: limits.get(id) });
      });
      io.out(args.json ? `${JSON.stringify({ experiments }, null, 2)}\n` : renderText('reproduce', buildReproduceView(experiments)));
    },
  };
}

/**
 * Refuses an experiment named twice, by its name or by any path to its file: it would run and
 * print twice, as one more experiment.
 */
function checkNamedOnce(names: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = scenarioFile(name);
    const key = existsSync(file) ? realpathSync(file) : resolve(file);
    const first = seen.get(key);
    if (first === name) throw new UsageError(`experiment ${name} is given twice (name each experiment once)`);
    if (first !== undefined) throw new UsageError(`experiments ${first} and ${name} are the same file (name each experiment once)`);
    seen.set(key, name);
  }
}

/**
 * The seeds run from the scenario's seed upwards; refuses, before anything runs, a count that
 * would pass the largest safe integer, where two seeds would be the same number.
 */
function checkSeedsFit(id: string, seed: number, seeds: number): void {
  // Subtracted, not added: seed + seeds could round before it is compared.
  const fit = Number.MAX_SAFE_INTEGER - seed + 1;
  if (seeds > fit) {
    throw new UsageError(`--seeds ${seeds} from ${id}'s seed ${seed} runs past the largest safe seed, ${Number.MAX_SAFE_INTEGER} (at most --seeds ${fit} from there)`);
  }
}
