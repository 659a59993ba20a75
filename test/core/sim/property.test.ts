import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runVariant, scenarioSchema, VARIANTS, type ScenarioInput } from '../../../index.js';

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
  fc.record({ irqoff: fc.record({ us: fc.integer({ min: 1, max: 300 }) }) }),
  fc.record({ sleep: fc.record({ us: fc.integer({ min: 1, max: 2000 }) }) }),
  // A cross-call to the next vCPU or to vCPU 0 (the sender's own on a 1-vCPU machine: a local call).
  fc.record({ ipi: fc.record({ target: fc.constantFrom('next' as const, 0), handlerUs: fc.integer({ min: 0, max: 20 }) }) }),
);
const scenario: fc.Arbitrary<ScenarioInput> = fc.record({
  name: fc.constant('prop'),
  durationMs: fc.integer({ min: 5, max: 40 }),
  machine: fc.record({
    vcpus: fc.integer({ min: 1, max: 3 }),
    guestMemoryMiB: fc.constant(32),
    hostResidentMiB: fc.integer({ min: 1, max: 24 }),
    hz: fc.constantFrom(100, 250, 1000),
    preemption: fc.constantFrom('none' as const, 'voluntary' as const, 'full' as const),
  }),
  drain: fc.record({ enabled: fc.boolean(), maxMs: fc.constantFrom(1, 2000) }),
  backing: fc.record({
    kind: fc.constant('swap' as const),
    latency: fc.oneof(
      fc.record({ dist: fc.constant('fixed' as const), us: fc.integer({ min: 1, max: 3000 }) }),
      // maxUs keeps the longest draw within the loader's one-hour bound (README "Limits").
      fc.record({ dist: fc.constant('lognormal' as const), us: fc.integer({ min: 20, max: 2000 }), sigma: fc.double({ min: 0, max: 2, noNaN: true }), maxUs: fc.constant(100_000) }),
    ),
    queueDepth: fc.integer({ min: 1, max: 64 }),
    pageCluster: fc.integer({ min: 0, max: 5 }),
  }),
  regions: fc.tuple(fc.boolean(), fc.boolean()).map(([pa, pb]) => [
    { name: 'a', mib: 16, populated: pa },
    { name: 'b', mib: 8, populated: pb },
  ]),
  // Each group its own name: a scenario refuses two of one name.
  tasks: fc
    .array(fc.record({ name: fc.constantFrom('t', 'u'), count: fc.integer({ min: 1, max: 4 }), program: fc.array(step, { minLength: 1, maxLength: 4 }) }), {
      minLength: 1,
      maxLength: 3,
    })
    .map((ts) => ts.map((t, i) => ({ ...t, name: `${t.name}${i}` }))),
  seed: fc.integer({ min: 0, max: 1000 }),
  arch: fc.record({
    x86: fc.record({
      vector: fc.constantFrom(0xec, 0xf3),
      apicv: fc.constantFrom(0, 1),
      pvEoi: fc.constantFrom(0, 1),
      hltInGuest: fc.constantFrom(0, 1),
      enforcePvCpuid: fc.constantFrom(0, 1),
      featureAsyncPf: fc.constantFrom(0, 1),
    }),
    arm64: fc.record({ ppi: fc.constantFrom(16, 20, 31) }),
  }),
});

/** Runs per property: CI keeps them few; `PROP_RUNS=2000 npx vitest run test/core/sim/property.test.ts` by hand. */
const RUNS = Number(process.env.PROP_RUNS ?? 40);

describe('random scenarios', () => {
  it('keep every invariant and close the time accounts, drain on or off', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const s = scenarioSchema.parse(input);
        for (const v of VARIANTS) {
          const r = runVariant(s, v);
          expect(r.invariants.violations, `${v.id}: ${JSON.stringify(r.invariants.violations[0])}`).toEqual([]);
          // Only a drain that timed out may stop early, and only a run that did not close may leave work in flight.
          expect(r.run.stoppedEarly === null || r.run.stoppedEarly === 'drain timed out').toBe(true);
          if (s.drain.enabled && r.run.stoppedEarly === null) expect(r.invariants.inFlight).toBe(0);
          const total = Object.values(r.metrics.vcpuTimeNs).reduce((a, b) => a + b, 0);
          expect(Math.abs(total - s.machine.vcpus * s.durationMs * 1e6)).toBeLessThan(s.machine.vcpus * 20_000);
          expect(r.metrics.apf.notPresentDelivered).toBeLessThanOrEqual(r.metrics.apf.faults);
        }
      }),
      { numRuns: RUNS, seed: 20261130 },
    );
  }, 30_000 + RUNS * 1000);

  it('long runs that wrap the token id keep every invariant', () => {
    // One vCPU and a fast device: more than 65,536 APFs, so arm64 v4's u16 id wraps (facts/arm64.md §1a).
    const long = fc.record({
      name: fc.constant('wrap'),
      // 85,000 APFs or more in 1 s at the slowest device (6 µs): one wrap for every draw.
      durationMs: fc.integer({ min: 1000, max: 1200 }),
      seed: fc.integer({ min: 0, max: 1000 }),
      machine: fc.record({ vcpus: fc.constant(1), guestMemoryMiB: fc.constant(32), hostResidentMiB: fc.constant(1) }),
      // One page per read (no swap readahead), so that the sequential writer takes an APF per page.
      backing: fc.record({ kind: fc.constant('swap' as const), latency: fc.record({ dist: fc.constant('fixed' as const), us: fc.integer({ min: 2, max: 6 }) }), pageCluster: fc.constant(0) }),
      regions: fc.constant([{ name: 'a', mib: 24 }]),
      tasks: fc.constant([{ name: 'w', program: [{ touch: { region: 'a', pattern: 'sequential' as const, pages: 64 } }] }]),
      drain: fc.record({ enabled: fc.boolean(), maxMs: fc.constant(100) }),
    });
    // One run per token allocator (the backend's setupAsyncPf): the designs that share one wrap alike.
    const ctx = (v: (typeof VARIANTS)[number]) => ({ costOverrides: v.defaultCosts, knobs: v.knobs, guestMemoryBytes: 32 << 20 });
    const byAllocator = new Map<unknown, (typeof VARIANTS)[number]>();
    for (const v of VARIANTS.filter((x) => x.arch === 'arm64' && !x.baseline)) {
      const alloc = v.createBackend(ctx(v)).setupAsyncPf;
      if (!byAllocator.has(alloc)) byAllocator.set(alloc, v);
    }
    expect(byAllocator.size).toBeGreaterThanOrEqual(2);
    fc.assert(
      fc.property(long, (input) => {
        const s = scenarioSchema.parse(input);
        for (const v of byAllocator.values()) {
          const r = runVariant(s, v);
          expect(r.invariants.violations, `${v.id}: ${JSON.stringify(r.invariants.violations[0])}`).toEqual([]);
        }
      }),
      { numRuns: Math.max(1, Math.round(RUNS / 100)), seed: 20261130 },
    );
  }, 30_000 + RUNS * 2000);
});
