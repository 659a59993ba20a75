import { CALL_FLOOR_NS } from '../../../core/guest/smp.js';
import { describe, expect, it } from 'vitest';
import {
  arm64SdeiVariant,
  parseScenario,
  runVariant,
  scenarioSchema,
  syncArm64Variant,
  syncX86Variant,
  x86HaltVariant,
  x86Variant,
  type RunResult,
  type ScenarioInput,
  type Variant,
} from '../../../index.js';

/**
 * The `ipi` workload step: smp_call_function_single(…, wait=1) (kernel/smp.c). The sender spins
 * in csd_lock_wait() until the target has run the function; the target answers when it runs
 * guest code with interrupts on, or is halted or idle, and not while it is blocked in a
 * synchronous host fault (PROTOCOLS.md §1 "sync fault" / "halt", §3 "IPIs").
 *
 * The machine: vCPU 0 runs the sender (50 us of compute, one cross-call to vCPU 1, then a long
 * sleep, so the window holds exactly one call); vCPU 1 runs `target`. Region `low` is resident
 * (prefilled), every page of `far` is host-missing, and the backing store takes exactly 1 ms.
 */
type Step = ScenarioInput['tasks'][number]['program'][number];

function oneCall(target: Step[], extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'one-call',
    durationMs: 3,
    machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 1, hz: 250 },
    backing: { kind: 'swap', latency: { dist: 'fixed', us: 1000 }, queueDepth: 64 },
    regions: [
      { name: 'low', mib: 1 },
      { name: 'far', mib: 32 },
    ],
    tasks: [
      { name: 'sender', vcpu: 0, program: [{ compute: { us: 50 } }, { ipi: { target: 1, handlerUs: 1 } }, { sleep: { us: 1e6 } }] },
      { name: 'target', vcpu: 1, program: target },
    ],
    ...extra,
  };
}

function run(input: ScenarioInput, variant: Variant): RunResult {
  const r = runVariant(scenarioSchema.parse(input), variant);
  expect(r.invariants.violations).toEqual([]);
  return r;
}

/** The target's task walks `far` page by page in user mode: every access is a host-missing fault. */
const FAULTING: Step[] = [{ touch: { region: 'far', pattern: 'sequential' } }];

describe('a cross-call waits for its target (PROTOCOLS.md §3 "IPIs")', () => {
  it('a target blocked in a sync fault cannot answer until its page arrives', () => {
    // sync: the vCPU thread blocks in the host and takes no guest interrupts (PROTOCOLS.md §1).
    // The target faults at ~1 us and its page is in at ~1 ms; the call goes out at ~51 us.
    for (const v of [syncX86Variant, syncArm64Variant]) {
      const r = run(oneCall(FAULTING), v);
      expect(r.metrics.ipi.count).toBe(1);
      expect(r.metrics.ipi.waitNs!.max).toBeGreaterThan(940_000);
      expect(r.metrics.ipi.waitNs!.max).toBeLessThan(1_000_000);
    }
  });

  it('a halted target is woken by the IPI, answers, and halts again on the repeated fault', () => {
    // x86 synthetic halt: guest interrupts wake it (facts/x86.md §2 "Synthetic halt"); the
    // re-executed access finds the gfn outstanding: kvm_async_pf_repeated_fault, halt (PROTOCOLS.md §2 step 4).
    const r = run(oneCall(FAULTING), x86HaltVariant);
    expect(r.metrics.ipi.waitNs!.max).toBeLessThan(10_000);
    expect(r.metrics.apf.haltReasons['apf-disabled']).toBeGreaterThan(0);
    expect(r.metrics.apf.repeatedFaults).toBeGreaterThanOrEqual(1);
  });

  it('an idle target (its task asleep on a not-present) answers at once', () => {
    // x86 PV: the user-mode fault is announced, the task sleeps, the vCPU idles in HLT (PROTOCOLS.md §4.1).
    const r = run(oneCall(FAULTING), x86Variant);
    expect(r.metrics.apf.notPresentDelivered).toBeGreaterThan(0);
    expect(r.metrics.ipi.waitNs!.max).toBeLessThan(10_000);
  });

  it('a running target with interrupts masked answers when it unmasks', () => {
    // The target runs a 300 us interrupts-off section from ~1 us: the IPI stays pending in the
    // interrupt controller until local_irq_enable() at ~301 us; the call went out at ~52 us.
    for (const v of [x86Variant, syncX86Variant, arm64SdeiVariant]) {
      const r = run(oneCall([{ irqoff: { us: 300 } }, { compute: { us: 100 } }]), v);
      expect(r.metrics.ipi.waitNs!.max, v.id).toBeGreaterThan(245_000);
      expect(r.metrics.ipi.waitNs!.max, v.id).toBeLessThan(255_000);
    }
  });

  it('the wait is guest kernel time with preemption off, not work: nothing else runs on the sender’s vCPU', () => {
    // csd_lock_wait() spins with interrupts on inside get_cpu()/put_cpu(): ticks are taken, but
    // even a full-preemption kernel with the slice used up does not switch to the worker.
    const input = oneCall(FAULTING, {
      machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 1, hz: 1000, sliceUs: 100, preemption: 'full' },
    });
    input.tasks = [...input.tasks, { name: 'worker', vcpu: 0, program: [{ compute: { us: 10000 } }] }];
    const r = run(input, syncX86Variant);
    const wait = r.metrics.ipi.waitNs!.max;
    expect(wait).toBeGreaterThan(940_000);
    expect(r.metrics.workByTask.sender).toBe(50);
    // The worker gets the 3 ms window less the sender's compute and its whole wait.
    expect(r.metrics.workByTask.worker).toBeLessThan(3000 - 50 - wait / 1000 + 20);
    expect(r.metrics.vcpuTimeNs.kernel).toBeGreaterThan(wait);
  });

  it('a call to the sender’s own vCPU runs the function locally: no IPI, no wait', () => {
    // kernel/smp.c generic_exec_single(): cpu == this_cpu runs func() with interrupts off.
    const input = oneCall(FAULTING);
    input.tasks = [{ name: 'sender', vcpu: 0, program: [{ compute: { us: 50 } }, { ipi: { target: 'next', handlerUs: 1 } }] }];
    input.machine = { ...input.machine, vcpus: 1 };
    const r = run(input, syncX86Variant);
    expect(r.metrics.ipi.count).toBe(0);
    expect(r.metrics.injections['irq 251']).toBeUndefined();
  });
});

