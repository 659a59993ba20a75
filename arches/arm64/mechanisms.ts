import type { KvmVcpu } from '../../core/backend.js';
import type { ArchDefinition, BackendFragment, Catalogue, CompatibilityRule, FragmentEnv } from '../spec.js';
import { NO_APF_MECHANISMS, NO_APF_RULES } from '../sync/mechanisms.js';
import * as apf from './async-pf.js';
import { ASYNC_PF_PER_VCPU, PPI_MAX, PPI_MIN } from './constants.js';
import { ARM64_COST_KEYS, ARM64_COSTS, ARM64_EXIT_NAMES } from './costs.js';
import { s2GuestCall, v4GuestCall } from './guest-calls.js';
import { kvmAsyncPfInit, kvmAsyncPfSdeiHandler, type Arm64GuestConfig } from './guest.js';
import { arm64CodeLayout } from './code-layout.js';
import { vmPlaces } from './control-block.js';
import { DABT_ACK, DABT_ELIGIBILITY, DABT_ENABLE, DABT_NOT_PRESENT, DABT_READY, DABT_RULES, DABT_TOKEN, DABT_WAKE } from './dabt/mechanisms.js';
import { vgicEoiExit } from './vgic.js';
import { ARM64_IPI_CAPS } from './ipi.js';
import { v4HotplugFragment } from './hotplug.js';
import { v4VcpuMigrated } from './migration.js';
import { PVVEC_ELIGIBILITY, PVVEC_ENABLE, PVVEC_NOT_PRESENT, PVVEC_RULES, PVVEC_TOKEN, PVVEC_WAKE } from './pvvec/mechanisms.js';
import { irqGuestInit } from './irq/guest.js';
import * as irqHost from './irq/host.js';
import { ARM64_SDEI_KNOBS, checkArm64Knobs, knobShare } from './knobs.js';
import { createArm64S2State, reflectS2Abort, s2GuestInit, s2Routed, type Arm64S2VcpuState } from './s2.js';
import type { InterruptedContext } from './sdei.js';
import { noApfGuestCall } from './smccc.js';
import { createArm64State, type Arm64VcpuState } from './state.js';

/**
 * The arm64 mechanism catalogue (arches/spec.ts): Gavin Shan's v4 ABI and what the review thread
 * proposed instead (facts/arm64.md §1, §2). Every arm64 mechanism keeps its state in v4's control
 * block `{u32 reason; u32 token; …}`; the rules tie a delivery to the guest handler and the
 * channel that carries its token.
 */

type V = KvmVcpu<Arm64VcpuState>;

/** The prices of the guest's handlers (each CPU's block address is in its state: arches/arm64/control-block.ts). */
function guestConfig(env: FragmentEnv, sdeiHandler: boolean): Arm64GuestConfig {
  const c = env.ctx.costOverrides;
  return { sdeiHandlerNs: sdeiHandler ? env.ns(c.guestSdeiHandlerCycles) : 0, irqHandlerNs: env.ns(c.guestIrqHandlerCycles) };
}

const enable: Catalogue['enable'] = {
  ...NO_APF_MECHANISMS.enable,
  ...DABT_ENABLE,
  ...PVVEC_ENABLE,
  'smccc-apf-v4': {
    text: 'SMCCC 0x86000002: VERSION, SLOTS, SDEI, IRQ, ENABLE; SDEI REGISTER/ENABLE/PE_UNMASK',
    fragment: (env) => {
      const cfg = guestConfig(env, true);
      const place = vmPlaces();
      return {
        createVcpuState: (id) => createArm64State(id, env.ctx.knobs, place(id)),
        guestInit: (v: V) => kvmAsyncPfInit(v, cfg),
        guestCall: v4GuestCall(env.ctx.guestMemoryBytes, { resumeNs: env.ns(env.ctx.costOverrides.sdeiResumeCycles) }),
        vcpuMigrated: (v: V) => v4VcpuMigrated(v, env.ctx.guestMemoryBytes, true),
        ...v4HotplugFragment(true),
      };
    },
  },
  'smccc-apf-v4-irq': {
    text: 'SMCCC 0x86000002: VERSION, IRQ, ENABLE (v4 ABI, no SDEI)',
    fragment: (env) => {
      const cfg = guestConfig(env, false);
      const place = vmPlaces();
      return {
        createVcpuState: (id) => createArm64State(id, env.ctx.knobs, place(id)),
        guestInit: (v: V) => irqGuestInit(v, cfg),
        // The v4 ABI without its SDEI requirement (the design has no SDEI event).
        guestCall: v4GuestCall(env.ctx.guestMemoryBytes, null),
        vcpuMigrated: (v: V) => v4VcpuMigrated(v, env.ctx.guestMemoryBytes, false),
        ...v4HotplugFragment(false),
      };
    },
  },
  'smccc-apf-v4-s2': {
    text: 'SMCCC 0x86000002 (v4 ABI): VERSION, SLOTS, IRQ, ENABLE; no SDEI',
    fragment: (env) => {
      const cfg = guestConfig(env, false);
      const place = vmPlaces();
      return {
        createVcpuState: (id) => createArm64S2State(id, env.ctx.knobs, place(id)),
        guestInit: (v: KvmVcpu<Arm64S2VcpuState>) => s2GuestInit(v, cfg),
        guestCall: s2GuestCall(env.ctx.guestMemoryBytes, env.ns(env.ctx.costOverrides.sdeiResumeCycles)),
        vcpuMigrated: (v: KvmVcpu<Arm64S2VcpuState>) => v4VcpuMigrated(v, env.ctx.guestMemoryBytes, false),
        ...v4HotplugFragment(false),
      };
    },
  },
};

