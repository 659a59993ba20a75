import { arm64SdeiVariant, type Backend, type Variant } from '../../index.js';
import { smallScenario } from './scenarios.js';

/**
 * A broken backend for the runaway guard: arm64-sdei whose exits cost nothing, so a repeated
 * fault re-enters and faults again at the same instant forever and the read it waits for never
 * finishes. With `spinningScenario()`, two tasks walk the same pages and meet that case.
 */
export const freeExitsVariant: Variant = {
  ...arm64SdeiVariant,
  id: 'free-exits',
  createBackend: (ctx) => {
    const b = arm64SdeiVariant.createBackend(ctx) as Backend;
    const zero = Object.fromEntries(Object.keys(b.costs.exitNs).map((k) => [k, 0])) as Backend['costs']['exitNs'];
    return { ...b, costs: { ...b.costs, exitNs: zero, stage2FaultNs: 0 } };
  },
};

export function spinningScenario() {
  return smallScenario({
    durationMs: 50,
    machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 1 },
    backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 }, queueDepth: 64 },
    tasks: [{ name: 'walker', count: 2, program: [{ touch: { region: 'array', pattern: 'sequential', pages: 64 } }] }],
  });
}
