import { DEFAULT_SCENARIO, loadScenario, scenarioSchema } from '../../dist/index.js';

/**
 * The scenarios the bench runs. Not built-ins (scenarios/ is the user's list): the default one,
 * and the default one widened to more vCPUs — one writer and one compute thread per vCPU, as
 * there — to see how the model scales with the machine.
 */
export const DEFAULT = loadScenario();

export function scaled(vcpus, durationMs) {
  return scenarioSchema.parse({
    ...DEFAULT,
    name: `${DEFAULT_SCENARIO}-${vcpus}vcpu`,
    description: `${DEFAULT.description}, widened to ${vcpus} vCPUs (bench)`,
    durationMs,
    machine: { ...DEFAULT.machine, vcpus },
    tasks: DEFAULT.tasks.map((t) => ({ ...t, count: vcpus })),
  });
}

/** By name, for a child process (test/bench/child.mjs) to rebuild the same object. */
export const BENCH_SCENARIOS = {
  default: () => DEFAULT,
  vcpu64: () => scaled(64, 10_000),
  vcpu256: () => scaled(256, 200_000),
};
