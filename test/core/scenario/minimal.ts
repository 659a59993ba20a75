import { ScenarioError } from '../../../index.js';

/** The smallest valid scenario; tests change one field of it at a time. */
export const MINIMAL = `
name: t
durationMs: 10
machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 32 }
backing: { kind: swap, latency: { dist: fixed, us: 100 } }
regions: [{ name: a, mib: 16 }]
tasks: [{ name: w, program: [{ touch: { region: a } }] }]
`;

/** The ScenarioError `load` throws; any other outcome fails the test. */
export function scenarioErrorOf(load: () => unknown): ScenarioError {
  try {
    load();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('no error');
}
