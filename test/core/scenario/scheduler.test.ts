/**
 * machine.scheduler: the guest's fair class and its defaults. EEVDF's base slice is
 * sysctl_sched_base_slice (0.7 ms) scaled as update_sysctl() scales it, by 1 + ilog2(min(CPUs, 8))
 * (kernel/sched/fair.c, SCHED_TUNABLESCALING_LOG); CFS's knobs do not exist in 6.6 on.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../index.js';
import { MINIMAL, scenarioErrorOf } from './minimal.js';

const withMachine = (fields: string) => MINIMAL.replace('hostResidentMiB: 32 }', `hostResidentMiB: 32, ${fields} }`);

describe('machine.scheduler', () => {
  it('is eevdf by default, its slice 0.7 ms × (1 + ilog2(min(vCPUs, 8))), with no CFS knobs', () => {
    const slice = (vcpus: number) => parseScenario(MINIMAL.replace('vcpus: 2', `vcpus: ${vcpus}`), 'f').machine;
    expect(slice(2).scheduler).toBe('eevdf');
    expect([1, 2, 3, 4, 8, 64].map((n) => slice(n).sliceUs)).toEqual([700, 1400, 1400, 2100, 2800, 2800]);
    expect(Object.keys(slice(2))).not.toContain('wakeupGranularityUs');
  });

  it('cfs: a 4 ms tick slice, and wakeup granularity and latency 1 ms and 6 ms scaled as the slice is (3 ms and 18 ms for 4 vCPUs)', () => {
    const m = (vcpus: number) => parseScenario(withMachine('scheduler: cfs').replace('vcpus: 2', `vcpus: ${vcpus}`), 'f').machine;
    expect([1, 2, 4, 24].map((n) => [m(n).sliceUs, m(n).wakeupGranularityUs, m(n).schedLatencyUs])).toEqual([
      [4000, 1000, 6000],
      [4000, 2000, 12000],
      [4000, 3000, 18000],
      [4000, 4000, 24000],
    ]);
  });

  it('a slice given is kept under either', () => {
    expect(parseScenario(withMachine('sliceUs: 3000'), 'f').machine.sliceUs).toBe(3000);
    expect(parseScenario(withMachine('scheduler: cfs, sliceUs: 3000'), 'f').machine.sliceUs).toBe(3000);
  });

  it('refuses a CFS knob under eevdf, naming the field and the way out', () => {
    const e = scenarioErrorOf(() => parseScenario(withMachine('wakeupGranularityUs: 1000'), 'f'));
    expect([e.field, e.problem]).toEqual(['machine.wakeupGranularityUs', 'is a CFS knob (Linux before 6.6); EEVDF has none: leave it out, or set scheduler: cfs']);
  });
});
