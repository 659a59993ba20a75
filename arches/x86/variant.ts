import type { Backend, Finding, Variant, VariantContext } from '../../core/backend.js';
import { BadInputError } from '../../core/errors.js';
import * as apf from './async-pf.js';
import { ASYNC_PF_PER_VCPU, CALL_FUNCTION_SINGLE_VECTOR, LAB_DEFAULT_APF_VECTOR } from './constants.js';
import { cyclesToNs, exitCostsFromTable } from '../../core/costs.js';
import { X86_COST_KEYS, X86_COSTS, X86_EXIT_NAMES } from './costs.js';
import { kvmGuestCpuInit, type X86GuestConfig } from './guest.js';
import { x86IpiCaps } from './ipi.js';
import { MSR_NAMES, readMsr, VMCALL_ENOSYS, writeMsr, type X86GuestCall } from './msr.js';
import { createX86State, type X86VcpuState } from './state.js';
import { x86CodeLayout } from './code-layout.js';

/** Where each vCPU's 64-byte area sits in guest memory (per-CPU, 64-byte aligned, as `apf_reason`). */
const AREA_BASE = 0x100000n;

const FINDINGS: readonly Finding[] = [
  {
    id: 'x86-user-only',
    severity: 'note',
    text: 'Not-present goes to user mode only; a kernel-mode fault halts the vCPU instead (the halt-based wait in kernel was removed as "a hacky replacement for a proper hypercall").',
    cite: 'Thomas Gleixner, "x86/kvm: Restrict ASYNC_PF to user space", 3a7c8fafd1b4, 20200505134059.369802541@linutronix.de (facts/x86.md §3)',
  },
  {
    id: 'x86-vector',
    severity: 'note',
    text: 'The lab uses vector 0xec as the posted series did; merged Linux guests program HYPERVISOR_CALLBACK_VECTOR 0xf3 (scenario knob arch.x86.vector).',
    cite: 'b1d405751cd5; v1 7/8 20200511164752.2158645-8-vkuznets@redhat.com (facts/x86.md §1)',
  },
  {
    id: 'x86-ack',
    severity: 'note',
    text: 'One page-ready outstanding per vCPU until MSR_KVM_ASYNC_PF_ACK: backpressure that costs an exit per completion.',
    cite: 'Vitaly Kuznetsov v2, 20200525144125.143875-1-vkuznets@redhat.com (facts/anchors.md §A3)',
  },
];

export const X86_KNOBS = {
  /** The page-ready vector the guest programs in MSR_KVM_ASYNC_PF_INT. */
  vector: LAB_DEFAULT_APF_VECTOR,
  /** CPUID 0x40000001 features the VMM exposes, and the in-kernel LAPIC (1 = present). */
  featureAsyncPf: 1,
  featureAsyncPfInt: 1,
  featureAsyncPfVmexit: 0,
  lapicInKernel: 1,
  /**
   * KVM_CAP_ENFORCE_PV_FEATURE_CPUID: 1 = the host refuses PV MSRs whose CPUID bit is clear.
   * Off by default, as in QEMU (facts/x86.md §2a; cpuid.h guest_pv_has()).
   */
  enforcePvCpuid: 0,
  /**
   * KVM_FEATURE_PV_EOI used by the guest (Linux does, kvm_guest_init()) and APIC virtualisation:
   * the page-ready EOI exits only when both are 0 (facts/x86.md §2a; lapic.c pv_eoi_*).
   */
  pvEoi: 1,
  apicv: 1,
  /** HLT passthrough (kvm_hlt_in_guest()): undeliverable faults go sync (facts/x86.md §2a). */
  hltInGuest: 0,
};

/** Knobs that are a feature or capability: on (1) or off (0), nothing else. */
const FLAG_KNOBS = [
  'featureAsyncPf',
  'featureAsyncPfInt',
  'featureAsyncPfVmexit',
  'lapicInKernel',
  'enforcePvCpuid',
  'pvEoi',
  'apicv',
  'hltInGuest',
] as const;

/**
 * The x86 knobs every x86 variant (and the x86 baseline) accepts, checked the same way whichever
 * variant runs, so that a scenario is refused or accepted as a whole.
 */
export function checkX86Knobs(knobs: Readonly<Record<string, number>>): void {
  const vector = knobs.vector;
  // 0–31 are exception vectors: a fixed interrupt there is an APIC "illegal vector" error (SDM 11.5.3).
  if (!Number.isInteger(vector) || vector < 32 || vector > 255) {
    throw new BadInputError(`scenario arch.x86.vector: ${vector} is not an interrupt vector (32–255; 0–31 are exceptions)`);
  }
  if (vector === CALL_FUNCTION_SINGLE_VECTOR) {
    throw new BadInputError(`scenario arch.x86.vector: 0x${vector.toString(16)} is CALL_FUNCTION_SINGLE_VECTOR, the guest's call-function IPI`);
  }
  for (const name of FLAG_KNOBS) {
    const value = knobs[name];
    if (value !== 0 && value !== 1) throw new BadInputError(`scenario arch.x86.${name}: ${value} is not 0 or 1`);
  }
}

