import { describe, expect, it } from 'vitest';
import { findVariant } from '../../../arches/registry.js';
import { runVariant } from '../../../core/run.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * A synchronous swap device (zram, pmem: SWP_SYNCHRONOUS_IO, mm/swapfile.c): do_swap_page() reads
 * a page no other mapping shares in the faulting thread, skipping the swap cache and its readahead
 * (mm/memory.c), so KVM's FOLL_NOWAIT lookup returns the page and async PF never starts; a
 * swap-out is compression in the reclaimer, with no write I/O to wait behind.
 */
const device = (synchronousIo: boolean) =>
  smallScenario({ backing: { kind: 'swap', latency: { dist: 'fixed', us: 20 }, synchronousIo } });

describe('synchronous swap device (backing.synchronousIo)', () => {
  it.each(['x86', 'arm64-sdei', 'x86-ve'])('%s: every fault is served synchronously, none goes async', (id) => {
    const r = runVariant(device(true), findVariant(id));
    expect(r.metrics.apf.faults).toBeGreaterThan(100);
    expect(r.metrics.apf.asyncStarted).toBe(0);
    expect(r.metrics.apf.syncFallbacks).toEqual({ 'swap-synchronous-io': r.metrics.apf.faults });
    expect(r.invariants.violations).toEqual([]);
    // The access waits for the read itself: 20 µs, plus the exit and the host's fault work.
    expect(r.metrics.faultLatencyNs.p50).toBeGreaterThanOrEqual(20_000);
    expect(r.metrics.faultLatencyNs.p50).toBeLessThan(30_000);
  });

  it('reads the faulting page alone (no readahead) and writes nothing out to a device', () => {
    // Sequential writers, so that the block device's readahead has pages to read along.
    const sequential = (synchronousIo: boolean) =>
      smallScenario({
        backing: { kind: 'swap', latency: { dist: 'fixed', us: 20 }, synchronousIo },
        tasks: [{ name: 'writer', count: 2, program: [{ touch: { region: 'array', pattern: 'sequential', pages: 7, thinkNs: 2000 } }] }],
      });
    const block = runVariant(sequential(false), findVariant('x86'));
    const zram = runVariant(sequential(true), findVariant('x86'));
    expect(block.metrics.swap.readaheadPages).toBeGreaterThan(0);
    expect(block.metrics.swap.writes).toBeGreaterThan(0);
    expect(zram.metrics.swap.readaheadPages).toBe(0);
    expect(zram.metrics.swap.writes).toBe(0);
    expect(zram.metrics.swap.writebackStalls).toBe(0);
  });

  // The guest asks for the page itself (x86-ve, arm64-s2): faulting it in is still the host's
  // fault work (stage2FaultCycles); without it they spent ~0.8 µs of host time a fault, less than
  // that work alone, and did 1.03× and 1.02× their baselines with no APF at all.
  it.each(['x86-ve', 'arm64-s2'])('%s pays the host fault work on its request too', (id) => {
    const v = findVariant(id);
    const r = runVariant(device(true), v);
    const faultWorkNs = (v.defaultCosts.stage2FaultCycles * 1000) / v.defaultCosts.clockMHz;
    expect(r.metrics.apf.asyncStarted).toBe(0);
    expect(r.metrics.vcpuTimeNs.host / r.metrics.apf.faults).toBeGreaterThan(faultWorkNs);
  });
});