const notPresent: Catalogue['notPresent'] = {
  ...NO_APF_MECHANISMS.notPresent,
  ...DABT_NOT_PRESENT,
  ...PVVEC_NOT_PRESENT,
  'sdei-event': {
    text: 'SDEI event 0x40400001 (critical, NMI-like), user mode only; token and reason in control block',
    fragment: (env) => {
      const cfg = guestConfig(env, true);
      const onDispatch = (v: V) => (interrupted: InterruptedContext) => {
        // The DELIVERED notifier clears only the host's pending flag; the guest clears the block.
        v.state.notpresentPending = false;
        v.state.notpresentToken = 0;
        kvmAsyncPfSdeiHandler(v, cfg, interrupted);
      };
      // The dispatch is priced where core takes the event at entry (costs.injectNs.event = sdeiDispatchCycles).
      return { asyncPageNotPresent: (v, w) => apf.asyncPageNotPresent(v, w, onDispatch(v), 0) };
    },
  },
  'ppi-taken-at-once': {
    text: 'PPI made pending and taken at once (emulated IRQ exception), only with PSTATE.I clear; reason 1 in control block',
    // checkArm64Knobs() lets 0 through as "the VMM set none" (v4's ENABLE then refuses: facts/arm64.md §1 v1;
    // v4 09/15 kvm_arch_async_enable()); this design has no other way to reach the guest, so it needs one set.
    needs: (knobs) =>
      Number.isInteger(knobs.ppi) && knobs.ppi >= PPI_MIN && knobs.ppi <= PPI_MAX
        ? null
        : `ppi: ${knobs.ppi} (unset) leaves the not-present mechanism ppi-taken-at-once no interrupt to raise: set a PPI INTID, 16–31 (facts/arm64.md §5)`,
    fragment: () => ({ asyncPageNotPresent: irqHost.asyncPageNotPresent }),
  },
  's2-reflected': {
    text: 'stage-2 fault reflected to EL1 as a data abort from EL0 (hypothetical), no exit; guest HVC 0xC6000040 (lab) with the IPA returns the token',
    fragment: (env) => {
      // The reflected abort is priced at the table's event entry and its handler as the SDEI
      // handler's table insert: the lower bound is, if anything, pessimistic (arches/arm64/s2.ts).
      const abortHandlerNs = env.ns(env.ctx.costOverrides.guestSdeiHandlerCycles);
      return {
        faultInGuest: (v: KvmVcpu<Arm64S2VcpuState>, gfn: number) => {
          if (!s2Routed(v)) return false;
          reflectS2Abort(v, gfn, abortHandlerNs);
          return true;
        },
        // No host→guest not-present channel: a user-mode fault that exits (an event was pending)
        // waits in the host; kernel-mode faults never get here (v4's gate makes them synchronous).
        asyncPageNotPresent: () => false,
      };
    },
  },
};