/** Exit labels, built once per MSR: a guest call is on the hot path. */
const EXIT_LABELS = new Map<string, string>();
function msrExit(kind: 'MSR_WRITE' | 'MSR_READ', index: number): string {
  const key = `${kind}${index}`;
  let label = EXIT_LABELS.get(key);
  if (label === undefined) {
    label = `${kind}(${MSR_NAMES[index] ?? `0x${index.toString(16)}`})`;
    EXIT_LABELS.set(key, label);
  }
  return label;
}

export function createX86Backend(ctx: VariantContext): Backend<X86VcpuState, { gfn: number }> {
  const c = ctx.costOverrides;
  const ns = (cycles: number) => cyclesToNs(cycles, c.clockMHz);
  checkX86Knobs(ctx.knobs);
  const vector = ctx.knobs.vector;
  const guestCfg = (vcpuId: number): X86GuestConfig => ({
    vector,
    areaGpa: AREA_BASE + BigInt(vcpuId) * 64n,
    pfHandlerNs: ns(c.guestPfHandlerCycles),
    irqHandlerNs: ns(c.guestIrqHandlerCycles),
    eoiExits: ctx.knobs.pvEoi === 0 && ctx.knobs.apicv === 0,
  });
  const pfCfg = { pfHandlerNs: ns(c.guestPfHandlerCycles) };
  return {
    arch: 'x86',
    caps: {
      asyncPfPerVcpu: ASYNC_PF_PER_VCPU,
      ackRequired: true,
      undeliveredWait: 'halt',
      readyOnlyIfNotPresentInjected: true,
      // The local APIC serves the highest pending vector first.
      irqOrder: 'highest-first',
      // kvm_async_pf_task_wake(): dummy on an early wake, removed by a second wake (facts/x86.md §3, §2a).
      guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false },
      // A pending interrupt with IF=1 is injected at VM entry, before the guest's first instruction.
      irqVsRefault: null,
      forbiddenNotPresent: ['kernel-mode', 'irqs-masked'],
      ipi: x86IpiCaps(ctx.knobs),
      codeLayout: x86CodeLayout(c.clockMHz),
    },
    costs: exitCostsFromTable(c, X86_COST_KEYS),
    findings: FINDINGS,
    exitNames: X86_EXIT_NAMES,
    createVcpuState: (id) => createX86State(id, ctx.knobs),
    guestInit: (v) => kvmGuestCpuInit(v, guestCfg(v.id)),
    // The fault always exits: the hardware cannot raise it in the guest.
    faultInGuest: () => false,
    canDoAsyncPf: apf.canDoAsyncPf,
    setupAsyncPf: apf.setupAsyncPf,
    canDeliverAsyncPf: apf.canDeliverAsyncPf,
    asyncPageNotPresent: (v, w) => apf.asyncPageNotPresent(v, w, pfCfg),
    asyncPagePresentQueued: apf.asyncPagePresentQueued,
    canDequeueAsyncPagePresent: apf.canDequeueAsyncPagePresent,
    asyncPageReady: apf.asyncPageReady,
    asyncPagePresent: apf.asyncPagePresent,
    guestCall: (v, anyCall) => {
      const call = anyCall as X86GuestCall;
      // A PV MSR access is the guest's call to the host: priced as a hypercall (arches/x86/costs.ts).
      if (call.kind === 'wrmsr') return { result: writeMsr(v, call.index, call.value, ctx.guestMemoryBytes), exit: msrExit('MSR_WRITE', call.index), kind: 'hypercall' };
      if (call.kind === 'rdmsr') return { result: readMsr(v, call.index), exit: msrExit('MSR_READ', call.index), kind: 'hypercall' };
      if (anyCall.kind === 'vmcall') return VMCALL_ENOSYS;
      return { result: { kind: 'fault', vector: '#UD' }, exit: 'EXCEPTION_NMI(#UD)', kind: 'trap' };
    },
    conditions: () => [],
  };
}

export const x86Variant: Variant = {
  id: 'x86',
  arch: 'x86',
  title: 'x86 PV async PF: #PF not-present (user mode only), interrupt + ACK page-ready',
  origin: 'upstream since Linux 5.8 (Vitaly Kuznetsov, 2020; facts/x86.md §1–§3)',
  mechanisms: {
    enable: 'MSR_KVM_ASYNC_PF_INT then MSR_KVM_ASYNC_PF_EN',
    notPresent: '#PF vector 14, error code 0, token in CR2, flags in shared area',
    ready: 'fixed interrupt on the programmed vector, token in shared area',
    token: '(id++ << 12) | vcpu_id, never 0',
    eligibility: 'IF=1 to start; CPL≠0 to deliver, else halt',
    wake: 'immediate wake in the IRQ handler; dummy if the wake comes first',
    ack: 'MSR_KVM_ASYNC_PF_ACK write; one page-ready outstanding',
  },
  defaultCosts: X86_COSTS,
  knobs: X86_KNOBS,
  createBackend: createX86Backend,
};
