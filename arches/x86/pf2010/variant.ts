import { checkX86Knobs } from '../variant.js';
import type { Backend, GuestCallExit, KvmVcpu, Variant, VariantContext } from '../../../core/backend.js';
import { cyclesToNs, exitCostsFromTable } from '../../../core/costs.js';
import { BadInputError } from '../../../core/errors.js';
import { ASYNC_PF_PER_VCPU } from '../constants.js';
import { X86_COST_KEYS, X86_COSTS, X86_EXIT_NAMES } from '../costs.js';
import { X86_KNOBS } from '../variant.js';
import { x86IpiCaps } from '../ipi.js';
import { MSR_NAMES, VMCALL_ENOSYS, type X86GuestCall } from '../msr.js';
import * as apf from './async-pf.js';
import { pf2010GuestCpuInit } from './guest.js';
import { readMsr, writeMsr } from './msr.js';
import { createPf2010State, type Pf2010VcpuState } from './state.js';
import { PF2010_FINDINGS } from './findings.js';
import { x86CodeLayout } from '../code-layout.js';

/**
 * `x86-pf`: Gleb Natapov's 2010 design, seed 001 (PROTOCOLS.md §4.2): not-present and page-ready
 * both as #PF, token in CR2, reason 1 or 2 in the 2010 area; no interrupt, no ACK.
 */

/** Per-CPU areas: 68 bytes each, 64-byte aligned (`apf_reason` is __aligned(64)), so 128 apart. */
const AREA_BASE = 0x100000n;
const AREA_STRIDE = 128n;

/**
 * The x86 knobs, which a scenario's `arch.x86` sets for every x86 variant alike (so all x86
 * variants accept the same keys, test/arches/sync/baseline.test.ts), plus this design's own two.
 * Of the x86 ones only featureAsyncPf, lapicInKernel and apicv mean anything in 2010; the INT
 * vector, PV EOI, PF_VMEXIT, enforcement and HLT passthrough came later. apicv stays 1 as in the
 * x86 variant, so a comparison isolates the APF protocol (2010 hardware had none). The two extra
 * keys are not scenario knobs (X86_KNOBS lacks them): set them through the harness's `knobs` or a
 * variant of your own (`{ ...x86PfVariant, knobs: { ...X86_PF_KNOBS, sendAlways: 1 } }`).
 */
export const X86_PF_KNOBS = {
  ...X86_KNOBS,
  /**
   * 1 = the host has fc5f06fac6fb ("send in kernel too": SEND_ALWAYS, mask 0x3c) and the guest,
   * built with CONFIG_PREEMPT, sets it; 0 = the first version, 7c90705bf2a3 (mask 0x3e, user only).
   */
  sendAlways: 0,
  /**
   * 0 = as 2.6.38: a completion wakes a blocked vCPU and leaves a running one alone until its
   * next entry (af585b921e5d async_pf_execute()); 1 = kick it, as PROTOCOLS.md §4.2 counts.
   */
  kickOnCompletion: 0,
};

/** The knobs this design reads, each on (1) or off (0). */
const FLAG_KNOBS = ['sendAlways', 'kickOnCompletion', 'featureAsyncPf', 'lapicInKernel', 'apicv'] as const;

function checkKnobs(knobs: Readonly<Record<string, number>>): void {
  for (const name of FLAG_KNOBS) {
    const value = knobs[name];
    if (value !== 0 && value !== 1) throw new BadInputError(`scenario arch.x86.${name}: ${value} is not 0 or 1`);
  }
}

/** The exit label, as the x86 variant names it: `MSR_WRITE(ASYNC_PF_EN)`. */
function msrExit(kind: 'MSR_WRITE' | 'MSR_READ', index: number): string {
  return `${kind}(${MSR_NAMES[index] ?? `0x${index.toString(16)}`})`;
}

/** The guest-facing ABI: MSR accesses, each an exit priced as a hypercall (arches/x86/costs.ts). */
function guestCall(v: KvmVcpu<Pf2010VcpuState>, call: X86GuestCall, memBytes: number): GuestCallExit {
  if (call.kind === 'wrmsr') return { result: writeMsr(v, call.index, call.value, memBytes), exit: msrExit('MSR_WRITE', call.index), kind: 'hypercall' };
  if (call.kind === 'rdmsr') return { result: readMsr(v, call.index), exit: msrExit('MSR_READ', call.index), kind: 'hypercall' };
  if ((call as { kind: string }).kind === 'vmcall') return VMCALL_ENOSYS;
  return { result: { kind: 'fault', vector: '#UD' }, exit: 'EXCEPTION_NMI(#UD)', kind: 'trap' };
}