/** v4's page-ready: token, reason 2, the PPI level-high until IRQ_ACK. */
const ppiReady = (onlyIfAnnounced: boolean, countCancels: boolean) => (env: FragmentEnv): BackendFragment => ({
  asyncPagePresentQueued: apf.asyncPagePresentQueued,
  canDequeueAsyncPagePresent: apf.canDequeueAsyncPagePresent,
  apfRunnable: apf.vcpuRunnable,
  asyncPageReady: apf.asyncPageReady,
  asyncPagePresent: countCancels
    ? (v, w) => {
        const r = apf.asyncPagePresent(v, w);
        if (r.cancelled) v.countEvent('sdei-cancelled');
        return r.delivered;
      }
    : (v, w) => apf.asyncPagePresent(v, w).delivered,
  caps: {
    readyOnlyIfNotPresentInjected: onlyIfAnnounced,
    // A pending PPI need not be taken before the first instruction after entry if that
    // instruction takes a synchronous exception (DDI0487F.a D1.13.4, James Morse 2020-10-23).
    irqVsRefault: { hazard: apf.D1_13_4_HAZARD, faultFirstShare: knobShare(env.ctx.knobs.d1134FaultFirstPercent) },
  },
});

const ready: Catalogue['ready'] = {
  ...NO_APF_MECHANISMS.ready,
  ...DABT_READY,
  // v4 sends page-ready for every completion; a completion before dispatch cancels the SDEI event.
  'ppi-level': { text: 'level-high PPI chosen per VM, token and reason in control block', fragment: ppiReady(false, true) },
  'ppi-same-line': { text: 'the same PPI, level-high, reason 2 in control block', fragment: ppiReady(true, false) },
  // Work starts only when the guest asks, so it always knows: page-ready only for those (and wake-all).
  'ppi-level-as-sdei': { text: 'level-high PPI chosen per VM, token and reason in control block, as arm64-sdei\'s, but only for faults the guest was told of (and wake-all)', fragment: ppiReady(true, true) },
};

const v4Token = (): BackendFragment => ({ setupAsyncPf: apf.setupAsyncPf });

const token: Catalogue['token'] = {
  ...NO_APF_MECHANISMS.token,
  ...DABT_TOKEN,
  ...PVVEC_TOKEN,
  'shared-memory': { text: '(id++ << 12) | vcpu_id, u16 id', fragment: v4Token },
  'hypercall-x1': { text: '(id++ << 12) | vcpu_id, u16 id, returned in x1', fragment: v4Token },
};

/** v4 checks everything in kvm_arch_async_not_present_allowed() before the work starts. */
const v4Gate = (): BackendFragment => ({ canDoAsyncPf: apf.notPresentAllowed, canDeliverAsyncPf: apf.notPresentAllowed });

const eligibility: Catalogue['eligibility'] = {
  ...NO_APF_MECHANISMS.eligibility,
  ...DABT_ELIGIBILITY,
  ...PVVEC_ELIGIBILITY,
  'user-mode-v4': {
    text: 'user mode, no SDEI event running, control block free; else synchronous',
    fragment: () => ({
      ...v4Gate(),
      // Gavin Shan's series re-enters the guest, which faults again (facts/arm64.md §1 v2–v4).
      // EL1 delivery is the guest's choice (SEND_ALWAYS), so the forbidden state is EL1 without it.
      caps: { undeliveredWait: 'retry', forbiddenNotPresent: ['kernel-mode-not-sent', 'sdei-running'] },
      conditions: (v: V) => [
        ...(v.state.sdei.running !== null ? ['sdei-running'] : []),
        ...(v.cpu.privilege === 'kernel' && !v.state.sendAlways ? ['kernel-mode-not-sent'] : []),
      ],
    }),
  },
  'user-mode-irqs-unmasked': {
    text: 'user mode with IRQs unmasked to deliver, else halt; control block free to start, else synchronous',
    // PROTOCOLS.md §4.8: where the PPI cannot be taken at once, the vCPU halts.
    fragment: () => ({
      canDoAsyncPf: irqHost.canDoAsyncPf,
      canDeliverAsyncPf: irqHost.canDeliverAsyncPf,
      caps: { undeliveredWait: 'halt', forbiddenNotPresent: ['kernel-mode', 'irqs-masked'] },
    }),
  },
  'el0-reflected': {
    text: 'reflected from EL0 only; an EL1 fault exits and is synchronous (v4 gate)',
    // A request for a gfn already outstanding blocks in the host until it is in, as James Morse
    // asked ("only ever block in the stage2 fault handler", facts/arm64.md §2), not a re-fault loop.
    fragment: () => ({ ...v4Gate(), caps: { undeliveredWait: 'halt', forbiddenNotPresent: ['kernel-mode', 'irqs-masked'] } }),
  },
};

