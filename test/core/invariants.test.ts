import { describe, expect, it } from 'vitest';
import {
  arm64SdeiVariant,
  createX86Backend,
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  runVariant,
  syncVariant,
  x86Variant,
  YES,
  type Backend,
  type RunResult,
  type Variant,
  type Vcpu,
  type X86VcpuState,
} from '../../index.js';
import { smallScenario } from '../support/scenarios.js';

/**
 * Each of DESIGN.md's seven invariants, provoked through a deliberately broken backend: the
 * x86 backend with one hook wrong. The monitor keeps its own shadow state, so it catches a
 * backend that lies to core as well as one that breaks the protocol.
 */
type X86Backend = Backend<X86VcpuState, { gfn: number }>;

function broken(id: string, patch: (b: X86Backend) => Partial<X86Backend>): Variant {
  return {
    ...x86Variant,
    id,
    createBackend: (ctx) => {
      const b = createX86Backend(ctx);
      return { ...b, ...patch(b) };
    },
  };
}

function counts(r: RunResult): Record<string, number> {
  return r.invariants.counts as Record<string, number>;
}

describe('invariants hold for the built-in variants', () => {
  for (const v of [syncVariant, x86Variant, arm64SdeiVariant]) {
    it(`${v.id}: no violation, nothing left in flight after the drain`, () => {
      const r = runVariant(smallScenario(), v);
      expect(r.invariants.violations).toEqual([]);
      expect(r.invariants.inFlight).toBe(0);
      expect(r.metrics.apf.faults).toBeGreaterThan(100);
    });
  }
});

describe('a broken backend is reported, not ignored', () => {
  it('1: a not-present whose page-ready never goes out', () => {
    const v = broken('no-ready', () => ({ asyncPagePresent: () => false }));
    const r = runVariant(smallScenario(), v);
    expect(counts(r)['1']).toBeGreaterThan(0);
    expect(r.invariants.ok).toBe(false);
    expect(r.invariants.violations.find((x) => x.invariant === 1)?.message).toMatch(/never got page-ready/);
  });

  it('1: a page-ready the guest takes twice', () => {
    const v = broken('double-wake', (b) => ({
      guestInit: (vcpu) => {
        b.guestInit(vcpu);
        // The guest's handler wakes the same token twice.
        const handler = (vcpu as Vcpu).irqHandlers.get(vcpu.state.vec)!;
        vcpu.guest.requestIrq(vcpu.state.vec, () => {
          const token = vcpu.state.memory.read32(vcpu.state.guest.apfReasonGpa + 4n); // apf_reason.token
          if (token !== 0 && token !== 0xffffffff) vcpu.guest.asyncPfTaskWake(token);
          handler();
        });
      },
    }));
    const r = runVariant(smallScenario(), v);
    expect(r.invariants.violations.find((x) => x.invariant === 1)?.message).toMatch(/delivered twice/);
  });

  it('2: a guest that sleeps on a stale CR2 loses the wake-up', () => {
    let first: number | null = null;
    const v = broken('stale-cr2', (b) => ({
      asyncPageNotPresent: (vcpu, work) => {
        first ??= work.token;
        const stale = first;
        const injected = b.asyncPageNotPresent(vcpu, work);
        if (injected && vcpu.cancelEvent('#PF')) {
          vcpu.injectEvent({
            name: '#PF',
            token: work.token,
            signal: 'not-present',
            handler: () => {
              vcpu.state.memory.write32(vcpu.state.guest.apfReasonGpa, 0); // apf_reason.flags
              vcpu.guest.asyncPfTaskWaitSchedule(stale);
            },
          });
        }
        return injected;
      },
    }));
    const r = runVariant(smallScenario(), v);
    expect(counts(r)['2']).toBeGreaterThan(0);
    expect(r.invariants.violations.find((x) => x.invariant === 2)?.message).toMatch(/wake-up is lost/);
  });

  it('3: dequeuing page-ready without waiting for the ACK', () => {
    // Two tasks sleep on two tokens; both pages arrive before the vCPU enters again.
    const run = (variant: Variant) => {
      const h = new Harness<X86VcpuState>(variant);
      h.fault(HARNESS_FIRST_MISSING_GFN);
      h.enter(); // the #PF: the first task sleeps; the second becomes current below
      const v = h.vcpu();
      v.current = v.runq.pickNext() ?? null;
      h.fault(HARNESS_FIRST_MISSING_GFN + 1);
      h.enter();
      h.complete(HARNESS_FIRST_MISSING_GFN);
      h.complete(HARNESS_FIRST_MISSING_GFN + 1);
      h.enter();
      return h.sim.monitor;
    };
    expect(run(x86Variant).violations).toEqual([]);
    const monitor = run(broken('no-ack-wait', () => ({ canDequeueAsyncPagePresent: () => YES })));
    expect(monitor.violations.find((x) => x.invariant === 3)?.message).toMatch(/without an ACK/);
  });

  it('4: delivering not-present in kernel mode', () => {
    const v = broken('kernel-delivery', () => ({ canDeliverAsyncPf: () => YES }));
    const r = runVariant(smallScenario(), v);
    expect(r.invariants.violations.find((x) => x.invariant === 4)?.message).toMatch(/kernel-mode/);
  });

  it('5: a backend that under-counts queued work lets the queue pass the cap', () => {
    // Many writers on one vCPU and a slow device: far more than 64 faults outstanding.
    const crowded = smallScenario({
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 8 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 20000 }, queueDepth: 256 },
      tasks: [{ name: 'writer', count: 100, program: [{ touch: { region: 'array', pages: 1 } }] }],
    });
    const correct = runVariant(crowded, x86Variant);
    expect(correct.invariants.violations).toEqual([]);
    expect(correct.metrics.apf.syncFallbacks['queue-full']).toBeGreaterThan(0);

    const v = broken('double-free', (b) => ({
      asyncPageNotPresent: (vcpu, work) => {
        (vcpu as Vcpu).apf.queued--; // the bug: a work is freed twice
        return b.asyncPageNotPresent(vcpu, work);
      },
    }));
    const r = runVariant(crowded, v);
    expect(r.invariants.violations.find((x) => x.invariant === 5)?.message).toMatch(/the cap is 64/);
  });

  it('6: forgetting the gfn lets a repeated fault allocate a second token', () => {
    // A kernel-mode fault halts; a tick wakes the vCPU and the instruction faults again.
    const run = (variant: Variant) => {
      const h = new Harness<X86VcpuState>(variant);
      h.setCpu({ privilege: 'kernel' });
      h.fault(HARNESS_FIRST_MISSING_GFN);
      h.vcpu().mode = 'run';
      h.fault(HARNESS_FIRST_MISSING_GFN);
      return h.sim.monitor;
    };
    expect(run(x86Variant).violations).toEqual([]);
    const monitor = run(
      broken('forget-gfn', (b) => ({
        asyncPageNotPresent: (vcpu, work) => {
          (vcpu as Vcpu).apf.gfns.delete(work.gfn);
          return b.asyncPageNotPresent(vcpu, work);
        },
        canDeliverAsyncPf: (vcpu) => {
          (vcpu as Vcpu).apf.gfns.clear();
          return b.canDeliverAsyncPf(vcpu);
        },
      })),
    );
    expect(monitor.violations.find((x) => x.invariant === 6)?.message).toMatch(/second token/);
  });

  it('7: tasks left asleep with nothing to wake them', () => {
    const v = broken('no-ready', () => ({ asyncPagePresent: () => false }));
    const r = runVariant(smallScenario(), v);
    expect(r.invariants.violations.find((x) => x.invariant === 7)?.message).toMatch(/nothing will wake it/);
  });
});

