import type { Argv } from 'yargs';
import { loadScenario, DEFAULT_SCENARIO } from '../core/scenario/load.js';
import type { Scenario } from '../core/scenario/schema.js';
import { UsageError } from './io.js';

/** Options shared by the commands that run a scenario. */
export function scenarioOptions<T>(y: Argv<T>) {
  return y
    .option('scenario', {
      alias: 's',
      type: 'string',
      default: DEFAULT_SCENARIO,
      describe: 'built-in scenario name or path to a scenario YAML file',
    })
    .option('seed', { type: 'number', describe: "PRNG seed (default: the scenario's seed)" })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of the table' });
}

export interface ScenarioArgs {
  scenario: string;
  seed?: number;
  json: boolean;
}

export function resolveScenario(args: ScenarioArgs): { scenario: Scenario; seed: number } {
  if (args.seed !== undefined && !Number.isSafeInteger(args.seed)) {
    throw new UsageError(`--seed must be an integer, got ${args.seed}`);
  }
  const scenario = loadScenario(args.scenario);
  return { scenario, seed: args.seed ?? scenario.seed };
}