const wake: Catalogue['wake'] = {
  ...NO_APF_MECHANISMS.wake,
  ...DABT_WAKE,
  ...PVVEC_WAKE,
  // v4 guest: an unknown token is ignored (no dummy), and the task is in the table from the
  // handler on, so any wake clears its flag (facts/arm64.md §1a).
  'tif-return-to-user': {
    text: 'TIF_ASYNC_PF: the task sleeps in do_notify_resume(), woken from the PPI handler',
    fragment: () => ({ caps: { guestWake: { dummyOnEarlyWake: false, entryAtFlag: true, delayedWake: false } } }),
  },
  'tif-irq-handler': {
    text: 'TIF flag from the IRQ handler, the task sleeps at return to user; woken from the PPI handler',
    fragment: () => ({ caps: { guestWake: { dummyOnEarlyWake: false, entryAtFlag: true, delayedWake: false } } }),
  },
  // The task sleeps in the abort handler itself, as x86's does: a wake that came first leaves a dummy.
  'abort-handler-sleeps': {
    text: 'the abort handler sleeps the task; woken from the PPI handler; dummy if the wake comes first',
    fragment: () => ({ caps: { guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false } } }),
  },
};

const ackRequired = (): BackendFragment => ({ caps: { ackRequired: true } });

const ack: Catalogue['ack'] = {
  ...NO_APF_MECHANISMS.ack,
  ...DABT_ACK,
  'irq-ack-hypercall': { text: 'SMCCC IRQ_ACK; one page-ready outstanding', fragment: ackRequired },
  'irq-ack-hypercall-sdei-cancel': {
    text: 'SMCCC IRQ_ACK; one page-ready outstanding; a completion before dispatch cancels the event',
    fragment: ackRequired,
  },
};

export const ARM64_CATALOGUE: Catalogue = { enable, notPresent, ready, token, eligibility, wake, ack };

const PPI_READY = ['ppi-level', 'ppi-same-line', 'ppi-level-as-sdei'];
const IRQ_ACKS = ['irq-ack-hypercall', 'irq-ack-hypercall-sdei-cancel'];
/** The enables that set up a page-ready PPI: v4's SMCCC call and the designs built on it. */
const PPI_ENABLES = ['smccc-apf-v4', 'smccc-apf-v4-irq', 'smccc-apf-v4-s2', 'smccc-pvvec'];

