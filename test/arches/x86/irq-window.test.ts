/**
 * The interrupt-window exit of an x86 VM without APICv (arch.x86.apicv: 0). KVM injects an
 * interrupt at entry only when the guest can take it; otherwise, when kvm_cpu_has_injectable_intr()
 * holds, it asks for an exit at the guest's next STI (arch/x86/kvm/x86.c
 * kvm_check_and_inject_events() → enable_irq_window()), which vmx.c handle_interrupt_window()
 * answers by re-entering to inject. With APICv the local APIC's interrupts are not "injectable"
 * (arch/x86/kvm/irq.c kvm_cpu_has_injectable_intr()): the CPU delivers them at the unmask itself.
 */
import { describe, expect, it } from 'vitest';
import { findVariant, runVariant, scenarioSchema, x86Variant } from '../../../index.js';
import { exitCount, harness, shortScenario } from './helpers.js';

const WINDOW_EXIT = 'INTERRUPT_WINDOW';

describe('interrupt window', () => {
  it.each([
    ['without APICv, one INTERRUPT_WINDOW exit at the unmask', 0, 1],
    ['with APICv, none', 1, 0],
  ])('a page-ready that waits on IF=0: %s', (_name, apicv, exits) => {
    const h = harness({ knobs: { apicv } });
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: true });

    h.enter(); // the boot wake-all's page-ready is raised; IF=0 holds it
    expect(v.irqLines.some((l) => l.pending)).toBe(true);
    expect(exitCount(h, WINDOW_EXIT)).toBe(0);

    h.setCpu({ irqsMasked: false });
    h.enter();

    expect(exitCount(h, WINDOW_EXIT)).toBe(exits);
    expect(v.irqLines.some((l) => l.pending)).toBe(false); // taken, window or not
  });

  it('without APICv, an interrupt the guest can take at entry is injected with no window exit', () => {
    const h = harness({ knobs: { apicv: 0 } });
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.enter();

    expect(v.irqLines.some((l) => l.pending)).toBe(false);
    expect(exitCount(h, WINDOW_EXIT)).toBe(0);
  });

  // An interrupt raised while the running guest has IF=0 is asked a window at once: KVM kicks the
  // vCPU and its entry finds IF=0, whether or not the lab enters the vCPU before the unmask.
  it('without APICv, an interrupt raised while IF=0, with no entry before the unmask, still costs its window exit', () => {
    const h = harness({ knobs: { apicv: 0 } });
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter(); // the boot wake-all, taken
    const before = exitCount(h, WINDOW_EXIT);
    h.setCpu({ privilege: 'kernel', irqsMasked: true });

    v.raiseIrq(0x30, 'other', false);
    h.setCpu({ irqsMasked: false });
    h.enter();

    expect(exitCount(h, WINDOW_EXIT) - before).toBe(1);
  });

  // kvm_check_and_inject_events() injects one interrupt and asks for the window only if another is
  // still injectable: the second waits on the IF=0 of the first one's handler.
  it.each([
    ['one interrupt: no window exit, also at later entries', [0x30], 0],
    ['two interrupts: one window exit, for the second', [0x30, 0x31], 1],
  ])('without APICv, IF=1 at entry, %s', (_name, lines, exits) => {
    const h = harness({ knobs: { apicv: 0 } });
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter(); // the boot wake-all, taken at once
    const before = exitCount(h, WINDOW_EXIT);

    for (const line of lines) v.raiseIrq(line, 'other', false);
    h.enter();
    h.enter();

    expect(v.irqLines.some((l) => l.pending)).toBe(false);
    expect(exitCount(h, WINDOW_EXIT) - before).toBe(exits);
  });

  // A whole run with interrupts-off sections: ticks and page-ready interrupts that arrive inside
  // one wait for its end. The baseline takes the knob too, so the comparison stays fair.
  it.each([
    ['x86', 0, true],
    ['x86', 1, false],
    ['sync-x86', 0, true],
    ['sync-x86', 1, false],
  ])('%s, apicv %i: window exits %s', (id, apicv, some) => {
    const scenario = shortScenario({ apicv }, {}, [{ name: 'k', program: [{ irqoff: { us: 300 } }, { compute: { us: 50 } }] }]);
    const result = runVariant(scenario, id === 'x86' ? x86Variant : findVariant(id));
    expect((result.metrics.exits[WINDOW_EXIT] ?? 0) > 0).toBe(some);
  });
});

describe('the window exit comes back through vcpu_enter_guest() (hostile round P)', () => {
  it('x86-pf without APICv: a completion waiting at the window exit goes out at that entry, before the interrupt', () => {
    // The 2010 host checked completions after every exit (facts/x86.md §2 "2010 ready path"). The
    // window exit's entry went on to the tick's vector with IF=0: page-ready waited for the next
    // exit of another kind behind each 30 ms irqoff section (p50 572 ms, x86's 30 ms).
    const s = scenarioSchema.parse({
      name: 'window-ready',
      durationMs: 2000,
      seed: 5,
      machine: { vcpus: 1, guestMemoryMiB: 2048, hostResidentMiB: 64, hz: 250 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 1000 } },
      regions: [{ name: 'array', mib: 1024 }],
      tasks: [
        { name: 'writer', program: [{ touch: { region: 'array', pattern: 'random', pages: 4, thinkNs: 1000 } }] },
        { name: 'b', program: [{ irqoff: { us: 30_000 } }, { compute: { us: 100 } }] },
      ],
      arch: { x86: { apicv: 0 } },
    });
    const pf = runVariant(s, findVariant('x86-pf')).metrics;
    expect(pf.exits[WINDOW_EXIT]).toBeGreaterThan(0);
    expect(pf.faultLatencyNs.p50!).toBeLessThan(2 * runVariant(s, x86Variant).metrics.faultLatencyNs.p50!);
  });
});
