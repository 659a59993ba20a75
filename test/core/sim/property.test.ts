import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arm64SdeiVariant, runVariant, scenarioSchema, syncVariant, x86Variant, type ScenarioInput } from '../../../index.js';

/**
 * Random small machines and programs: every built-in variant keeps all seven invariants, leaves
 * nothing in flight after the drain, and accounts for every nanosecond of the window.
 */
const touch = fc.record({
  region: fc.constantFrom('a', 'b'),
  pattern: fc.constantFrom('random' as const, 'sequential' as const, 'hotcold' as const),
  pages: fc.integer({ min: 1, max: 8 }),
  thinkNs: fc.integer({ min: 0, max: 5000 }),
});
const step = fc.oneof(
  fc.record({ compute: fc.record({ us: fc.integer({ min: 1, max: 3000 }) }) }),
  fc.record({ touch }),
  fc.record({ syscall: touch }),
  fc.record({ irqoff: fc.record({ us: fc.integer({ min: 0, max: 20 }), touch }) }),
  fc.record({ sleep: fc.record({ us: fc.integer({ min: 1, max: 2000 }) }) }),
);
const scenario: fc.Arbitrary<ScenarioInput> = fc.record({
  name: fc.constant('prop'),
  durationMs: fc.integer({ min: 5, max: 40 }),
  machine: fc.record({
    vcpus: fc.integer({ min: 1, max: 3 }),
    guestMemoryMiB: fc.constant(32),
    hostResidentMiB: fc.integer({ min: 1, max: 24 }),
    hz: fc.constantFrom(100, 250, 1000),
  }),
  backing: fc.record({
    kind: fc.constant('swap' as const),
    latency: fc.oneof(
      fc.record({ dist: fc.constant('fixed' as const), us: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ dist: fc.constant('lognormal' as const), us: fc.integer({ min: 20, max: 2000 }), sigma: fc.double({ min: 0, max: 2, noNaN: true }) }),
    ),
    queueDepth: fc.integer({ min: 1, max: 64 }),
  }),
  regions: fc.constant([
    { name: 'a', mib: 16 },
    { name: 'b', mib: 8 },
  ]),
  tasks: fc.array(fc.record({ name: fc.constantFrom('t', 'u'), count: fc.integer({ min: 1, max: 4 }), program: fc.array(step, { minLength: 1, maxLength: 4 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
  seed: fc.integer({ min: 0, max: 1000 }),
  arch: fc.record({
    x86: fc.record({ vector: fc.constantFrom(0xec, 0xf3), apicv: fc.constantFrom(0, 1), pvEoi: fc.constantFrom(0, 1) }),
    arm64: fc.record({ ppi: fc.constantFrom(16, 20, 31) }),
  }),
});

describe('random scenarios', () => {
  it('keep every invariant and close the time accounts', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const s = scenarioSchema.parse(input);
        for (const v of [syncVariant, x86Variant, arm64SdeiVariant]) {
          const r = runVariant(s, v);
          expect(r.invariants.violations, `${v.id}: ${JSON.stringify(r.invariants.violations[0])}`).toEqual([]);
          expect(r.run.stoppedEarly).toBeNull();
          expect(r.invariants.inFlight).toBe(0);
          const total = Object.values(r.metrics.vcpuTimeNs).reduce((a, b) => a + b, 0);
          expect(Math.abs(total - s.machine.vcpus * s.durationMs * 1e6)).toBeLessThan(s.machine.vcpus * 20_000);
        }
      }),
      { numRuns: 100, seed: 20261123 },
    );
  });
});
