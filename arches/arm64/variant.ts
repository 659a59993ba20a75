import type { Backend, Finding, GuestCall, GuestCallExit, KvmVcpu, Variant, VariantContext } from '../../core/backend.js';
import { BadInputError } from '../../core/errors.js';
import { cyclesToNs, exitCostsFromTable } from '../../core/costs.js';
import * as apf from './async-pf.js';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID,
  ASYNC_PF_PER_VCPU,
  ASYNC_PF_SUBFN_NAMES,
  KVM_SDEI_ASYNC_PF_NUM,
  LAB_DEFAULT_APF_PPI,
  PPI_MAX,
  PPI_MIN,
  SDEI_EVENT_COMPLETE_AND_RESUME,
  SDEI_NAMES,
} from './constants.js';
import { ARM64_COST_KEYS, ARM64_COSTS, ARM64_EXIT_NAMES } from './costs.js';
import { ARM64_IPI_CAPS, trappedSysregWrite } from './ipi.js';
import { kvmAsyncPfInit, kvmAsyncPfSdeiHandler, type Arm64GuestConfig } from './guest.js';
import { sdeiCall, type InterruptedContext } from './sdei.js';
import { asyncPfCall, asyncPfSubfunction, kvmFeatures, type Arm64GuestCall } from './smccc.js';
import { createArm64State, type Arm64VcpuState } from './state.js';
import { arm64CodeLayout } from './code-layout.js';

const AREA_BASE = 0x100000n;

/** Review status of the SDEI design, with who said it (facts/arm64.md §1 "Outcome", §2, §5). */
const FINDINGS: readonly Finding[] = [
  {
    id: 'sdei-not-merged',
    severity: 'blocker',
    text: 'Never merged: neither async PF nor SDEI virtualisation; rejected as "a solution in search of a problem", discontinued in 2023.',
    cite: 'Marc Zyngier 2022-06-24, 87iloq2oke.wl-maz@kernel.org; Gavin Shan 2023-10-06, 131babfc-3450-68bd-f35b-d126a36acb0c@redhat.com',
  },
  {
    id: 'ppi-per-vm',
    severity: 'concern',
    text: 'The page-ready PPI number is implementation defined: the VMM picks it per VM and must describe it to the guest (ACPI only in v2–v4).',
    cite: 'Marc Zyngier 2020-05-28 on RFCv2 9/9; facts/arm64.md §5',
  },
  {
    id: 'sdei-migration',
    severity: 'concern',
    text: 'In-kernel SDEI state (registered, enabled, running events) must be migrated.',
    cite: 'James Morse 2020-10-23, 4dcaea7a-a4d1-9bf3-eb95-ea9d8826ad99@arm.com',
  },
  {
    id: 'nmi-for-user-only',
    severity: 'concern',
    text: 'An NMI-like event is used to flag a task that can only sleep on return to user: an IRQ would do, but for D1.13.4.',
    cite: 'James Morse 2020-10-23, 4dcaea7a-a4d1-9bf3-eb95-ea9d8826ad99@arm.com; DDI0487F.a D1.13.4',
  },
  {
    id: 'zero-token',
    severity: 'concern',
    text: 'The token has no zero guard: vCPU 0 is handed token 0, the control block\'s "free" value, on its first fault and after every 65,536 (u16 id); x86 fixed the same class in 2022. Counted as a hazard per run.',
    cite: 'facts/arm64.md §1a; x86: 6f3c1fc53d86, 20220222031239.1076682-1-zhangliang5@huawei.com (facts/x86.md §6)',
  },
  {
    id: 'smccc-number-taken',
    severity: 'note',
    text: 'Vendor-hyp function 2 (0x86000002) is now taken upstream by pKVM HYP_MEMINFO.',
    cite: 'facts/arm64.md §3',
  },
];

export const ARM64_SDEI_KNOBS = {
  /** The SDEI event number the VMM sets per vCPU (KVM_ARM_ASYNC_PF_CMD_SET_SDEI; 0 = unset). */
  sdeiEvent: KVM_SDEI_ASYNC_PF_NUM,
  /** The page-ready PPI INTID the VMM sets per vCPU (16–31; 0 = unset). */
  ppi: LAB_DEFAULT_APF_PPI,
  /** The VMM enabled the async-PF capability (vcpu->arch.apf allocated). */
  apfCapability: 1,
  irqchipInKernel: 1,
  /**
   * How often, in percent, the re-executed instruction's stage-2 fault is taken before a pending
   * PPI (DDI0487F.a D1.13.4 leaves the order undefined; James Morse 2020-10-23). No measurement
   * exists: 0 by default (the interrupt first, the hazard still counted); raise it to see the cost.
   */
  d1134FaultFirstPercent: 0,
  /**
   * The data-abort designs' guest enables with KVM_ASYNC_PF_SEND_ALWAYS (arm64-dabt, arm64-impdef;
   * a FIXME in both postings, so 0: kernel-mode faults stay synchronous). Other designs ignore it.
   */
  rfcSendAlways: 0,
};

