import { describe, expect, it } from 'vitest';
import { findVariant, parseScenario, runVariant, scenarioSchema, VARIANTS, type Scenario, type ScenarioInput } from '../../../index.js';
import { TINY_SCENARIO_YAML } from '../../support/scenarios.js';

/**
 * A post-copy backing store in whole runs (facts/anchors.md §A4): a fault waits for the page from
 * the source, QEMU's blocktime counts what the vCPUs waited, and APF keeps a vCPU that runs another
 * task off it (James Morse's case for APF, facts/anchors.md §A2).
 */
function postcopy(overrides: Partial<ScenarioInput> = {}): Scenario {
  return scenarioSchema.parse({
    name: 'postcopy-small',
    durationMs: 40,
    machine: { vcpus: 1, guestMemoryMiB: 16, hostResidentMiB: 16 },
    // 409.6 MB/s: 10 µs a page on the wire.
    backing: { kind: 'postcopy', rttUs: 100, bandwidthMBps: 409.6, push: true, dirtyShare: 1 },
    regions: [{ name: 'mem', mib: 4 }],
    tasks: [
      { name: 'memory', program: [{ touch: { region: 'mem', pattern: 'random', pages: 64, thinkNs: 1000 } }] },
      { name: 'calc', program: [{ compute: { us: 500 } }] },
    ],
    ...overrides,
  });
}

