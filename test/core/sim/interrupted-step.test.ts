import { describe, expect, it, vi } from 'vitest';
import { HostMemory } from '../../../core/machine/memory.js';
import { findVariant, runVariant, scenarioSchema, type ScenarioInput } from '../../../index.js';

/**
 * An interrupt in the middle of a step does not undo what the step ran: the task goes on from
 * where it was when it gets the vCPU back (the kernel saves and restores its context; nothing
 * is redone). Hostile round J: a touch whose think time outlasted a tick was started over at
 * every tick and never finished, and an irqoff or preemptoff section with touches that outlasted
 * one ran its lead again at every tick and never ended; both held their vCPU for the whole run.
 */
function alone(step: ScenarioInput['tasks'][number]['program'][number], hz: number) {
  return scenarioSchema.parse({
    name: 'interrupted',
    durationMs: 1000,
    machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64, hz, touchNs: 100 },
    backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 } },
    regions: [{ name: 'a', mib: 16 }],
    tasks: [{ name: 'k', passes: 3, program: [step] }],
  });
}

describe('a step cut short by a tick goes on where it stopped', () => {
  it.each(['x86', 'arm64-sdei', 'sync-x86'])('%s: three touches of 2 ms think time each at 1,000 Hz take 6 ms, all of it work', (id) => {
    const m = runVariant(alone({ touch: { region: 'a', pattern: 'random', pages: 1, thinkNs: 2_000_000 } }, 1000), findVariant(id)).metrics;
    expect(m.tasks.k.finished).toBe(1);
    // The think time is work, each nanosecond once (what ran before a tick was credited then).
    expect(m.work).toBe(6_000); // µs
    // The touches' own time and the ticks' handlers come on top, a few microseconds.
    expect(m.tasks.k.completionNs!.mean).toBeGreaterThan(6_000_000);
    expect(m.tasks.k.completionNs!.mean).toBeLessThan(6_100_000);
  });

  it.each(['irqoff', 'preemptoff'] as const)('%s: a 20 ms section with a touch, at 1,000 Hz, runs its lead once a pass (three passes end after 60 ms)', (kind) => {
    const step = { [kind]: { us: 20_000, touch: { region: 'a', pattern: 'random' as const, pages: 1, thinkNs: 100 } } } as ScenarioInput['tasks'][number]['program'][number];
    const m = runVariant(alone(step, 1000), findVariant('x86')).metrics;
    expect(m.tasks.k.finished).toBe(1);
    expect(m.tasks.k.completionNs!.mean).toBeGreaterThan(60_000_000);
    expect(m.tasks.k.completionNs!.mean).toBeLessThan(60_200_000);
  });
});

describe('a touch cut after its access (hostile round K)', () => {
  const scenario = (durationMs: number, onSwap: boolean) =>
    scenarioSchema.parse({
      name: 'cut-after-access',
      durationMs,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 32, hz: 1000, touchNs: 100 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 }, pageCluster: 0 },
      regions: [{ name: 'a', mib: 1, onSwap }],
      tasks: [{ name: 'k', passes: 1, program: [{ touch: { region: 'a', pattern: 'sequential', pages: 16, thinkNs: 5_000_000 } }] }],
    });

  it('goes on in its think time: its page is not looked up again, though ticks cut every touch five times', () => {
    // One page a pass (a segment of one touch), 16 passes over region a (gfns 0-255, the first laid out).
    const s = scenarioSchema.parse({
      ...scenario(200, false),
      tasks: [{ name: 'k', passes: 16, program: [{ touch: { region: 'a', pattern: 'sequential', pages: 1, thinkNs: 5_000_000 } }] }],
    });
    const lookups = vi.spyOn(HostMemory.prototype, 'isResident');
    try {
      expect(runVariant(s, findVariant('x86')).metrics.tasks.k.finished).toBe(1);
      const byPage = new Map<number, number>();
      for (const [gfn] of lookups.mock.calls) if (gfn < 256) byPage.set(gfn, (byPage.get(gfn) ?? 0) + 1);
      expect([...byPage.values()]).toEqual(Array(16).fill(1));
    } finally {
      lookups.mockRestore();
    }
  });

  it('a fault\'s latency ends when its access does, not after the think time that follows (10 ms of think read as a 10.1 ms fault)', () => {
    // The same fault read 0.108 ms when the drain completed it and 10.108 ms inside the window.
    for (const durationMs of [100, 0.05]) {
      const m = runVariant(scenario(durationMs, true), findVariant('sync-x86')).metrics;
      expect(m.faultLatencyNs.p50, `durationMs ${durationMs}`).toBeGreaterThan(100_000);
      expect(m.faultLatencyNs.p50, `durationMs ${durationMs}`).toBeLessThan(200_000);
    }
  });
});