/**
 * The arm64 knobs every arm64 variant (and the arm64 baseline) accepts, checked the same way
 * whichever variant runs: the SDEI event number is a u32 the VMM sets (0 = unset), the PPI an
 * INTID 16–31 (0 = unset; facts/arm64.md §5), the capability flags 0 or 1.
 */
export function checkArm64Knobs(knobs: Readonly<Record<string, number>>): void {
  const bad = (name: string, why: string) => new BadInputError(`scenario arch.arm64.${name}: ${knobs[name]} ${why}`);
  const ev = knobs.sdeiEvent;
  if (!Number.isInteger(ev) || ev < 0 || ev > 0xffffffff) throw bad('sdeiEvent', 'is not an SDEI event number (a u32; 0 = unset)');
  const ppi = knobs.ppi;
  if (ppi !== 0 && (!Number.isInteger(ppi) || ppi < PPI_MIN || ppi > PPI_MAX)) throw bad('ppi', 'is not a PPI INTID (16–31; 0 = unset)');
  for (const name of ['apfCapability', 'irqchipInKernel', 'rfcSendAlways']) {
    if (knobs[name] !== 0 && knobs[name] !== 1) throw bad(name, 'is not 0 or 1');
  }
  knobShare(knobs.d1134FaultFirstPercent);
}

/** A percent knob as a share, refused outside 0–100 (bad input, exit 1). */
export function knobShare(percent: number): number {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new BadInputError(`scenario arch.arm64.d1134FaultFirstPercent: ${percent} is not a percentage (0–100)`);
  }
  return percent / 100;
}

export function createArm64SdeiBackend(ctx: VariantContext): Backend<Arm64VcpuState, { gfn: number }> {
  const c = ctx.costOverrides;
  const ns = (cycles: number) => cyclesToNs(cycles, c.clockMHz);
  checkArm64Knobs(ctx.knobs);
  const guestCfg = (vcpuId: number): Arm64GuestConfig => ({
    areaGpa: AREA_BASE + BigInt(vcpuId) * 64n,
    sdeiHandlerNs: ns(c.guestSdeiHandlerCycles),
    irqHandlerNs: ns(c.guestIrqHandlerCycles),
  });
  const onDispatch = (v: KvmVcpu<Arm64VcpuState>) => (interrupted: InterruptedContext) => {
    // The DELIVERED notifier clears only the host's pending flag; the guest clears the block.
    v.state.notpresentPending = false;
    v.state.notpresentToken = 0;
    kvmAsyncPfSdeiHandler(v, guestCfg(v.id), interrupted);
  };
  const resumeNs = ns(c.sdeiResumeCycles);
  return {
    arch: 'arm64',
    caps: {
      asyncPfPerVcpu: ASYNC_PF_PER_VCPU,
      ackRequired: true,
      undeliveredWait: 'retry',
      readyOnlyIfNotPresentInjected: false,
      // GIC: equal default priorities, lowest INTID first (the reschedule SGI before the PPI).
      irqOrder: 'lowest-first',
      // v4 guest: an unknown token is ignored (no dummy), and the task is in the table from the
      // SDEI handler on, so any wake clears its flag (facts/arm64.md §1a).
      guestWake: { dummyOnEarlyWake: false, entryAtFlag: true, delayedWake: false },
      // A pending PPI need not be taken before the first instruction after entry if that
      // instruction takes a synchronous exception (DDI0487F.a D1.13.4, James Morse 2020-10-23).
      irqVsRefault: { hazard: apf.D1_13_4_HAZARD, faultFirstShare: knobShare(ctx.knobs.d1134FaultFirstPercent) },
      // EL1 delivery is the guest's choice (SEND_ALWAYS), so the forbidden state is EL1 without it.
      forbiddenNotPresent: ['kernel-mode-not-sent', 'sdei-running'],
      ipi: ARM64_IPI_CAPS,
      codeLayout: arm64CodeLayout(c.clockMHz),
    },
    costs: exitCostsFromTable(c, ARM64_COST_KEYS),
    findings: FINDINGS,
    exitNames: ARM64_EXIT_NAMES,
    createVcpuState: (id) => createArm64State(id, ctx.knobs),
    guestInit: (v) => kvmAsyncPfInit(v, guestCfg(v.id)),
    // The fault always exits: the hardware cannot raise it in the guest.
    faultInGuest: () => false,
    canDoAsyncPf: apf.notPresentAllowed,
    setupAsyncPf: apf.setupAsyncPf,
    // v4 checks everything in kvm_arch_async_not_present_allowed() before the work starts.
    canDeliverAsyncPf: apf.notPresentAllowed,
    // The dispatch is priced where core takes the event at entry (costs.injectNs.event = sdeiDispatchCycles).
    asyncPageNotPresent: (v, w) => apf.asyncPageNotPresent(v, w, onDispatch(v), 0),
    asyncPagePresentQueued: apf.asyncPagePresentQueued,
    canDequeueAsyncPagePresent: apf.canDequeueAsyncPagePresent,
    asyncPageReady: apf.asyncPageReady,
    asyncPagePresent: (v, w) => {
      const r = apf.asyncPagePresent(v, w);
      if (r.cancelled) v.countEvent('sdei-cancelled');
      return r.delivered;
    },
    guestCall: (v, call) => guestCall(v, call, ctx.guestMemoryBytes, resumeNs),
    conditions: (v) => [
      ...(v.state.sdei.running !== null ? ['sdei-running'] : []),
      ...(v.cpu.privilege === 'kernel' && !v.state.sendAlways ? ['kernel-mode-not-sent'] : []),
    ],
  };
}