describe('post-copy backing store in a run', () => {
  it('a synchronous fault on a page still on the source blocks the vCPU for one round trip plus the page on the wire', () => {
    const s = postcopy({
      backing: { kind: 'postcopy', rttUs: 100, bandwidthMBps: 409.6, push: false, dirtyShare: 1 },
      tasks: [{ name: 'memory', passes: 1, program: [{ touch: { region: 'mem', pattern: 'sequential', pages: 1 } }] }],
      until: { tasks: ['memory'] },
    });
    const r = runVariant(s, findVariant('sync-arm64'));
    expect(r.metrics.apf.faults).toBe(1);
    expect(r.metrics.postcopy).toEqual({ blocktimeNs: 110_000, vcpuBlocktimeNs: [110_000], pagesRequested: 1, pagesPushed: 0, completedAtNs: null });
    expect(r.metrics.vcpuTimeNs.sync).toBe(110_000);
  });

  it('pages already migrated are resident; with nothing on the source there is no fault and the migration is complete at once', () => {
    const r = runVariant(postcopy({ regions: [{ name: 'mem', mib: 4, populated: true }], backing: { kind: 'postcopy', rttUs: 100, bandwidthMBps: 409.6, dirtyShare: 1, push: true } }), findVariant('sync-arm64'));
    // The push takes 1,024 pages × 10 µs; after it nothing faults.
    expect(r.metrics.postcopy!.completedAtNs).toBe(1024 * 10_000 + 50_000);
    expect(r.metrics.postcopy!.pagesPushed + r.metrics.postcopy!.pagesRequested).toBe(1024);
  });

  it.each([
    ['arm64-sdei', 'sync-arm64'],
    ['x86', 'sync-x86'],
  ])('%s blocks the vCPU for less than %s on the same seed: the faulting task sleeps, the vCPU runs on', (apf, sync) => {
    const s = postcopy();
    const a = runVariant(s, findVariant(apf), { seed: 3 }).metrics;
    const b = runVariant(s, findVariant(sync), { seed: 3 }).metrics;
    expect(b.postcopy!.blocktimeNs).toBeGreaterThan(1_000_000);
    expect(a.postcopy!.blocktimeNs).toBeLessThan(b.postcopy!.blocktimeNs / 4);
    expect(a.apf.notPresentDelivered).toBeGreaterThan(0);
    // The vCPU time not spent blocked is work (shared between both tasks: a woken sleeper preempts calc).
    expect(a.work).toBeGreaterThan(b.work * 1.05);
  });

  // QEMU's blocktime finds the vCPU by the faulting thread (migration/postcopy-ram.c
  // get_mem_fault_cpu_index()); in the APF halt the vCPU thread sleeps in kvm_vcpu_block() and the
  // async worker is the one in the userfault, so QEMU counts none of it (facts/anchors.md §A7
  // "QEMU postcopy blocktime": the time a vCPU "sat in a userfault").
  it('x86-halt: the APF halt is halt time, not blocktime (the worker faults, not the vCPU thread)', () => {
    const s = postcopy();
    const halt = runVariant(s, findVariant('x86-halt'), { seed: 3 }).metrics;
    expect(halt.vcpuTimeNs.halt).toBeGreaterThan(1_000_000);
    expect(halt.postcopy!.vcpuBlocktimeNs).toEqual([0]);
    expect(runVariant(s, findVariant('sync-x86'), { seed: 3 }).metrics.postcopy!.blocktimeNs).toBeGreaterThan(1_000_000);
  });

  it('every variant stays invariant-clean on a 2-vCPU post-copy run, overall blocktime within each vCPU\'s', () => {
    const s = postcopy({ machine: { vcpus: 2, guestMemoryMiB: 16, hostResidentMiB: 16 }, durationMs: 15 });
    for (const v of VARIANTS) {
      const r = runVariant(s, v);
      expect(r.invariants.violations, v.id).toEqual([]);
      expect(r.run.stoppedEarly, v.id).toBeNull();
      const pc = r.metrics.postcopy!;
      expect(pc.blocktimeNs, v.id).toBeLessThanOrEqual(Math.min(...pc.vcpuBlocktimeNs));
    }
  });

  it('the same scenario and seed give byte-identical results', () => {
    const s = postcopy();
    const once = JSON.stringify(runVariant(s, findVariant('arm64-sdei'), { seed: 5 }));
    expect(JSON.stringify(runVariant(s, findVariant('arm64-sdei'), { seed: 5 }))).toBe(once);
  });

  it('a swap run reports no post-copy figures', () => {
    const r = runVariant(parseScenario(TINY_SCENARIO_YAML, 't.yaml'), findVariant('sync-x86'));
    expect(r.metrics.postcopy).toBeNull();
  });

  it('post-copy takes no host limit, and a bad link is bad input naming the field', () => {
    const yaml = (backing: string, limit = 4) => TINY_SCENARIO_YAML.replace(/hostResidentMiB: 4/, `hostResidentMiB: ${limit}`).replace(/backing: .*\n/, `backing: ${backing}\n`);
    expect(() => parseScenario(yaml('{ kind: postcopy, rttUs: 100, bandwidthMBps: 671 }', 2), 'p.yaml')).toThrow(/p\.yaml: machine\.hostResidentMiB: backing postcopy takes no host limit/);
    expect(() => parseScenario(yaml('{ kind: postcopy, rttUs: 100, bandwidthMBps: 0 }'), 'p.yaml')).toThrow(/backing\.bandwidthMBps: must be at least 0\.001/);
    expect(() => parseScenario(yaml('{ kind: postcopy, rttUs: 100, bandwidthMBps: 671, dirtyShare: 0 }'), 'p.yaml')).toThrow(/backing\.dirtyShare: must be more than 0/);
    expect(() => parseScenario(yaml('{ kind: postcopy, rttUs: 100, bandwidthMBps: 671, latency: { dist: fixed, us: 1 } }'), 'p.yaml')).toThrow(/backing: unknown field\(s\): latency/);
    expect(() => parseScenario(yaml('{ kind: nfs }'), 'p.yaml')).toThrow(/backing\.kind: expected one of swap, postcopy/);
    expect(parseScenario(yaml('{ kind: postcopy, rttUs: 100, bandwidthMBps: 671 }'), 'p.yaml').backing).toEqual({ kind: 'postcopy', rttUs: 100, bandwidthMBps: 671, push: true, dirtyShare: 1 });
  });
});
