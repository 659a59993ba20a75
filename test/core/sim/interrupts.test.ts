import { describe, expect, it } from 'vitest';
import { arm64SdeiVariant, Harness, x86Variant, type Variant } from '../../../index.js';

/** Which of two pending interrupts the guest takes first is the backend's (irqOrder). */
function order(variant: Variant, low: number, high: number): number[] {
  const h = new Harness(variant, { guestInit: false });
  const taken: number[] = [];
  const v = h.vcpu();
  for (const line of [low, high]) v.guest.requestIrq(line, () => void taken.push(line));
  v.raiseIrq(low, 'other', false);
  v.raiseIrq(high, 'other', false);
  h.enter();
  return taken;
}

describe('interrupt order', () => {
  it('x86: the local APIC serves the highest vector first', () => {
    expect(order(x86Variant, 0x30, 0xec)).toEqual([0xec, 0x30]);
  });

  it('arm64: equal GIC priorities, the lowest INTID first', () => {
    expect(order(arm64SdeiVariant, 0, 16)).toEqual([0, 16]);
  });
});

describe('a line disabled at the interrupt controller (KvmVcpu.setIrqEnabled(): disable_percpu_irq())', () => {
  it('stays pending and is not taken; enabled again, it is taken at the next entry', () => {
    const h = new Harness(arm64SdeiVariant, { guestInit: false });
    const taken: number[] = [];
    const v = h.vcpu();
    v.guest.requestIrq(16, () => void taken.push(16));
    v.setIrqEnabled(16, false);
    v.raiseIrq(16, 'other', false);
    h.enter();
    expect(taken).toEqual([]);
    expect(v.irqLine(16)).toMatchObject({ pending: true, enabled: false });
    v.setIrqEnabled(16, true);
    h.enter();
    expect(taken).toEqual([16]);
  });
});

describe('an interrupt raised on a disabled line', () => {
  it('does not cut the guest code the vCPU is running: the controller only holds it pending', () => {
    const running = (enabled: boolean) => {
      const h = new Harness(arm64SdeiVariant, { guestInit: false });
      const v = h.vcpu();
      h.enter();
      v.setIrqEnabled(16, enabled);
      v.beginSegment(v.cursor, 1_000_000, 0, false, false, 0); // guest code under way
      v.raiseIrq(16, 'other', false);
      return v.segment !== null;
    };
    expect(running(false)).toBe(true);
    expect(running(true)).toBe(false); // an enabled one exits the vCPU to inject it
  });
});
