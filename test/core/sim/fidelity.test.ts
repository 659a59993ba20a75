import { describe, expect, it } from 'vitest';
import { arm64SdeiVariant, runVariant, syncVariant, VARIANTS, x86Variant } from '../../../index.js';
import { freeExitsVariant, spinningScenario } from '../../support/free-exits.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * Whole-run checks of model-fidelity and false-alarm defects found when the lab was checked.
 */

/** One vCPU, one sequential writer over a region far larger than the resident limit: an APF per page. */
function sequentialWriter(durationMs: number, drain = true, latencyUs = 5) {
  return smallScenario({
    durationMs,
    machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 1 },
    // One page per read (no swap readahead): an APF for every page.
    backing: { kind: 'swap', latency: { dist: 'fixed', us: latencyUs }, queueDepth: 64, pageCluster: 0 },
    tasks: [{ name: 'writer', program: [{ touch: { region: 'array', pattern: 'sequential', pages: 64 } }] }],
    drain: { enabled: drain, maxMs: 50 },
  });
}

describe('token lives: a token id that wraps is a new life, not a second page-ready', () => {
  // facts/arm64.md §1a: v4's id is a u16, so one vCPU reuses its tokens after 65,536 faults
  it('an arm64-sdei run with more than 65,536 APFs on one vCPU keeps every invariant', () => {
    // About 98 APFs per simulated ms: 1 s is one wrap (97,600 APFs, 49 % past 65,536), not two.
    const r = runVariant(sequentialWriter(1000), arm64SdeiVariant);
    expect(r.metrics.apf.asyncStarted).toBeGreaterThan(65_536);
    expect(r.invariants.violations).toEqual([]);
    // vCPU 0 is handed token 0 on its first fault and again after the wrap (no zero guard in v4),
    // and loses no page-ready by it: the invariants above held (arches/arm64/async-pf.ts setupAsyncPf()).
  });
});

describe('the runaway guard never fires on a valid scenario', () => {
  it('one vCPU, one task touching resident memory runs to the end (one event per 100 ns touch)', () => {
    // A one-page touch step is one event per touch: 10 per µs, more than the old budget of 4 per µs
    // (50 ms: 500,000 events, against the 200,000 that budget allowed).
    const s = smallScenario({
      durationMs: 50,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64 },
      regions: [{ name: 'array', mib: 32 }],
      tasks: [{ name: 'reader', program: [{ touch: { region: 'array', pages: 1 } }] }],
      drain: { enabled: false, maxMs: 1 },
    });
    const r = runVariant(s, x86Variant);
    expect(r.run.stoppedEarly).toBeNull();
    expect(r.run.simulatedNs).toBeGreaterThanOrEqual(50e6);
    expect(r.invariants.violations).toEqual([]);
  });

  it('a backend that spins at one instant is stopped, and the run says where instead of claiming the full duration', () => {
    // A backend whose exits cost nothing: a repeated fault re-enters and faults again (v4's retry)
    // at the same instant forever, so the read it waits for can never finish.
    const free = freeExitsVariant;
    const s = spinningScenario();
    const r = runVariant(s, free);
    expect(r.run.stoppedEarly).toMatch(/stopped at \d+ ns/);
    expect(r.run.simulatedNs).toBeLessThan(50e6);
    expect(r.invariants.counts['7']).toBeGreaterThan(0);
  });
});

describe('work in flight at the end is reported as in flight, not as a violation (DESIGN.md "Invariants")', () => {
  it.each([x86Variant, arm64SdeiVariant])('%s with the drain off', (variant) => {
    // A fast device and an end right after a burst of faults: page-readies are on their way.
    const r = runVariant(sequentialWriter(3, false, 400), variant);
    expect(r.invariants.violations).toEqual([]);
    expect(r.invariants.inFlight).toBeGreaterThan(0);
  });

  it.each([x86Variant, arm64SdeiVariant])('%s with a drain that times out', (variant) => {
    const s = smallScenario({
      durationMs: 20,
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 60_000 }, queueDepth: 64 },
      drain: { enabled: true, maxMs: 1 },
    });
    const r = runVariant(s, variant);
    expect(r.run.stoppedEarly).toBe('drain timed out');
    expect(r.invariants.violations).toEqual([]);
    expect(r.invariants.inFlight).toBeGreaterThan(0);
  });
});

