import { DEFAULT_SCENARIO, loadScenario, pointScenario } from '../../dist/index.js';

/**
 * The scenarios the bench runs. Not built-ins (scenarios/ is the user's list): the default one,
 * and the default one widened to more vCPUs — one writer and one compute thread per vCPU, as
 * there — to see how the model scales with the machine. The widening is a sweep point's
 * (pointScenario()): what the scheduler derives from the vCPU count (EEVDF's base slice, 2.8 ms
 * from 8 CPUs up) is derived again, as it is for a user's `machine.vcpus: 256`.
 */
export const DEFAULT = loadScenario();

export function scaled(vcpus, durationMs) {
  const wide = pointScenario(
    { ...DEFAULT, durationMs },
    [{ name: 'machine.vcpus', value: vcpus }, ...DEFAULT.tasks.map((t) => ({ name: `tasks.${t.name}.count`, value: vcpus }))],
    `${DEFAULT_SCENARIO} widened to ${vcpus} vCPUs`,
  );
  return { ...wide, name: `${DEFAULT_SCENARIO}-${vcpus}vcpu`, description: `${DEFAULT.description}, widened to ${vcpus} vCPUs (bench)` };
}

/** By name, for a child process (test/bench/child.mjs) to rebuild the same object. */
export const BENCH_SCENARIOS = {
  default: () => DEFAULT,
  vcpu64: () => scaled(64, 10_000),
  vcpu256: () => scaled(256, 200_000),
};
