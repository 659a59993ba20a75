import { describe, expect, it } from 'vitest';
import { findVariant, runVariant } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * machine.hostHz: the host's scheduler tick makes a vCPU in guest mode exit, so a page-ready that
 * nobody kicks for (RFCv2, written against Linux 5.7: async_pf_execute() wakes only a vCPU blocked
 * in the host) goes out at that exit instead of waiting for the guest's own tick.
 */
describe('the host tick', () => {
  const scenario = (hostHz?: number) =>
    smallScenario({
      durationMs: 400,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 16, hz: 100, ...(hostHz ? { hostHz } : {}) },
      tasks: [
        { name: 'worker', program: [{ compute: { us: 5000 } }] },
        { name: 'writer', program: [{ touch: { region: 'array', pattern: 'random', pages: 4, thinkNs: 2000 } }] },
      ],
    });
  const readyDelay = (hostHz?: number) => {
    const completed = new Map<number, number>();
    const delays: number[] = [];
    const r = runVariant(scenario(hostHz), findVariant('arm64-dabt'), {
      seed: 1,
      trace: (t, _v, event, f) => {
        if (event === 'kvm_async_pf_completed') completed.set(f.gva, t);
        if (event === 'kvm_async_pf_ready' && completed.has(f.gva)) delays.push(t - completed.get(f.gva)!);
      },
    });
    return { mean: delays.reduce((a, b) => a + b, 0) / delays.length, n: delays.length, r };
  };

  it('delivers an unkicked page-ready at the next host tick: the mean wait drops from the guest tick (10 ms) to the host one (1 ms)', () => {
    const guestOnly = readyDelay();
    const withHost = readyDelay(1000);
    expect(guestOnly.n).toBeGreaterThan(10);
    expect(withHost.n).toBeGreaterThan(10);
    expect(guestOnly.mean).toBeGreaterThan(2_000_000);
    expect(withHost.mean).toBeLessThan(1_000_000);
    expect(withHost.r.invariants.violations).toEqual([]);
  });

  it('is an exit of its own kind (the host IRQ), counted like a kick, and absent by default', () => {
    const none = runVariant(scenario(), findVariant('sync-arm64'), { seed: 1 }).metrics.exits;
    const host = runVariant(scenario(1000), findVariant('sync-arm64'), { seed: 1 }).metrics.exits;
    expect(none.IRQ ?? 0).toBe(0);
    expect(host.IRQ).toBeGreaterThan(100); // ~1000 a second while the vCPU is in guest mode
  });
});
