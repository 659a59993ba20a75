import { scenarioSchema, type Scenario, type ScenarioInput } from '../../index.js';

/**
 * A small overcommitted machine for tests that run a whole simulation: two vCPUs, each with a
 * writer (user touches plus a kernel-mode system call touch) and a compute task.
 */
export function smallScenario(overrides: Partial<ScenarioInput> = {}): Scenario {
  return scenarioSchema.parse({
    name: 'small',
    durationMs: 200,
    machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 16 },
    backing: { kind: 'swap', latency: { dist: 'lognormal', us: 300, sigma: 0.8, minUs: 36 }, queueDepth: 16 },
    regions: [{ name: 'array', mib: 48 }],
    tasks: [
      { name: 'worker', count: 2, program: [{ compute: { us: 500 } }] },
      {
        name: 'writer',
        count: 2,
        program: [
          { touch: { region: 'array', pages: 7, thinkNs: 2000 } },
          { syscall: { region: 'array', pages: 1, thinkNs: 2000 } },
        ],
      },
    ],
    ...overrides,
  });
}

/** The smallest valid scenario file: one vCPU, one region `a`, one compute task `t` (for validation tests to extend). */
export const TINY_SCENARIO_YAML = `name: tiny
durationMs: 10
machine: { vcpus: 1, guestMemoryMiB: 4, hostResidentMiB: 4 }
backing: { kind: swap, latency: { dist: fixed, us: 10 } }
regions: [ { name: a, mib: 1 } ]
tasks: [ { name: t, program: [ { compute: { us: 1 } } ] } ]
`;
