import { describe, expect, it } from 'vitest';
import {
  arm64SdeiVariant,
  cyclesToNs,
  findVariant,
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  x86Abi,
  x86Variant,
  type HarnessOptions,
  type Variant,
} from '../../index.js';
import { exitCostsFromTable } from '../../core/costs.js';
import { X86_COST_KEYS } from '../../arches/x86/costs.js';

/**
 * Each exit kind and each injection is charged its own entry of the architecture's cost table
 * (DESIGN.md "The backend contract": costs are per-architecture tables), through the protocol
 * harness.
 */
const X86_MHZ = x86Variant.defaultCosts.clockMHz;
const G = HARNESS_FIRST_MISSING_GFN;

/** Host time one step charges on vCPU 0: how far it moves the vCPU's clock. */
function charged(h: Harness, step: () => void): number {
  const before = h.vcpu().cursor;
  step();
  return h.vcpu().cursor - before;
}

function booted(variant: Variant, costs: HarnessOptions['costs']): Harness {
  const h = new Harness(variant, { costs });
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  return h;
}

describe('per-kind exit costs', () => {
  it('a hypercall-kind exit and a trap-kind exit with different table costs are charged differently', () => {
    const h = new Harness(x86Variant, { guestInit: false, costs: { hypercallExitCycles: 2930, exitCycles: 29300 } });
    const msr = charged(h, () => h.call({ kind: 'rdmsr', index: x86Abi.MSR_KVM_ASYNC_PF_EN }));
    const ud = charged(h, () => h.call({ kind: 'no-such-instruction' }));
    expect(msr).toBe(cyclesToNs(2930, X86_MHZ));
    expect(ud).toBe(cyclesToNs(29300, X86_MHZ));
  });

  it('a stage-2 fault exit costs its own round trip plus the host fault work', () => {
    const h = booted(x86Variant, { stage2FaultExitCycles: 5860, stage2FaultCycles: 2930, hypercallExitCycles: 1 });
    expect(charged(h, () => h.fault(G))).toBe(cyclesToNs(5860 + 2930, X86_MHZ));
  });
});

describe('injection costs, charged where the guest takes them at entry', () => {
  /** The same fault and entry twice, with one table entry changed: the difference is that entry. */
  function entryDelta(variant: Variant, key: string, steps: (h: Harness) => void): number {
    const run = (cycles: number) => {
      const h = booted(variant, { [key]: cycles });
      return charged(h, () => steps(h));
    };
    return run(20000) - run(0);
  }

  const faultAndEnter = (h: Harness) => {
    h.fault(G);
    h.enter();
  };
  const cases: readonly [string, Variant, string, (h: Harness) => void][] = [
    ['x86: the #PF event injection', x86Variant, 'injectEventCycles', faultAndEnter],
    ['x86: the page-ready interrupt', x86Variant, 'injectIrqCycles', (h) => [faultAndEnter, () => h.complete(G), () => h.enter()].forEach((f) => f(h))],
    // Priced once, at entry: the backend no longer charges the dispatch itself.
    ['arm64: the SDEI dispatch', arm64SdeiVariant, 'sdeiDispatchCycles', faultAndEnter],
    // kvm_inject_dabt() sets up an exception entry; no SDEI context is saved (facts/anchors.md §A6a).
    ['arm64-dabt: the injected data abort, an exception entry', findVariant('arm64-dabt'), 'injectExceptionCycles', faultAndEnter],
  ];

  it.each(cases)('%s costs its own table entry', (_name, variant, key, steps) => {
    expect(entryDelta(variant, key, steps)).toBe(cyclesToNs(20000, variant.defaultCosts.clockMHz));
  });
});

describe('a cost table that lacks an entry its keys name', () => {
  it('is refused, naming the entry (it priced that exit at NaN before)', () => {
    const table = { ...x86Variant.defaultCosts } as Record<string, number>;
    delete table.injectEventCycles;
    expect(() => exitCostsFromTable(table, X86_COST_KEYS)).toThrow(/^cost table: no entry injectEventCycles/);
  });
});
