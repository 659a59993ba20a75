import { describe, expect, it } from 'vitest';
import { findVariant } from '../../arches/registry.js';
import { captureTrace, type CapturedEvent } from '../../core/trace-capture.js';
import { runVariant } from '../../core/run.js';
import { isUpstreamTracepoint } from '../../core/tracepoints.js';
import { smallScenario } from '../support/scenarios.js';

const scenario = smallScenario({ durationMs: 60 });
const x86 = findVariant('x86');
const key = (e: CapturedEvent) => `${e.timeNs} ${e.vcpu} ${e.event} ${JSON.stringify(e.fields)}`;

describe('captureTrace: a run as a host capture would hold it', () => {
  const whole = captureTrace(scenario, x86);

  it('keeps only Linux tracepoints unless asked for the lab events, in time order', () => {
    expect(whole.events.length).toBeGreaterThan(50);
    expect(whole.events.every((e) => isUpstreamTracepoint(e.event))).toBe(true);
    for (let i = 1; i < whole.events.length; i++) expect(whole.events[i].timeNs).toBeGreaterThanOrEqual(whole.events[i - 1].timeNs);
    const lab = captureTrace(scenario, x86, { lab: true });
    expect(lab.events.some((e) => e.event.startsWith('apf_lab_'))).toBe(true);
    expect(lab.events.filter((e) => isUpstreamTracepoint(e.event)).map(key)).toEqual(whole.events.map(key));
  });

  it('events of one stamp keep the order they were emitted in (ftrace appends them so)', () => {
    const emitted: string[] = [];
    runVariant(scenario, x86, { trace: (timeNs, vcpu, event, fields) => void (isUpstreamTracepoint(event) && emitted.push(key({ timeNs, vcpu, event, fields }))) });
    const stamps = whole.events.map((e) => e.timeNs);
    // The run emits out of time order (a vCPU's clock runs ahead), and some stamps hold several events.
    expect(stamps.some((t, i) => i > 0 && t === stamps[i - 1])).toBe(true);
    const byStamp = (keys: string[]) => keys.sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]));
    expect(whole.events.map(key)).toEqual(byStamp(emitted));
  });

  it('a window stops the run early and holds exactly the events of the whole run in that window', () => {
    const fromNs = 10_000_000;
    const toNs = 25_000_000;
    const part = captureTrace(scenario, x86, { fromNs, toNs });
    expect(part.result.run.simulatedNs).toBeLessThan(whole.result.run.simulatedNs);
    expect(part.events.map(key)).toEqual(whole.events.filter((e) => e.timeNs >= fromNs && e.timeNs <= toNs).map(key));
    expect(part.events.length).toBeGreaterThan(0);
  });

  it('a vCPU filter keeps that vCPU only', () => {
    const one = captureTrace(scenario, x86, { vcpus: [1] });
    expect(one.events.map(key)).toEqual(whole.events.filter((e) => e.vcpu === 1).map(key));
  });

  it('--max-events keeps exactly the first N events of the whole run, ticks of several vCPUs at one instant included', () => {
    for (const n of [1, 3, 40]) {
      const cut = captureTrace(scenario, x86, { maxEvents: n });
      expect(cut.cutAtMaxEvents).toBe(true);
      expect(cut.events.map(key)).toEqual(whole.events.slice(0, n).map(key));
      expect(cut.toNs).toBe(whole.events[n - 1].timeNs);
    }
  });

  it('a window that starts after the run ended is bad input, not a backwards window', () => {
    expect(() => captureTrace(scenario, x86, { fromNs: 10_000_000_000 })).toThrow(/the run ended at .* before the window's start/);
  });

  it('the same scenario and seed give the same capture; a baseline traces nothing', () => {
    expect(captureTrace(scenario, x86).events.map(key)).toEqual(whole.events.map(key));
    expect(captureTrace(scenario, findVariant('sync-x86')).events).toEqual([]);
  });

  it('refuses an empty window', () => {
    expect(() => captureTrace(scenario, x86, { fromNs: 5, toNs: 4 })).toThrow(/empty/);
  });
});