export function createX86PfBackend(ctx: VariantContext): Backend<Pf2010VcpuState, { gfn: number }> {
  const knobs = { ...X86_PF_KNOBS, ...ctx.knobs };
  checkX86Knobs(ctx.knobs); // the architecture's knobs, as every x86 variant checks them
  checkKnobs(knobs);
  const c = ctx.costOverrides;
  const guest = { pfHandlerNs: cyclesToNs(c.guestPfHandlerCycles, c.clockMHz) };
  const sendAlways = knobs.sendAlways === 1;
  const kick = knobs.kickOnCompletion === 1;
  return {
    arch: 'x86',
    caps: {
      asyncPfPerVcpu: ASYNC_PF_PER_VCPU,
      ackRequired: false,
      undeliveredWait: 'halt',
      // 2.6.38 sent page-ready regardless of not-present (facts/x86.md §6 "Dummy-entry leak").
      readyOnlyIfNotPresentInjected: false,
      irqOrder: 'highest-first',
      // Both signals are exceptions injected at entry: no pending interrupt to race the re-fault.
      irqVsRefault: null,
      // kvm_async_pf_task_wake() of 2010 already left a dummy on an early wake (facts/x86.md §3).
      guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false },
      forbiddenNotPresent: sendAlways ? ['irqs-masked'] : ['kernel-mode', 'irqs-masked'],
      ipi: x86IpiCaps(knobs),
      codeLayout: x86CodeLayout(c.clockMHz),
    },
    costs: exitCostsFromTable(c, X86_COST_KEYS),
    findings: PF2010_FINDINGS,
    exitNames: X86_EXIT_NAMES,
    createVcpuState: (id) => createPf2010State(id, knobs),
    guestInit: (v) => pf2010GuestCpuInit(v, { areaGpa: AREA_BASE + BigInt(v.id) * AREA_STRIDE, ...guest }),
    // The fault always exits: the hardware cannot raise it in the guest.
    faultInGuest: () => false,
    canDoAsyncPf: apf.canDoAsyncPf,
    setupAsyncPf: apf.setupAsyncPf,
    canDeliverAsyncPf: apf.canDeliverAsyncPf,
    asyncPageNotPresent: (v, w) => apf.asyncPageNotPresent(v, w, guest),
    asyncPagePresentQueued: (v) => apf.asyncPagePresentQueued(v, kick),
    canDequeueAsyncPagePresent: apf.canDequeueAsyncPagePresent,
    asyncPageReady: apf.asyncPageReady,
    asyncPagePresent: (v, w) => apf.asyncPagePresent(v, w, guest),
    guestCall: (v, call) => guestCall(v, call as X86GuestCall, ctx.guestMemoryBytes),
    conditions: () => [],
  };
}

export const x86PfVariant: Variant = {
  id: 'x86-pf',
  arch: 'x86',
  title: 'x86 2010 PV async PF: not-present and page-ready both as #PF (token in CR2, reason word), no ACK',
  origin: 'seed 001: Gleb Natapov, "KVM: Inject asynchronous page fault into a PV guest if page is swapped out", 7c90705bf2a3, 2010-10-14; merged 2.6.38',
  mechanisms: {
    enable: 'MSR_KVM_ASYNC_PF_EN = GPA | ENABLED (bits 5:1 reserved; SEND_ALWAYS with fc5f06fac6fb); no INT, no ACK MSR',
    notPresent: '#PF vector 14, error code 0, token in CR2, reason = 1 in {u32 reason; u8 pad[60]; u32 enabled}',
    ready: '#PF vector 14, token in CR2, reason = 2 — even for a fault never announced; no kick: a running vCPU takes it at its next entry',
    token: '(id++ << 12) | vcpu_id, no zero guard',
    eligibility: 'IF=1 and no event to re-inject to start; CPL≠0 to deliver (unless SEND_ALWAYS), else halt; ready only with IF=1',
    wake: 'immediate wake in the #PF handler; dummy if the wake comes first (leaks when not-present never came)',
    ack: 'none',
  },
  defaultCosts: X86_COSTS,
  knobs: X86_KNOBS,
  createBackend: createX86PfBackend,
};
