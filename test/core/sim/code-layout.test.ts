import { describe, expect, it } from 'vitest';
import { arm64CodeLayout } from '../../../arches/arm64/code-layout.js';
import { x86CodeLayout } from '../../../arches/x86/code-layout.js';
import { codeFrame, pcAt } from '../../../core/guest/code-layout.js';
import { arm64DabtVariant, arm64SdeiVariant, findVariant, Harness, HARNESS_FIRST_MISSING_GFN, runVariant, syncVariant, x86Variant } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * The guest PC and code layout (DESIGN.md "guest PC and code layout"): exception code as phases
 * with a region and an offset from the vector base, unsafe injections, requests seen only after an
 * exit, the context switch with the run-queue lock held, preemptoff sections, and the guest's
 * halted wait.
 */

const G = HARNESS_FIRST_MISSING_GFN;
const ARM64_RFCV2_RANGE = 0x164c + 4096; // largest handler offset + 4096 (seed 003 kvm_async_pf_enable())

describe('the arm64 layout (facts/arm64.md §6, facts/anchors.md §A6b)', () => {
  const l = arm64CodeLayout(2000);

  it('enters through the vector slot the architecture gives each exception', () => {
    expect(l.entry('sync', 'user')[0]).toMatchObject({ region: 'vectors', pc: 0x400 });
    expect(l.entry('irq', 'user')[0]).toMatchObject({ region: 'vectors', pc: 0x480 });
    expect(l.entry('sync', 'kernel')[0]).toMatchObject({ region: 'vectors', pc: 0x200 });
    expect(l.entry('irq', 'kernel')[0]).toMatchObject({ region: 'vectors', pc: 0x280 });
  });

  it('RFCv2\'s range covers the vectors and entry.S, not the C entry code (Mark Rutland, 20200526123424.GF1363@C02TD0UTHF1T.local)', () => {
    for (const from of ['user', 'kernel'] as const) {
      for (const cls of ['sync', 'irq'] as const) {
        const [vec, asm, c] = l.entry(cls, from);
        expect(vec.pc + vec.bytes).toBeLessThanOrEqual(ARM64_RFCV2_RANGE);
        expect(asm.pc + asm.bytes).toBeLessThanOrEqual(ARM64_RFCV2_RANGE);
        expect(c.region).toBe('fault');
        expect(c.pc).toBeGreaterThanOrEqual(ARM64_RFCV2_RANGE);
      }
      expect(l.exit(from)[0].pc).toBeLessThan(ARM64_RFCV2_RANGE);
    }
    // RFCv1's fixed 0x800 covers the vector table alone.
    expect(l.entry('sync', 'user')[1].pc).toBeGreaterThanOrEqual(0x800);
  });

  it('an EL0 system call round trip takes the 0.24 µs of lat_syscall null at 2 GHz (facts/anchors.md §A6a)', () => {
    const ns = [...l.syscall, ...l.exit('user')].reduce((sum, p) => sum + p.ns, 0);
    expect(ns).toBeGreaterThan(220);
    expect(ns).toBeLessThan(260);
  });

  it('the PC moves through a phase as it runs', () => {
    const asm = l.entry('sync', 'user')[1];
    expect(pcAt(asm, 0)).toBe(asm.pc);
    expect(pcAt(asm, asm.ns / 2)).toBeGreaterThan(asm.pc);
    expect(pcAt(asm, asm.ns)).toBeLessThan(asm.pc + asm.bytes);
  });
});

describe('the x86 layout', () => {
  it('a #PF entry takes ~715 cycles and its IRET way back a few hundred (facts/anchors.md §A6a)', () => {
    const l = x86CodeLayout(1000); // 1 GHz: ns = cycles
    const entry = l.entry('sync', 'user').reduce((sum, p) => sum + p.ns, 0);
    expect(entry).toBeGreaterThan(650);
    expect(entry).toBeLessThan(780);
    expect(l.exit('user')[0].ns).toBeGreaterThan(150);
  });
});

