import { describe, expect, it } from 'vitest';
import { compareVariants, syncX86Variant, x86Variant } from '../../index.js';
import { FaultLifeRecorder } from '../../core/fault-life.js';
import { smallScenario } from '../support/scenarios.js';

describe('what a run reports for the design report', () => {
  const plain = compareVariants(smallScenario(), [syncX86Variant, x86Variant]);
  const lives = new Map<string, FaultLifeRecorder>();
  const traced = compareVariants(smallScenario(), [syncX86Variant, x86Variant], {
    trace: (v) => {
      const r = new FaultLifeRecorder(20e6);
      lives.set(v.id, r);
      return r.sink;
    },
  });

  it('latency quantiles agree with p50, p99 and max, and rise', () => {
    for (const r of plain.variants) {
      const l = r.metrics.faultLatencyNs;
      const q = l.quantiles!;
      expect(q).toHaveLength(101);
      expect([q[50], q[99], q[100]]).toEqual([l.p50, l.p99, l.max]);
      for (let i = 1; i <= 100; i++) expect(q[i]).toBeGreaterThanOrEqual(q[i - 1]);
    }
  });

  it('work over time adds up to the work', () => {
    for (const r of plain.variants) {
      const w = r.metrics.workOverTime;
      expect(w.units).toHaveLength(100);
      expect(w.intervalNs * w.units.length).toBeGreaterThanOrEqual(plain.scenario.durationMs * 1e6);
      expect(w.units.reduce((a, b) => a + b, 0)).toBeCloseTo(r.metrics.work, 0);
    }
  });

  it('tracing changes nothing, and keeps one whole fault per variant', () => {
    expect(JSON.stringify(traced)).toBe(JSON.stringify(plain));
    for (const [id, r] of lives) {
      const life = r.life!;
      expect(life, id).not.toBeNull();
      expect(life.events[0].event).toBe('apf_lab_stage2_fault');
      expect(life.events[life.events.length - 1].event).toBe('apf_lab_access_done');
      expect(life.events[life.events.length - 1].timeNs - life.startNs).toBe(life.latencyNs);
    }
    expect(lives.get('sync-x86')!.life!.events.map((e) => e.event)).toContain('apf_lab_sync_fault');
    expect(lives.get('x86')!.life!.events.map((e) => e.event)).toEqual(expect.arrayContaining(['kvm_try_async_get_page', 'kvm_async_pf_completed', 'kvm_async_pf_ready']));
  });
});