/**
 * In flight or lost: work still on its way when a run is cut (by its window or its drain's cap) is
 * in flight; once a drain has run dry nothing is, and whoever still waits waits forever.
 */
describe('what is left at the end of a run', () => {
  // The host writes page-ready and reports it delivered, but the guest never sees it (as a ready
  // overwritten before the guest read it).
  const lostReady = broken('lost-ready', () => ({ asyncPagePresent: () => true }));

  it('1 and 7: a page-ready sent but never taken, after a drain that ran dry, is lost, not in flight', () => {
    const r = runVariant(smallScenario(), lostReady);
    expect(r.run.stoppedEarly).toBeNull();
    expect(r.invariants.inFlight).toBe(0);
    expect(r.invariants.violations.find((x) => x.invariant === 1)?.message).toMatch(/page-ready was sent but never taken/);
    expect(r.invariants.violations.find((x) => x.invariant === 7)?.message).toMatch(/sleeps on token .* nothing will wake it/);
  });

  // A 60 ms device: the window's last reads are still on their way when it ends.
  const slow = (drain: { enabled: boolean; maxMs: number }) =>
    smallScenario({ durationMs: 20, backing: { kind: 'swap', latency: { dist: 'fixed', us: 60_000 }, queueDepth: 64 }, drain });

  it.each([
    ['its window (no drain)', { enabled: false, maxMs: 1 }],
    ['its drain cap', { enabled: true, maxMs: 3 }],
  ])('a run cut by %s reports the reads still on their way as in flight, not as violations', (_, drain) => {
    const r = runVariant(slow(drain), x86Variant);
    expect(r.invariants.inFlight).toBeGreaterThan(0);
    expect(r.invariants.violations).toEqual([]);
  });
});