/** Exit labels, built once: a guest call is on the hot path. */
const ASYNC_PF_EXITS = ASYNC_PF_SUBFN_NAMES.map((n) => `HVC64(ASYNC_PF_${n})`);
const SDEI_EXITS = new Map(Object.entries(SDEI_NAMES).map(([fn, n]) => [Number(fn), `HVC64(${n})`]));

function guestCall(v: KvmVcpu<Arm64VcpuState>, anyCall: GuestCall, guestMemoryBytes: number, resumeNs: number): GuestCallExit {
  const call = anyCall as Arm64GuestCall;
  if (call.kind === 'sysreg') return trappedSysregWrite(v, call.reg, call.value);
  if (call.kind !== 'hvc') return { result: { kind: 'fault', vector: 'UNDEF' }, exit: 'UNKNOWN', kind: 'trap' };
  if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID) {
    const exit = ASYNC_PF_EXITS[asyncPfSubfunction(call.args)] ?? 'HVC64(ASYNC_PF_UNKNOWN)';
    return { result: asyncPfCall(v, call.args, guestMemoryBytes), exit, kind: 'hypercall' };
  }
  if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID) return { result: kvmFeatures(v), exit: 'HVC64(KVM_FEATURES)', kind: 'hypercall' };
  const sdeiExit = SDEI_EXITS.get(call.fn);
  if (sdeiExit) {
    const result = sdeiCall(v, call.fn, call.args);
    // Restoring the interrupted context and emulating the IRQ entry is host work of its own.
    if (call.fn === SDEI_EVENT_COMPLETE_AND_RESUME && result.kind === 'ok' && result.regs[0] === 0n) v.chargeHost(resumeNs);
    return { result, exit: sdeiExit, kind: 'hypercall' };
  }
  return { result: { kind: 'ok', regs: [-1n] }, exit: `HVC64(0x${call.fn.toString(16)})`, kind: 'hypercall' };
}

export const arm64SdeiVariant: Variant = {
  id: 'arm64-sdei',
  arch: 'arm64',
  title: 'arm64 SDEI + PPI: SDEI event flags the task (sleeps at return to user), PPI + IRQ_ACK page-ready',
  origin: 'Gavin Shan v1–v4, 2020-08 … 2021-08, not merged (facts/arm64.md §1)',
  mechanisms: {
    enable: 'SMCCC 0x86000002: VERSION, SLOTS, SDEI, IRQ, ENABLE; SDEI REGISTER/ENABLE/PE_UNMASK',
    notPresent: 'SDEI event 0x40400001 (critical, NMI-like), user mode only; token and reason in control block',
    ready: 'level-high PPI chosen per VM, token and reason in control block',
    token: '(id++ << 12) | vcpu_id, u16 id',
    eligibility: 'user mode, no SDEI event running, control block free; else synchronous',
    wake: 'TIF_ASYNC_PF: the task sleeps in do_notify_resume(), woken from the PPI handler',
    ack: 'SMCCC IRQ_ACK; one page-ready outstanding; a completion before dispatch cancels the event',
  },
  defaultCosts: ARM64_COSTS,
  knobs: ARM64_SDEI_KNOBS,
  createBackend: createArm64SdeiBackend,
};
