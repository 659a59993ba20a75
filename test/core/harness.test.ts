import { describe, expect, it } from 'vitest';
import { BadInputError, Harness, HARNESS_FIRST_MISSING_GFN as G, x86Variant, type HarnessOptions, type Variant } from '../../index.js';

/** Throws BadInputError with this message; any other outcome (a TypeError, a ZodError, nothing) fails. */
const refuses = (f: () => unknown, message: RegExp) => {
  expect(f).toThrow(BadInputError);
  expect(f).toThrow(message);
};

describe('Harness refuses bad library input as BadInputError naming the argument (hostile-test bug 13)', () => {
  it.each([0, -1, 1.5, NaN, 1025])('options.vcpus %s (a ZodError before)', (vcpus) => {
    refuses(() => new Harness(x86Variant, { vcpus }), /^Harness: options\.vcpus must be a whole number from 1 to 1024, got /);
  });

  it('a variant or options that are not one', () => {
    refuses(() => new Harness(null as unknown as Variant), /^Harness: variant is not a variant/);
    refuses(() => new Harness(x86Variant, null as unknown as HarnessOptions), /^Harness: options must be an object, got null$/);
  });

  it.each([NaN, -1, 1.5, 64 * 256])('fault() on gfn %s, which is not a guest page (it ran a fault before)', (gfn) => {
    const h = new Harness(x86Variant);
    refuses(() => h.fault(gfn), /^Harness\.fault: gfn must be a guest page, a whole number from 0 to 16383, got /);
    expect(h.exits()).not.toHaveProperty('EPT_VIOLATION');
  });

  it('fault() on a resident page, which its doc says must be host-missing (it ran a fault before)', () => {
    const h = new Harness(x86Variant);
    refuses(() => h.fault(5), /^Harness\.fault: gfn 5 is resident, and the page must be host-missing/);
    expect(h.exits()).not.toHaveProperty('EPT_VIOLATION');
    // A host-missing page faults; once complete() brought it in, it is resident.
    h.fault(G);
    expect(h.exits()).toHaveProperty('EPT_VIOLATION', 1);
    h.complete(G);
    refuses(() => h.fault(G), new RegExp(`^Harness\\.fault: gfn ${G} is resident`));
  });

  it('fault() or vcpu() on a vCPU the harness does not have (a TypeError before)', () => {
    const h = new Harness(x86Variant);
    refuses(() => h.fault(G, 3), /^Harness: vCPU 3 does not exist: the harness has vCPUs 0 to 0 \(options\.vcpus\)$/);
    refuses(() => h.vcpu(-1), /^Harness: vCPU -1 does not exist/);
    expect(new Harness(x86Variant, { vcpus: 4 }).vcpu(3).id).toBe(3);
  });
});

describe('Harness hotplug and cost input (third hostile round)', () => {
  it('offline() with no CPU named refuses, as offline(0) does: CPU 0 stays up', () => {
    const h = new Harness(x86Variant, { vcpus: 2 });
    refuses(() => (h.offline as (i?: number) => void)(), /^Harness\.offline: CPU 0 cannot go offline/);
    expect(h.vcpu(0).goingDown).toBe(false);
  });

  it('fault() on an offline CPU or a vCPU blocked in the host says why', () => {
    const h = new Harness(x86Variant, { vcpus: 2 });
    h.setCpu({ privilege: 'kernel', irqsMasked: true }, 1);
    h.fault(G, 1); // interrupts off: a synchronous fault, the vCPU blocks in the host
    refuses(() => h.fault(G + 1, 1), /^Harness\.fault: vCPU 1 is not running guest code \(blocked in a synchronous fault\)/);
    h.complete(G);
    h.setCpu({ privilege: 'user', irqsMasked: false }, 1); // back in user mode: it yields at its next entry
    h.offline(1);
    h.enter(1);
    h.schedule(1);
    h.enter(1);
    h.schedule(1);
    expect(h.vcpu(1).mode).toBe('off');
    refuses(() => h.fault(G + 1, 1), /^Harness\.fault: CPU 1 is offline/);
  });

  it('options.costs takes the variant\'s own keys, 0 to 1e9 cycles, as a scenario\'s costs.<arch> does', () => {
    refuses(() => new Harness(x86Variant, { costs: { injectExceptionCycles: 5 } }), /^Harness: options\.costs\.injectExceptionCycles: unknown key \(known: /);
    refuses(() => new Harness(x86Variant, { costs: { exitCycles: -5 } }), /^Harness: options\.costs\.exitCycles: -5 is out of range: costs are 0 to 1e\+9 cycles$/);
    refuses(() => new Harness(x86Variant, { costs: { exitCycles: 'x' as unknown as number } }), /^Harness: options\.costs\.exitCycles: x is not a finite number$/);
    // The clock too, by the scenario's rule: 0 MHz would divide every price by zero.
    refuses(() => new Harness(x86Variant, { costs: { clockMHz: 0 } }), /^Harness: options\.costs\.clockMHz: 0 is out of range: a clock must be 1 to /);
    expect(new Harness(x86Variant, { costs: { exitCycles: 100 } }).backend.costs.exitNs.trap).toBeGreaterThan(0);
  });
});
