import { describe, expect, it } from 'vitest';
import { stat } from '../../../core/sweep/document.js';
import { brokenRelation, runFigures, SWEEP_METRICS } from '../../../core/sweep/metrics.js';
import { VARIANTS } from '../../../arches/registry.js';
import { runVariant, x86Variant } from '../../../index.js';
import { scenarioSchema } from '../../../core/scenario/schema.js';
import { smallScenario } from '../../support/scenarios.js';

const LATENCY = ['faultLatency.p50', 'faultLatency.p99', 'faultLatency.max'];

describe('a sweep run\'s figures', () => {
  it('a run where no fault completed has no fault latency (null), not a latency of 0', () => {
    // The host holds the whole guest: no page is ever missing, so no fault and no latency sample.
    const s = smallScenario({ durationMs: 5, machine: { ...smallScenario().machine, hostResidentMiB: 64 } });
    const r = runVariant(s, x86Variant);
    expect(r.metrics.faultLatencyNs.count).toBe(0);
    const figures = runFigures(r);
    expect(figures.faults).toBe(0);
    for (const m of LATENCY) expect(figures[m]).toBeNull();
    // Nor any figure per fault: with no fault there is no ratio (sweep part v5; v4 gave 0).
    expect([figures.exitsPerFault, figures.injectionsPerFault]).toEqual([null, null]);
  });

  it('a run with faults keeps its latency figures as run --json gives them', () => {
    const r = runVariant(smallScenario({ durationMs: 20 }), x86Variant);
    expect(r.metrics.faultLatencyNs.count).toBeGreaterThan(0);
    const figures = runFigures(r);
    expect(figures['faultLatency.p50']).toBe(r.metrics.faultLatencyNs.p50);
    expect(figures['faultLatency.p99']).toBe(r.metrics.faultLatencyNs.p99);
    expect(figures['faultLatency.max']).toBe(r.metrics.faultLatencyNs.max);
  });

  it('every figure of a run is of its metric\'s kind, which sweep merge holds a part file to', () => {
    const runs = [runVariant(smallScenario({ durationMs: 20 }), x86Variant), runVariant(smallScenario({ durationMs: 5, machine: { ...smallScenario().machine, hostResidentMiB: 64 } }), x86Variant)];
    for (const figures of runs.map(runFigures)) {
      for (const m of SWEEP_METRICS) {
        const v = figures[m.name];
        if (v === null) expect(['latency', 'perFault'], m.name).toContain(m.kind);
        else expect(m.kind === 'amount' || m.kind === 'perFault' ? v >= 0 : Number.isInteger(v) && v >= 0, `${m.name} = ${v}`).toBe(true);
      }
    }
  });

  it('every variant\'s runs keep the relations sweep merge holds a part\'s figures to', () => {
    // With and without memory pressure, so that faults go async, synchronous and halted.
    const scenarios = [smallScenario({ durationMs: 20 }), smallScenario({ durationMs: 5, machine: { ...smallScenario().machine, hostResidentMiB: 64 } })];
    for (const v of VARIANTS) {
      for (const s of scenarios) for (const seed of [1, 2]) expect(brokenRelation(runFigures(runVariant(s, v, { seed }))), v.id).toBeNull();
    }
  });

  it('a run may have fault latencies with faults 0, which merge must accept: a fault that stalls in reclaim across the window\'s end', () => {
    // vCPU 0 zero-fills a stream of pages, so that evicted pages under writeback throttle reclaim;
    // vCPU 1's one fault (a page on swap) starts at ~200.07 ms, stalls to ~200.45 ms and is counted
    // there, when the host decides it: past the window's end (200.2 ms), so not at all. Its latency
    // counts, as every fault's that started in the window does (core/sim/fault-latency.ts).
    const s = scenarioSchema.parse({
      name: 'straddle',
      durationMs: 200.2,
      machine: { vcpus: 2, guestMemoryMiB: 256, hostResidentMiB: 32 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 1000 }, queueDepth: 1 },
      regions: [{ name: 'z', mib: 200, populated: false }, { name: 's', mib: 16, onSwap: true }],
      tasks: [
        { name: 'streamer', vcpu: 0, program: [{ touch: { region: 'z', pattern: 'sequential' } }] },
        { name: 't', vcpu: 1, passes: 1, program: [{ compute: { us: 200_000 } }, { touch: { region: 's', pattern: 'sequential' } }] },
      ],
      drain: { enabled: true, maxMs: 2000 },
    });
    const figures = runFigures(runVariant(s, x86Variant));
    expect(figures.faults).toBe(0);
    for (const m of LATENCY) expect(figures[m]).not.toBeNull();
    expect(brokenRelation(figures)).toBeNull();
  });

  it('an until run records its measured window, and work per measured second, which compares windows of different lengths', () => {
    // A memory task's pass ends the window (until): a slower disk keeps it open longer, and the
    // compute threads beside it do more work in it.
    const at = (us: number) =>
      scenarioSchema.parse({
        name: 'until-window',
        durationMs: 60_000,
        machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 16 },
        backing: { kind: 'swap', latency: { dist: 'fixed', us }, queueDepth: 32 },
        regions: [{ name: 'r', mib: 32 }],
        tasks: [
          { name: 'mem', passes: 1, program: [{ touch: { region: 'r', pattern: 'sequential', pages: 8192, thinkNs: 500 } }] },
          { name: 'calc', count: 2, program: [{ compute: { us: 1000 } }] },
        ],
        until: { tasks: ['mem'] },
      });
    const [fast, slow] = [at(100), at(1000)].map((s) => runVariant(s, x86Variant));
    const [f, s] = [fast, slow].map(runFigures);
    expect(f.measuredMs).toBe(fast.run.measuredNs / 1e6);
    expect(s.measuredMs).toBe(slow.run.measuredNs / 1e6);
    expect(s.measuredMs!).toBeGreaterThan(2 * f.measuredMs!);
    expect(s.measuredMs!).toBeLessThan(60_000);
    // Raw work grows with the window; per measured second it does not.
    expect(s.work!).toBeGreaterThan(2 * f.work!);
    for (const [r, x] of [[fast, f], [slow, s]] as const) expect(x.workPerSecond).toBeCloseTo((r.metrics.work / r.run.measuredNs) * 1e9, 3);
    expect(s.workPerSecond!).toBeLessThan(1.5 * f.workPerSecond!);
  });

  it('a summary is over the runs that have the figure, and null where none has', () => {
    expect(stat([null, null])).toBeNull();
    expect(stat([null, 4, 2])).toEqual({ mean: 3, min: 2, max: 4 });
    expect(stat([1, 2])).toEqual({ mean: 1.5, min: 1, max: 2 });
  });
});