describe('the IPI is the architecture’s (core/backend.ts IpiCaps)', () => {
  it('x86: an x2APIC ICR write exit per IPI, CALL_FUNCTION_SINGLE_VECTOR 0xfb at the target, posted to a running target with APICv', () => {
    // arch/x86/include/asm/irq_vectors.h; native_send_call_func_single_ipi() writes the ICR.
    const running: Step[] = [{ compute: { us: 10000 } }];
    const r = run(oneCall(running), x86Variant);
    expect(r.metrics.exits['MSR_WRITE(X2APIC_ICR)']).toBe(1);
    expect(r.metrics.injections['irq 251']).toBe(1);
    expect(r.metrics.exits.EXTERNAL_INTERRUPT).toBeUndefined();
    // Without APICv KVM kicks the running target out to inject it.
    const noApicv = run(oneCall(running, { arch: { x86: { apicv: 0 } } }), x86Variant);
    expect(noApicv.metrics.exits.EXTERNAL_INTERRUPT).toBe(1);
  });

  it('arm64: an ICC_SGI1R_EL1 trap per IPI, SGI 1 (IPI_CALL_FUNC) at the target, and a kick of a running target', () => {
    // arch/arm64/kernel/smp.c enum ipi_msg_type; without GICv4.1 vSGIs the SGI is queued in the vGIC and the target kicked.
    const r = run(oneCall([{ compute: { us: 10000 } }]), arm64SdeiVariant);
    expect(r.metrics.exits['SYS64(ICC_SGI1R_EL1)']).toBe(1);
    expect(r.metrics.injections['irq 1']).toBe(1);
    expect(r.metrics.exits.IRQ).toBe(1);
  });

  it('a target vCPU the machine does not have is bad input', () => {
    const input = oneCall(FAULTING);
    input.tasks = [{ name: 'sender', program: [{ ipi: { target: 2, handlerUs: 1 } }] }];
    expect(() => runVariant(scenarioSchema.parse(input), x86Variant)).toThrow(/ipi\.target: vCPU 2 does not exist \(machine\.vcpus is 2\)/);
  });
});

describe('a cross-call that sends nothing (its target offline, or the caller already on it)', () => {
  // kernel/smp.c generic_exec_single(): -ENXIO at once for a CPU that is not online; the call on the
  // caller's own CPU runs the function there. A program of nothing but such calls is a busy loop.
  it('goes on through the run, a call at a time (it was stopped after 66 calls as a vCPU making no progress)', () => {
    const scenario = parseScenario(
      `name: offtarget
durationMs: 0.05
machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64, hz: 1000 }
backing: { kind: swap, latency: { dist: fixed, us: 100 }, queueDepth: 32 }
regions: [ { name: r, mib: 16 } ]
tasks:
  - { name: s, vcpu: 0, program: [ { ipi: { target: 1, handlerUs: 0 } } ] }
events:
  - { atMs: 0.001, offline: { vcpu: 1 } }
`,
      'offtarget.yaml',
    );
    const r = runVariant(scenario, x86Variant);
    expect(r.run.stoppedEarly).toBeNull();
    expect(r.invariants.ok).toBe(true);
    // CALL_FLOOR_NS a call once the target is down (within 49 µs, less the way down): an event and a refusal each.
    expect(r.metrics.ipi.refused).toBeGreaterThan(0.9 * (49_000 / CALL_FLOOR_NS));
    expect(r.run.events).toBeGreaterThan(r.metrics.ipi.refused);
  });
});
