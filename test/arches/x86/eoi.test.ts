/**
 * EOIs that exit on x86 (arches/x86/eoi.ts): without APICv and without PV EOI the guest's x2APIC
 * EOI write traps for every interrupt it ends — the timer tick and the call-function IPI as much
 * as the async-PF vector (arch/x86/kvm/lapic.c; Linux's kvm_guest_apic_eoi_write() avoids the
 * write only where PV EOI is on). The no-APF baseline runs on the same APIC, so it pays them too.
 */
import { describe, expect, it } from 'vitest';
import { CALL_FUNCTION_SINGLE_VECTOR } from '../../../arches/x86/constants.js';
import { Harness, syncX86Variant, type Variant } from '../../../index.js';
import { booted, EOI_EXIT, exitCount, G, type H } from './helpers.js';

function tickAndIpi(h: Harness<unknown>): void {
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.vcpu().tickPending = true;
  h.enter();
  h.vcpu().raiseIrq(CALL_FUNCTION_SINGLE_VECTOR, 'other', false);
  h.enter();
}

describe('x86: the EOI of a tick and of a call-function IPI', () => {
  it.each([
    ['neither APICv nor PV EOI: both EOIs exit', 0, 0, 2],
    ['PV EOI without APICv: none exits', 1, 0, 0],
    ['APICv without PV EOI: none exits', 0, 1, 0],
  ])('x86, %s', (_name, pvEoi, apicv, exits) => {
    const h: H = booted({ knobs: { pvEoi, apicv } });
    const before = exitCount(h, EOI_EXIT);
    tickAndIpi(h);
    expect(exitCount(h, EOI_EXIT) - before).toBe(exits);
  });

  it('the no-APF baseline on the same APIC pays them too', () => {
    const run = (knobs: Record<string, number>) => {
      const h = new Harness(syncX86Variant as Variant, { knobs });
      tickAndIpi(h);
      return h.exits()[EOI_EXIT] ?? 0;
    };
    expect(run({ pvEoi: 0, apicv: 0 })).toBe(2);
    expect(run({})).toBe(0);
  });
});

describe('x86: PV EOI is armed only with nothing else pending (hostile round P leftover)', () => {
  // arch/x86/kvm/lapic.c apic_sync_pv_eoi_to_guest(): at entry, PV EOI is set only when the IRR is
  // empty ("IRR set or many bits in ISR: could be nested"); the guest's kvm_guest_apic_eoi_write()
  // then finds its flag clear and writes the EOI register, which traps without APICv.
  it('PV EOI without APICv: an IPI ended with the tick still pending exits; the tick then ends alone and does not', () => {
    const h: H = booted({ knobs: { pvEoi: 1, apicv: 0 } });
    const before = exitCount(h, EOI_EXIT);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.vcpu().tickPending = true;
    h.vcpu().raiseIrq(CALL_FUNCTION_SINGLE_VECTOR, 'other', false);
    h.enter();
    h.enter();
    expect(exitCount(h, EOI_EXIT) - before).toBe(1);
  });

  it('the async-PF handler\'s own EOI exits where the tick waits behind it, with PV EOI and without APICv', () => {
    const run = (tick: boolean) => {
      const h: H = booted({ knobs: { pvEoi: 1, apicv: 0 } });
      const v = h.vcpu();
      const task = v.current!;
      h.fault(G);
      h.enter();
      expect(task.state).toBe('sleeping');
      h.complete(G);
      const before = exitCount(h, EOI_EXIT);
      if (tick) v.tickPending = true;
      h.enter();
      return exitCount(h, EOI_EXIT) - before;
    };
    expect(run(false)).toBe(0);
    expect(run(true)).toBe(1);
  });
});