describe('a touch cut during its access, a section\'s lead, a section\'s think time (hostile round P)', () => {
  it('a random touch cut during its access goes on with the same page: no more faults than touches', () => {
    // Each access (250 µs) spans two or three ticks at 10 kHz. A new page drawn at every cut made
    // 9,281 faults of 2,680 touches done: an access re-rolled until it found a resident page.
    const s = scenarioSchema.parse({
      name: 'cut-during-access',
      durationMs: 1000,
      seed: 4,
      machine: { vcpus: 1, guestMemoryMiB: 256, hostResidentMiB: 16, hz: 10_000, preemption: 'full', touchNs: 250_000 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 1000 }, pageCluster: 0 },
      regions: [{ name: 'array', mib: 128 }],
      tasks: [{ name: 'w', program: [{ touch: { region: 'array', pattern: 'random', pages: 10, thinkNs: 0 } }, { compute: { us: 1 } }] }],
      drain: { enabled: false },
    });
    const m = runVariant(s, findVariant('sync-x86')).metrics;
    // One work unit a pass (its 1 µs compute): ten touches a pass, and one pass under way.
    const touches = 10 * (Math.round(m.work) + 1);
    expect(m.apf.faults).toBeLessThanOrEqual(touches);
    // The host holds 16 MiB of the 128: most touches miss.
    expect(m.apf.faults).toBeGreaterThan(0.7 * touches);
  });

  const pair = (section: 'irqoff' | 'preemptoff') =>
    scenarioSchema.parse({
      name: 'lead-ipi',
      durationMs: 100,
      machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 } },
      regions: [{ name: 'a', mib: 1 }],
      tasks: [
        { name: 'b', vcpu: 1, program: [{ [section]: { us: 50_000, touch: { region: 'a', pattern: 'random', pages: 1, thinkNs: 0 } } }] },
        { name: 's', vcpu: 0, program: [{ ipi: { target: 1, handlerUs: 1 } }, { compute: { us: 100 } }] },
      ],
    });

  it('a preemptoff section takes a cross-call in its lead, with interrupts on; an irqoff one holds it to the section\'s end', () => {
    // PROTOCOLS.md §3 "IPIs": the target answers when it runs with interrupts on. The lead charged
    // in one piece held every call for its 50 ms (40 calls in 2 s, not 19,557).
    const on = runVariant(pair('preemptoff'), findVariant('x86')).metrics.ipi;
    expect(on.waitNs!.mean).toBeLessThan(100_000);
    const off = runVariant(pair('irqoff'), findVariant('x86')).metrics.ipi;
    expect(off.waitNs!.mean).toBeGreaterThan(10_000_000);
  });

  it.each(['irqoff', 'preemptoff'] as const)('the think time of a %s section\'s touches is kernel time, not work; a system call\'s is work', (section) => {
    const touch = { region: 'a', pattern: 'random' as const, pages: 4, thinkNs: 100_000 };
    const sectionStep = { [section]: { us: 10, touch } } as ScenarioInput['tasks'][number]['program'][number];
    const inSection = runVariant(alone(sectionStep, 1000), findVariant('x86')).metrics;
    expect(inSection.tasks.k.finished).toBe(1);
    expect(inSection.work).toBe(0);
    const syscall = runVariant(alone({ syscall: touch }, 1000), findVariant('x86')).metrics;
    expect(syscall.work).toBe(3 * 4 * 100); // µs: three passes of four touches
  });
});