describe('unsafe injections (PROTOCOLS.md §4.5, "Hazard to report")', () => {
  function inEntryCode(exception: 'sync' | undefined): Harness {
    const h = new Harness(arm64SdeiVariant);
    const v = h.vcpu();
    v.current!.frames.push(codeFrame(h.backend.caps.codeLayout.entry('irq', 'user'), null));
    v.injectEvent({ name: 'test abort', token: null, signal: 'other', exception, handler: () => {} });
    h.enter();
    return h;
  }

  it('an exception injected while the vector stub runs is counted in its region', () => {
    expect(inEntryCode('sync').sim.metrics.unsafeInjections.toJSON()).toEqual({ vectors: 1 });
  });

  it('an event with its own entry (SDEI, a paravirtual vector) is not an exception and is not counted', () => {
    expect(inEntryCode(undefined).sim.metrics.unsafeInjections.total).toBe(0);
  });

  it('an exception injected in user mode is not counted', () => {
    const h = new Harness(arm64SdeiVariant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.vcpu().injectEvent({ name: 'test abort', token: null, signal: 'other', exception: 'sync', handler: () => {} });
    h.enter();
    expect(h.sim.metrics.unsafeInjections.total).toBe(0);
  });

  it('the handler of an injected exception runs after its entry code, with the interrupted context as the CPU state', () => {
    const h = new Harness(arm64SdeiVariant);
    const v = h.vcpu();
    const seen: string[] = [];
    v.injectEvent({ name: 'test abort', token: null, signal: 'other', exception: 'sync', handler: () => seen.push(`${v.pcRegion}:${v.frames.length}`) });
    h.sim.enterGuest(v);
    expect(seen).toEqual([]);
    expect(v.phase?.region).toBe('vectors');
    h.enter();
    expect(seen).toEqual(['user:0']); // the task's user touch step: the handler sees the interrupted state, no frame
  });
});

/**
 * The events the host or the CPU raises through the guest's vectors take the entry code first, as a
 * guest's own #PF does (core/backend.ts InjectedEvent.exception): x86's #PF (both signals of the
 * 2010 design, upstream's not-present) and #VE go through the IDT; a reflected stage-2 abort through
 * VBAR_EL1's synchronous slot. SDEI and a paravirtual vector have entries of their own.
 */
describe('the exceptions a design raises in the guest run the entry code before their handler', () => {
  const viaVectors: [string, string][] = [
    ['x86', 'asm_exc_page_fault'],
    ['x86-pf', 'asm_exc_page_fault'],
    ['x86-ve', 'asm_exc_page_fault'],
    ['arm64-dabt', 'vectors+0x400'],
    ['arm64-s2', 'vectors+0x400'],
  ];
  it.each(viaVectors)('%s: the vCPU is in the vector stub after the entry that delivered it', (id, stub) => {
    const h = new Harness(findVariant(id));
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    const v = h.vcpu();
    h.fault(G); // x86-ve and arm64-s2: the CPU raises it in the guest, with no exit (Backend.faultInGuest)
    expect(v.injected).not.toBeNull();
    h.sim.enterGuest(v);
    expect(v.phase?.region).toBe('vectors');
    expect(v.phase?.name).toContain(stub); // arm64: the lower-EL AArch64 synchronous slot
  });
});

describe('requests are looked at on the way back in after an exit (vcpu_enter_guest())', () => {
  it('a completion that does not kick waits for the vCPU\'s next exit (RFCv2 on v5.7)', () => {
    const h = new Harness(arm64DabtVariant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter(); // the wake-all that enabling queued
    const ready = () => h.sim.metrics.readyDelivered;
    h.fault(G);
    h.enter(); // not-present taken: the task sleeps
    const before = ready();
    h.complete(G);
    h.sim.enterGuest(h.vcpu()); // a step of the guest's own, no exit
    expect(ready()).toBe(before);
    h.enter(); // the next exit
    expect(ready()).toBe(before + 1);
  });
});

describe('the context switch holds the run-queue lock (__schedule())', () => {
  it('is a phase of kernel code with the rq lock held and interrupts off', () => {
    const h = new Harness(arm64SdeiVariant);
    const v = h.vcpu();
    v.current!.frames.push(codeFrame([h.sim.contextSwitch!], null));
    expect(v.rqLocked).toBe(true);
    expect(v.irqsMasked).toBe(true);
    expect(v.pcRegion).toBe('kernel');
  });

  it('takes machine.contextSwitchNs', () => {
    const h = new Harness(arm64SdeiVariant);
    expect(h.sim.contextSwitch?.ns).toBe(h.sim.ctxSwitchNs);
  });
});

describe('the halted wait (GuestKernel.asyncPfTaskWaitHalt)', () => {
  it('keeps the task on the vCPU, in kernel mode with interrupts on, until its token is woken', () => {
    const h = new Harness(arm64SdeiVariant);
    const v = h.vcpu();
    const task = v.current!;
    v.guest.asyncPfTaskWaitHalt(0x1000);
    expect(v.guestHalted).toBe(true);
    expect(v.current).toBe(task);
    expect(v.privilege).toBe('kernel');
    expect(v.irqsMasked).toBe(false);
    expect(v.preemptDisabled).toBe(true);
    v.guest.asyncPfTaskWake(0x1000);
    expect(v.sleepTable.has(0x1000)).toBe(false);
  });
});

describe('preemptoff sections (PROTOCOLS.md §3 "not present")', () => {
  /** One vCPU, full preemption: a task in a long kernel section and a compute task. */
  function hog(step: Record<string, unknown>) {
    return smallScenario({
      durationMs: 100,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64, preemption: 'full' },
      tasks: [
        { name: 'hog', program: [step] as never },
        { name: 'worker', program: [{ compute: { us: 1000 } }] },
      ],
    });
  }

  it('a task with preemption off keeps the vCPU past its slice; with interrupts on in a system call it does not', () => {
    // One section longer than the run: its preempt_enable(), a preemption point under `full`, never comes.
    const off = runVariant(hog({ preemptoff: { us: 150_000 } }), syncVariant).metrics.workByTask.worker ?? 0;
    const on = runVariant(hog({ syscall: { region: 'array', pages: 10_000, thinkNs: 5000 } }), syncVariant).metrics.workByTask.worker ?? 0;
    expect(off).toBeLessThan(0.6 * on);
  });
});

describe('swappable guest kernel pages (machine.guestKernelPages)', () => {
  function run(pages: 'pinned' | 'swappable') {
    const s = smallScenario({
      durationMs: 200,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 1, guestKernelPages: pages },
      tasks: [
        { name: 'sleeper', count: 8, program: [{ sleep: { us: 20_000 } }, { syscall: { region: 'array', pages: 1 } }] },
        { name: 'writer', program: [{ touch: { region: 'array', pattern: 'random', pages: 64 } }] },
      ],
    });
    return runVariant(s, x86Variant);
  }

  it('pinned: the exception code never faults; swappable: it does, and the run stays invariant-clean', () => {
    const pinned = run('pinned');
    const swappable = run('swappable');
    expect(swappable.invariants.ok).toBe(true);
    // Kernel-mode faults with interrupts masked are synchronous on x86 (kvm_can_do_async_pf()).
    expect(swappable.metrics.apf.syncFallbacks['irqs-masked'] ?? 0).toBeGreaterThan(pinned.metrics.apf.syncFallbacks['irqs-masked'] ?? 0);
  });
});