describe('percentages: a page faulted again after eviction is a new fault', () => {
  it('async never exceeds faults when pages are evicted before the woken task touches them', () => {
    // A resident limit of a few pages and many writers: a prefaulted page is often evicted again.
    const s = smallScenario({
      durationMs: 100,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 0.05 },
      tasks: [{ name: 'writer', count: 24, program: [{ touch: { region: 'array', pages: 4 } }] }],
    });
    for (const v of [x86Variant, arm64SdeiVariant]) {
      const r = runVariant(s, v);
      expect(r.metrics.apf.asyncStarted).toBeLessThanOrEqual(r.metrics.apf.faults);
      expect(r.metrics.apf.notPresentDelivered).toBeLessThanOrEqual(r.metrics.apf.faults);
    }
  });
});

describe('guest kernel preemption', () => {
  /** One vCPU: a task in a long kernel step (a system call over resident memory) and a compute task. */
  function kernelHog(preemption: 'none' | 'voluntary' | 'full') {
    return smallScenario({
      durationMs: 200,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64, preemption },
      regions: [{ name: 'array', mib: 32 }],
      tasks: [
        // 300,000 accesses of 1 µs: one system call longer than the run, so `none` never reaches its return to user.
        { name: 'hog', program: [{ syscall: { region: 'array', pages: 300_000, thinkNs: 1000 } }] },
        { name: 'worker', program: [{ compute: { us: 1000 } }] },
      ],
    });
  }

  it('under none a task in the kernel keeps the vCPU past its slice; voluntary and full share it', () => {
    const none = runVariant(kernelHog('none'), syncVariant).metrics.workByTask;
    const voluntary = runVariant(kernelHog('voluntary'), syncVariant).metrics.workByTask;
    const full = runVariant(kernelHog('full'), syncVariant).metrics.workByTask;
    expect(none.worker ?? 0).toBeLessThan(0.1 * (none.hog ?? 0));
    for (const shared of [voluntary, full]) {
      expect(shared.worker).toBeGreaterThan(0.3 * (shared.worker + shared.hog));
    }
  });

  it('defaults to voluntary, as distribution kernels ship', () => {
    expect(smallScenario().machine.preemption).toBe('voluntary');
  });

  it('an irqoff section without a touch is kernel time, not work', () => {
    const s = smallScenario({
      durationMs: 50,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64 },
      tasks: [{ name: 'driver', program: [{ irqoff: { us: 50 } }] }],
    });
    const r = runVariant(s, syncVariant);
    expect(r.metrics.work).toBe(0);
    expect(r.metrics.vcpuTimeNs.kernel).toBeGreaterThan(0.95 * 50e6);
    expect(r.metrics.vcpuTimeNs.user).toBe(0);
  });

  it('interrupts are taken between two consecutive irqoff sections', () => {
    // Back-to-back 20 ms sections: the tick pending at the end of one is taken before the next,
    // so the compute task gets the vCPU once the slice is used.
    const s = smallScenario({
      durationMs: 200,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64, preemption: 'full' },
      tasks: [
        { name: 'driver', program: [{ irqoff: { us: 20_000 } }, { irqoff: { us: 20_000 } }] },
        { name: 'worker', program: [{ compute: { us: 1000 } }] },
      ],
    });
    const r = runVariant(s, syncVariant);
    expect(r.metrics.workByTask.worker).toBeGreaterThan(0.2 * 200_000);
  });
});

describe('hostile-test regressions', () => {
  // touchNs 0 and thinkNs 0: a touch segment takes no time; cutting one short must not divide by zero
  // (it left the task's progress NaN and spun at one instant: a false invariant-7 report).
  it('touches that take no time, cut short by an interrupt, do not spin', () => {
    const s = smallScenario({
      durationMs: 5,
      machine: { vcpus: 4, guestMemoryMiB: 4, hostResidentMiB: 1, touchNs: 0 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 1 }, queueDepth: 32 },
      regions: [{ name: 'r0', mib: 2 }],
      tasks: [{ name: 't0', program: [{ compute: { us: 10 } }, { touch: { region: 'r0', pages: 1 } }] }],
      drain: { enabled: false, maxMs: 1 },
    });
    for (const seed of [-726014376, 4]) {
      const r = runVariant(s, x86Variant, { seed });
      expect(r.run.stoppedEarly).toBeNull();
      expect(r.invariants.violations).toEqual([]);
    }
  });

  it('every arm64 variant and the arm64 baseline refuse the same bad knob', () => {
    const s = { ...smallScenario(), arch: { arm64: { sdeiEvent: 1.5 } } };
    for (const v of VARIANTS.filter((x) => x.arch === 'arm64')) {
      expect(() => runVariant(s, v), v.id).toThrow(/arch\.arm64\.sdeiEvent: 1\.5/);
    }
  });
});
