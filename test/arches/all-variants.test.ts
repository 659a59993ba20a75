import { describe, expect, it } from 'vitest';
import { findVariant, loadScenario, runVariant, VARIANTS } from '../../index.js';

/**
 * Every design of the catalogue (DESIGN.md "Variant catalogue") runs, invariant-clean (DESIGN.md
 * "Invariants"), on the default scenario and on `guest-kernel-faults` (guest kernel pages
 * swappable), and the data-abort designs show the unsafe injections their PC-range check lets
 * through (PROTOCOLS.md §4.5, "Hazard to report"), where the others show none.
 */
describe('every variant, whole runs', () => {
  const overcommit = loadScenario('overcommit');
  const kernelFaults = loadScenario('guest-kernel-faults');

  it('the eleven designs of DESIGN.md\'s catalogue are all there (the no-APF baseline once per architecture)', () => {
    expect(VARIANTS.map((v) => v.id).sort()).toEqual(
      ['arm64-dabt', 'arm64-impdef', 'arm64-irq', 'arm64-pvvec', 'arm64-s2', 'arm64-sdei', 'sync-arm64', 'sync-x86', 'x86', 'x86-halt', 'x86-pf', 'x86-ve'].sort(),
    );
  });

  it.each(VARIANTS.map((v) => v.id))('%s is invariant-clean on overcommit and on guest-kernel-faults', (id) => {
    for (const s of [overcommit, kernelFaults]) {
      const r = runVariant({ ...s, durationMs: 500 }, findVariant(id));
      expect(r.invariants.violations, `${id} on ${s.name}`).toEqual([]);
      expect(r.run.stoppedEarly, `${id} on ${s.name}`).toBeNull();
    }
  });

  // Mark Rutland: the vector range leaves "the bulk of the non-reentrant exception entry work" uncovered
  // (20200526123424.GF1363@C02TD0UTHF1T.local); x86 injects only at CPL3 (tglx, facts/arm64.md §8), an
  // interrupt waits for the entry code to unmask, and SDEI's COMPLETE_AND_RESUME enters the IRQ vector
  // only where an IRQ could be taken (facts/arm64.md §4).
  it.each([
    ['arm64-dabt', true],
    ['arm64-impdef', true],
    ['x86', false],
    ['arm64-sdei', false],
    ['arm64-irq', false],
  ] as const)('on guest-kernel-faults, %s injects unsafely: %s', (id, unsafe) => {
    const r = runVariant(kernelFaults, findVariant(id));
    expect(r.invariants.ok).toBe(true);
    if (unsafe) expect(r.metrics.unsafeInjections.total).toBeGreaterThan(0);
    else expect(r.metrics.unsafeInjections).toEqual({ total: 0, byRegion: {} });
  });
});
