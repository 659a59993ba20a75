import { beforeAll, describe, expect, it } from 'vitest';
import { arm64SdeiVariant, compareVariants, loadScenario, syncArm64Variant, syncX86Variant, x86Variant, type Comparison } from '../../index.js';

/**
 * The shape of the published data on the default scenario (facts/anchors.md §A1, §A2): with
 * compute tasks sharing vCPUs with faulting tasks, both APF designs do more work than the no-APF
 * baseline of their own architecture;
 * a fault taken in kernel mode is not delivered and falls back with a named reason.
 */
describe('default scenario: the published shape', () => {
  let c: Comparison;
  beforeAll(() => {
    c = compareVariants(loadScenario(), [syncX86Variant, x86Variant, syncArm64Variant, arm64SdeiVariant]);
  });
  const get = (id: string) => c.variants.find((v) => v.id === id)!;

  it('both APF designs do more total work than their own architecture\'s sync baseline', () => {
    expect(get('x86').metrics.work).toBeGreaterThan(get('sync-x86').metrics.work * 1.2);
    expect(get('arm64-sdei').metrics.work).toBeGreaterThan(get('sync-arm64').metrics.work * 1.2);
  });

  it('x86 halts the vCPU on a kernel-mode fault (user-mode-only delivery)', () => {
    expect(get('x86').metrics.apf.haltReasons['kernel-mode']).toBeGreaterThan(0);
  });

  it('arm64-sdei takes a kernel-mode fault synchronously (not allowed → sync in v4)', () => {
    expect(get('arm64-sdei').metrics.apf.syncFallbacks['kernel-mode']).toBeGreaterThan(0);
  });

  it('sync never goes asynchronous and every variant keeps its invariants', () => {
    expect(get('sync-x86').metrics.apf.notPresentDelivered).toBe(0);
    expect(get('sync-arm64').metrics.apf.notPresentDelivered).toBe(0);
    for (const v of c.variants) expect(v.invariants.violations).toEqual([]);
  });

  it('the SDEI design costs more exits per fault than x86 (COMPLETE and IRQ_ACK vs ACK)', () => {
    expect(get('arm64-sdei').metrics.exitsPerFault!).toBeGreaterThan(get('x86').metrics.exitsPerFault!);
  });
});
