import { describe, expect, it } from 'vitest';
import { loadScenario, runVariant, x86Variant, type Backend, type KvmVcpu, type Variant } from '../../../index.js';

/**
 * Fault routing (DESIGN.md "fault-routing"): a design may have the
 * fault raised in the guest with no exit (x86-ve, arm64-s2); the guest then asks the host for the
 * page itself, and core's kvm_setup_async_pf() flow (cap, gfn table, backing-store read, page-ready)
 * runs on its behalf. A test-only design: x86 whose faults on absent pages reach the guest directly.
 */
const inGuest: Variant = {
  ...x86Variant,
  id: 'x86-fault-in-guest',
  createBackend: (ctx) => {
    const b = x86Variant.createBackend(ctx) as Backend;
    return {
      ...b,
      faultInGuest: (v: KvmVcpu, gfn: number) => {
        if (v.cpu.privilege !== 'user') return false;
        v.injectEvent({
          name: 'guest fault',
          token: null,
          signal: 'other',
          handler: () => {
            const r = v.startAsyncPf(gfn);
            if (r.ok) v.guest.asyncPfTaskWaitSchedule(r.token);
          },
        });
        return true;
      },
    };
  },
};

describe('a fault raised in the guest (Backend.faultInGuest)', () => {
  const s = loadScenario('overcommit');
  const routed = runVariant({ ...s, durationMs: 300 }, inGuest);
  const plain = runVariant({ ...s, durationMs: 300 }, x86Variant);

  it('takes no exit for user-mode faults: only kernel-mode ones still exit', () => {
    const exits = routed.metrics.exits['EPT_VIOLATION'] ?? 0;
    expect(exits).toBeLessThan(0.3 * (plain.metrics.exits['EPT_VIOLATION'] ?? 0));
    expect(routed.metrics.apf.faults).toBeGreaterThan(0);
  });

  it('starts the host async work the guest asked for, and page-ready wakes its sleeper', () => {
    expect(routed.metrics.apf.asyncStarted).toBeGreaterThan(0.5 * routed.metrics.apf.faults);
    expect(routed.metrics.apf.readyDelivered).toBeGreaterThan(0);
    expect(routed.invariants.violations).toEqual([]);
    expect(routed.invariants.inFlight).toBe(0);
  });

  it('never counts more async than faults', () => {
    expect(routed.metrics.apf.notPresentDelivered).toBeLessThanOrEqual(routed.metrics.apf.faults);
  });
});
