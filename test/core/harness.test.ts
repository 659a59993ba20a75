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