/** What cannot go together on arm64, and why (facts/arm64.md §1–§6, PROTOCOLS.md §4.5–§4.10). */
export const ARM64_RULES: readonly CompatibilityRule[] = [
  // Where the token travels.
  { dimension: 'notPresent', ids: ['ppi-taken-at-once'], requires: { dimension: 'token', ids: ['shared-memory'] }, reason: 'a PPI carries no payload, so the token must be in shared memory' },
  { dimension: 'notPresent', ids: ['sdei-event'], requires: { dimension: 'token', ids: ['shared-memory'] }, reason: 'the v4 SDEI handler reads the token from the control block' },
  { dimension: 'notPresent', ids: ['s2-reflected'], requires: { dimension: 'token', ids: ['hypercall-x1'] }, reason: 'a reflected abort carries no token: the work, and its token, start only when the guest asks by HVC' },
  { dimension: 'token', ids: ['hypercall-x1'], requires: { dimension: 'notPresent', ids: ['s2-reflected'] }, reason: 'only the stage-2 design\'s fetch HVC returns a token in x1' },
  // What each delivery needs from the guest's side, set up by its enable channel.
  { dimension: 'notPresent', ids: ['sdei-event'], requires: { dimension: 'enable', ids: ['smccc-apf-v4'] }, reason: 'the guest must register, enable and unmask the SDEI event, which only the v4 SDEI enable does' },
  { dimension: 'notPresent', ids: ['ppi-taken-at-once'], requires: { dimension: 'enable', ids: ['smccc-apf-v4-irq'] }, reason: 'the guest\'s PPI handler must take reason 1 (not present) as well as 2, which only the IRQ design\'s guest registers' },
  { dimension: 'notPresent', ids: ['s2-reflected'], requires: { dimension: 'enable', ids: ['smccc-apf-v4-s2'] }, reason: 'routing needs the guest\'s abort handler and fetch call, set up by the stage-2 enable' },
  // The ACK protocol acknowledges an interrupt; a level-high PPI stays up until it comes.
  { dimension: 'ack', ids: IRQ_ACKS, requires: { dimension: 'ready', ids: PPI_READY }, reason: 'IRQ_ACK lowers a page-ready interrupt line, and there is none' },
  { dimension: 'ready', ids: PPI_READY, requires: { dimension: 'ack', ids: IRQ_ACKS }, reason: 'the page-ready PPI is level-high: only the guest\'s IRQ_ACK lowers it and lets the next one out' },
  { dimension: 'ack', ids: ['irq-ack-hypercall-sdei-cancel'], requires: { dimension: 'notPresent', ids: ['sdei-event'] }, reason: 'only an SDEI event still waiting for dispatch can be cancelled by its completion' },
  // The page-ready PPI is the one the VMM sets per vCPU (KVM_ARM_ASYNC_PF_CMD_SET_IRQ, v2–v4) and the guest reads with the IRQ sub-function of 0x86000002 (facts/arm64.md §1 v2–v4): RFCv1/RFCv2's enables have neither.
  { dimension: 'ready', ids: PPI_READY, requires: { dimension: 'enable', ids: PPI_ENABLES }, reason: 'the page-ready PPI is the one the VMM sets and the guest learns through the v4 call\'s IRQ sub-function, which the RFC enables do not have' },
  // Where the task sleeps is the not-present delivery's own (hostile test, stop 17: picked with
  // another delivery these ran as that delivery's and were shown as themselves).
  { dimension: 'wake', ids: ['abort-handler-sleeps'], requires: { dimension: 'notPresent', ids: ['s2-reflected'] }, reason: 'only a reflected stage-2 abort runs a guest abort handler that can put the task to sleep' },
  { dimension: 'wake', ids: ['tif-return-to-user'], requires: { dimension: 'notPresent', ids: ['sdei-event'] }, reason: 'the SDEI handler flags the task, which sleeps in do_notify_resume(); other deliveries do not flag it' },
  { dimension: 'wake', ids: ['tif-irq-handler'], requires: { dimension: 'notPresent', ids: ['ppi-taken-at-once'] }, reason: 'the flag is set by the not-present PPI\'s handler' },
  { dimension: 'notPresent', ids: ['sdei-event'], requires: { dimension: 'ack', ids: ['irq-ack-hypercall-sdei-cancel'] }, reason: 'v4 cancels an SDEI event still waiting for dispatch when its page comes in first: that is part of the SDEI delivery' },
  ...DABT_RULES,
  ...PVVEC_RULES,
  // Last: a no-APF pick among APF ones is more often a slip than the point.
  ...NO_APF_RULES,
];

/** The arm64 architecture as every arm64 variant sees it. */
export const ARM64_ARCH: ArchDefinition = {
  arch: 'arm64',
  costs: ARM64_COSTS,
  costKeys: ARM64_COST_KEYS,
  exitNames: ARM64_EXIT_NAMES,
  knobs: ARM64_SDEI_KNOBS,
  checkKnobs: checkArm64Knobs,
  asyncPfPerVcpu: ASYNC_PF_PER_VCPU,
  // GIC: equal default priorities, lowest INTID first (the reschedule SGI before the PPI).
  irqOrder: 'lowest-first',
  // Linux 6.12 arch/arm64/kvm/arm.c kvm_arch_vcpu_runnable(): interrupts and the power state only;
  // v4's page-ready adds its terms (ppiReady(), apf.vcpuRunnable()), the RFCs' abort page-ready
  // theirs (dabt/mechanisms.ts readyAbort(), dabt/host.ts vcpuRunnable()).
  apfRunnable: () => false,
  ipi: () => ARM64_IPI_CAPS,
  eoiExit: vgicEoiExit,
  codeLayout: arm64CodeLayout,
  noApfGuestCall,
  catalogue: ARM64_CATALOGUE,
  rules: ARM64_RULES,
  missing: {
    'pf-': 'arm64 has no #PF: a fault reaches EL1 as a data abort, its address in FAR_EL1 and its syndrome in ESR_EL1',
    cr2: 'arm64 has no CR2: a data abort\'s address is in FAR_EL1, and v4 puts the token in the control block (shared-memory)',
    'apic-': 'arm64 has no local APIC: a per-CPU interrupt is a GIC PPI (ppi-level)',
    've-': 'arm64 has no #VE; the nearest is a stage-2 fault reflected to EL1 (s2-reflected), which has no hardware path',
    'msr-': 'arm64 has no MSRs: the guest calls the host by SMCCC HVC (smccc-apf-v4)',
    'hypercall-rax': 'arm64 returns a hypercall result in x0–x3 (hypercall-x1)',
    'synthetic-halt': 'arm64 KVM has no synthetic halt: v4 re-enters the guest, which faults again',
  },
};
