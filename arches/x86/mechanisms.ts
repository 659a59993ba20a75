import type { KvmVcpu } from '../../core/backend.js';
import { BadInputError } from '../../core/errors.js';
import type { ArchDefinition, BackendFragment, Catalogue, CompatibilityRule, Dimension, FragmentEnv } from '../spec.js';
import { NO_APF_MECHANISMS, NO_APF_RULES } from '../sync/mechanisms.js';
import * as apf from './async-pf.js';
import { ASYNC_PF_PER_VCPU } from './constants.js';
import { X86_COST_KEYS, X86_COSTS, X86_EXIT_NAMES } from './costs.js';
import { pf2010GuestCall, veGuestCall, x86GuestCall } from './guest-calls.js';
import { kvmGuestCpuInit } from './guest.js';
import { x86IpiCaps } from './ipi.js';
import { x86EoiExit, x86GuestEoi } from './eoi.js';
import { pf2010GuestCpuOffline, pf2010VcpuReset, x86GuestCpuOffline, x86VcpuReset } from './hotplug.js';
import { pf2010VcpuMigrated, x86VcpuMigrated } from './migration.js';
import { checkX86Knobs, X86_KNOBS } from './knobs.js';
import { noApfGuestCall } from './msr.js';
import * as pf from './pf2010/async-pf.js';
import { pf2010GuestCpuInit } from './pf2010/guest.js';
import { createPf2010State } from './pf2010/state.js';
import { ApfGuestMemory } from './guest-memory.js';
import { createX86State, type X86VmPlace } from './state.js';
import { createX86VeState, raiseVe, VE_INFO_ENABLE, veRaised, MSR_KVM_LAB_VE_INFO, type X86VeVcpuState } from './ve.js';
import { x86CodeLayout } from './code-layout.js';

/**
 * The x86 mechanism catalogue: per dimension, the mechanisms an x86 host and guest can use, each
 * with its line for `show` and its part of the backend (arches/spec.ts). The host state a
 * mechanism reads is set up by the enable channel, so the rules below tie each mechanism to the
 * channels that register what it reads (the 5.8 area with DELIVERY_AS_INT, or the 2010 area).
 */

/** Where each vCPU's 64-byte area sits in guest memory (per-CPU, 64-byte aligned, as `apf_reason`). */
const AREA_BASE = 0x100000n;
/** The 2010 per-CPU areas: 68 bytes each, 64-byte aligned (`apf_reason` is __aligned(64)), so 128 apart. */
const AREA_STRIDE_2010 = 128n;
/** Where each vCPU's 4 KiB #VE information page sits (after the async-PF areas); a scenario's guest holds them all (core/scenario/bounds.ts). */
const VE_INFO_BASE = 0x180000n;

const pfHandler = (env: FragmentEnv) => ({ pfHandlerNs: env.ns(env.ctx.costOverrides.guestPfHandlerCycles) });

type CreateState<S> = (id: number, knobs: Readonly<Record<string, number>>, place: X86VmPlace) => S;

/**
 * The vCPU states of one VM: one guest memory for all of them (arches/x86/guest-memory.ts), each
 * CPU's `apf_reason` `stride` bytes after the previous one's.
 */
function vmStates<S>(create: CreateState<S>, knobs: Readonly<Record<string, number>>, stride = 64n): (id: number) => S {
  const memory = new ApfGuestMemory();
  return (id) => create(id, knobs, { memory, apfReasonGpa: AREA_BASE + BigInt(id) * stride });
}

/** kvm_guest_cpu_init() as Linux 5.8+ does it: MSR_KVM_ASYNC_PF_INT, then _EN (facts/x86.md §3). */
function x86GuestInit(env: FragmentEnv): (v: KvmVcpu<any>) => void {
  const c = env.ctx.costOverrides;
  const { knobs } = env.ctx;
  return (v) =>
    kvmGuestCpuInit(v, {
      vector: knobs.vector,
      pfHandlerNs: env.ns(c.guestPfHandlerCycles),
      irqHandlerNs: env.ns(c.guestIrqHandlerCycles),
      eoi: x86GuestEoi(knobs),
    });
}

/**
 * The MSR writes kvm_guest_cpu_offline() makes before EN = 0, interrupts off: steal time (QEMU's
 * kvm-steal-time is on by default: assumed) and PV EOI where the `pvEoi` knob has it (arch/x86/kernel/kvm.c).
 */
function offlineWindow(env: FragmentEnv): { exits: number; irqsMasked: boolean } {
  return { exits: 1 + (env.ctx.knobs.pvEoi === 1 ? 1 : 0), irqsMasked: true };
}

/** A knob that is on (1) or off (0), nothing else. */
function checkFlag(knobs: Readonly<Record<string, number>>, name: string): void {
  const value = knobs[name];
  if (value !== 0 && value !== 1) throw new BadInputError(`scenario arch.x86.${name}: ${value} is not 0 or 1`);
}

const enable: Catalogue['enable'] = {
  ...NO_APF_MECHANISMS.enable,
  'msr-pv-en-int': {
    text: 'MSR_KVM_ASYNC_PF_INT then MSR_KVM_ASYNC_PF_EN',
    fragment: (env) => ({
      createVcpuState: vmStates(createX86State, env.ctx.knobs),
      guestInit: x86GuestInit(env),
      guestCall: x86GuestCall(env.ctx.guestMemoryBytes),
      vcpuMigrated: (v) => x86VcpuMigrated(v, env.ctx.guestMemoryBytes),
      guestCpuOffline: x86GuestCpuOffline,
      vcpuReset: x86VcpuReset,
      // kvm_cpu_online() → kvm_guest_cpu_init(), as at boot.
      guestCpuOnline: x86GuestInit(env),
      caps: { offlineWindow: offlineWindow(env) },
    }),
  },
  'no-guest-enable': {
    text: 'none: the guest never writes MSR_KVM_ASYNC_PF_EN',
    // The x86 host as it is; only the guest's enable sequence is missing.
    fragment: (env) => ({
      createVcpuState: vmStates(createX86State, env.ctx.knobs),
      guestInit: () => {},
      guestCall: x86GuestCall(env.ctx.guestMemoryBytes),
      vcpuMigrated: (v) => x86VcpuMigrated(v, env.ctx.guestMemoryBytes),
      guestCpuOffline: x86GuestCpuOffline,
      vcpuReset: x86VcpuReset,
    }),
  },
  'msr-pv-en-int-ve': {
    text: 'x86 (MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_EN) + lab MSR 0x4b564dfe = #VE information page | 1',
    fragment: (env) => {
      const init = x86GuestInit(env);
      // The x86 guest, then the #VE page; a refused MSR leaves #VE off and the guest is plain x86.
      const guestInit = (v: KvmVcpu<X86VeVcpuState>) => {
        init(v);
        const value = VE_INFO_BASE + BigInt(v.id) * 4096n;
        if (value + 4096n > BigInt(env.ctx.guestMemoryBytes)) return;
        v.guest.call({ kind: 'wrmsr', index: MSR_KVM_LAB_VE_INFO, value: value | VE_INFO_ENABLE });
      };
      return {
        createVcpuState: vmStates(createX86VeState, env.ctx.knobs),
        guestInit,
        guestCall: veGuestCall(env.ctx.guestMemoryBytes),
        vcpuMigrated: (v) => x86VcpuMigrated(v, env.ctx.guestMemoryBytes),
        guestCpuOffline: x86GuestCpuOffline,
        vcpuReset: x86VcpuReset,
        // The #VE page stays registered while the CPU is down (a lab design: assumed), and is written again.
        guestCpuOnline: guestInit,
        caps: { offlineWindow: offlineWindow(env) },
      };
    },
  },
  'msr-pv-en-2010': {
    text: 'MSR_KVM_ASYNC_PF_EN = GPA | ENABLED (bits 5:1 reserved; SEND_ALWAYS with fc5f06fac6fb); no INT, no ACK MSR',
    /**
     * 1 = the host has fc5f06fac6fb ("send in kernel too": SEND_ALWAYS, mask 0x3c) and the guest,
     * built with CONFIG_PREEMPT, sets it; 0 = the first version, 7c90705bf2a3 (mask 0x3e, user only).
     */
    knobs: { sendAlways: 0 },
    fragment: (env) => {
      checkFlag(env.knobs, 'sendAlways');
      return {
        createVcpuState: vmStates(createPf2010State, env.knobs, AREA_STRIDE_2010),
        guestInit: pf2010GuestCpuInit,
        guestCall: pf2010GuestCall(env.ctx.guestMemoryBytes),
        vcpuMigrated: (v) => pf2010VcpuMigrated(v, env.ctx.guestMemoryBytes),
        guestCpuOffline: pf2010GuestCpuOffline,
        vcpuReset: pf2010VcpuReset,
        guestCpuOnline: pf2010GuestCpuInit,
      };
    },
  },
};

/** kvm_arch_async_page_not_present() of 5.8: `flags = 1` and #PF with CR2 = token. */
const pfCr2 = (env: FragmentEnv): BackendFragment => {
  const cfg = pfHandler(env);
  return { asyncPageNotPresent: (v, w) => apf.asyncPageNotPresent(v, w, cfg) };
};

const notPresent: Catalogue['notPresent'] = {
  ...NO_APF_MECHANISMS.notPresent,
  'pf-cr2': { text: '#PF vector 14, error code 0, token in CR2, flags in shared area', fragment: pfCr2 },
  'synthetic-halt': {
    text: 'none: synthetic halt (KVM_REQ_APF_HALT), host only',
    // Nothing is injected: core halts the vCPU (KVM_REQ_APF_HALT) when this says "not injected".
    fragment: () => ({ asyncPageNotPresent: () => false }),
  },
  've-hypercall': {
    text: '#VE (vector 20) raised by the CPU, no exit, user mode only; GPA in the #VE information area; guest VMCALL 0x1000 (lab) returns the token',
    fragment: (env) => {
      // The #VE handler does what the async #PF handler does (read a shared area, queue a sleeper).
      const handlerNs = env.ns(env.ctx.costOverrides.guestPfHandlerCycles);
      return {
        ...pfCr2(env),
        faultInGuest: (v: KvmVcpu<X86VeVcpuState>, gfn: number) => {
          if (!veRaised(v)) return false;
          raiseVe(v, gfn, handlerNs);
          return true;
        },
      };
    },
  },
  'pf-cr2-2010': {
    text: '#PF vector 14, error code 0, token in CR2, reason = 1 in {u32 reason; u8 pad[60]; u32 enabled}',
    fragment: (env) => {
      const guest = pfHandler(env);
      return { asyncPageNotPresent: (v, w) => pf.asyncPageNotPresent(v, w, guest) };
    },
  },
};

/** Page-ready as 5.8 sends it: the token slot and a fixed interrupt; the slot frees on ACK. */
const apicVector = (): BackendFragment => ({
  asyncPagePresentQueued: apf.asyncPagePresentQueued,
  canDequeueAsyncPagePresent: apf.canDequeueAsyncPagePresent,
  asyncPageReady: apf.asyncPageReady,
  asyncPagePresent: apf.asyncPagePresent,
  // A pending interrupt with IF=1 is injected at VM entry, before the guest's first instruction.
  caps: { readyOnlyIfNotPresentInjected: true, irqVsRefault: null },
});

const ready: Catalogue['ready'] = {
  ...NO_APF_MECHANISMS.ready,
  'apic-vector': { text: 'fixed interrupt on the programmed vector, token in shared area', fragment: apicVector },
  'apic-vector-as-x86': { text: 'fixed interrupt on the programmed vector, token in shared area (as x86)', fragment: apicVector },
  'halt-cleared': { text: 'none: the halt is cleared when the page is in (kvm_arch_async_page_present())', fragment: apicVector },
  'pf-cr2-2010': {
    text: '#PF vector 14, token in CR2, reason = 2 — even for a fault never announced; no kick: a running vCPU takes it at its next entry',
    /**
     * 0 = as 2.6.38: a completion wakes a blocked vCPU and leaves a running one alone until its
     * next entry (af585b921e5d async_pf_execute()); 1 = kick it, as PROTOCOLS.md §4.2 counts.
     */
    knobs: { kickOnCompletion: 0 },
    fragment: (env) => {
      checkFlag(env.knobs, 'kickOnCompletion');
      const kick = env.knobs.kickOnCompletion === 1;
      const guest = pfHandler(env);
      return {
        asyncPagePresentQueued: (v) => pf.asyncPagePresentQueued(v, kick),
        canDequeueAsyncPagePresent: pf.canDequeueAsyncPagePresent,
        asyncPageReady: pf.asyncPageReady,
        asyncPagePresent: (v, w) => pf.asyncPagePresent(v, w, guest),
        // 2.6.38 sent page-ready regardless of not-present (facts/x86.md §6 "Dummy-entry leak");
        // both signals are exceptions injected at entry: no pending interrupt to race the re-fault.
        caps: { readyOnlyIfNotPresentInjected: false, irqVsRefault: null },
      };
    },
  },
};

const token: Catalogue['token'] = {
  ...NO_APF_MECHANISMS.token,
  cr2: { text: '(id++ << 12) | vcpu_id, never 0', fragment: () => ({ setupAsyncPf: apf.setupAsyncPf }) },
  'host-only': { text: '(id++ << 12) | vcpu_id, host-side only', fragment: () => ({ setupAsyncPf: apf.setupAsyncPf }) },
  'hypercall-rax': { text: '(id++ << 12) | vcpu_id, never 0, returned in rax', fragment: () => ({ setupAsyncPf: apf.setupAsyncPf }) },
  'cr2-unguarded': { text: '(id++ << 12) | vcpu_id, no zero guard', fragment: () => ({ setupAsyncPf: pf.setupAsyncPf }) },
};

/** kvm_can_do_async_pf() / kvm_can_deliver_async_pf() of 5.8+; an undelivered fault halts. */
const x86Eligibility = (): BackendFragment => ({
  canDoAsyncPf: apf.canDoAsyncPf,
  canDeliverAsyncPf: apf.canDeliverAsyncPf,
  caps: { undeliveredWait: 'halt', forbiddenNotPresent: ['kernel-mode', 'irqs-masked'] },
});

const eligibility: Catalogue['eligibility'] = {
  ...NO_APF_MECHANISMS.eligibility,
  'user-mode-if': { text: 'IF=1 to start; CPL≠0 to deliver, else halt', fragment: x86Eligibility },
  'if-halt': { text: 'IF=1 → async work and halt; IF=0 → synchronous', fragment: x86Eligibility },
  've-user-mode': {
    text: '#VE from user mode with IF=1; a kernel-mode fault exits and follows x86 (halt, or synchronous with IF=0)',
    fragment: x86Eligibility,
  },
  'user-mode-if-2010': {
    text: 'IF=1 and no event to re-inject to start; CPL≠0 to deliver (unless SEND_ALWAYS), else halt; ready only with IF=1',
    fragment: (env) => ({
      canDoAsyncPf: pf.canDoAsyncPf,
      canDeliverAsyncPf: pf.canDeliverAsyncPf,
      caps: {
        undeliveredWait: 'halt',
        // A failed `reason` write: neither #PF nor halt in 2010 (seed 001 kvm_arch_async_page_not_present()).
        notInjectedWait: 'retry',
        forbiddenNotPresent: env.knobs.sendAlways === 1 ? ['irqs-masked'] : ['kernel-mode', 'irqs-masked'],
      },
    }),
  },
};

/** kvm_async_pf_task_wake(): a dummy on an early wake, removed by a second wake (facts/x86.md §3, §2a). */
const x86Wake = (): BackendFragment => ({ caps: { guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false } } });

const wake: Catalogue['wake'] = {
  ...NO_APF_MECHANISMS.wake,
  'irq-handler': { text: 'immediate wake in the IRQ handler; dummy if the wake comes first', fragment: x86Wake },
  'halt-interrupts': {
    text: 'guest interrupts (ticks, IPIs) wake the halted vCPU; the re-executed access faults again (repeated fault) and halts',
    fragment: x86Wake,
  },
  've-handler': { text: 'the #VE handler sleeps the task; immediate wake in the IRQ handler; dummy if the wake comes first', fragment: x86Wake },
  'pf-handler-2010': { text: 'immediate wake in the #PF handler; dummy if the wake comes first (leaks when not-present never came)', fragment: x86Wake },
};

const ack: Catalogue['ack'] = {
  ...NO_APF_MECHANISMS.ack,
  'apic-vector-ack-msr': { text: 'MSR_KVM_ASYNC_PF_ACK write; one page-ready outstanding', fragment: () => ({ caps: { ackRequired: true } }) },
};

export const X86_CATALOGUE: Catalogue = { enable, notPresent, ready, token, eligibility, wake, ack };

/** The enable channels that register the 5.8 area (`flags`, `token`) and the host state the 5.8 hooks read. */
const ENABLES_58 = ['msr-pv-en-int', 'no-guest-enable', 'msr-pv-en-int-ve'];
const WHY_58 = 'reads the 5.8 host state (the 64-byte area with its token slot, MSR_KVM_ASYNC_PF_EN with DELIVERY_AS_INT), which only the 5.8 enable channels set up';
const WHY_2010 = 'reads the 2010 area {u32 reason; pad[60]; u32 enabled}, which only the 2010 MSR_KVM_ASYNC_PF_EN registers';

/** What cannot go together on x86, and why (facts/x86.md §1–§3, PROTOCOLS.md §4.1–§4.4). */
export const X86_RULES: readonly CompatibilityRule[] = [
  // Where the token travels: CR2 exists only for a #PF; the #VE design's token comes back from its hypercall.
  { dimension: 'token', ids: ['cr2', 'cr2-unguarded'], requires: { dimension: 'notPresent', ids: ['pf-cr2', 'pf-cr2-2010'] }, reason: 'CR2 carries the token only with a #PF' },
  { dimension: 'notPresent', ids: ['pf-cr2', 'pf-cr2-2010'], requires: { dimension: 'token', ids: ['cr2', 'cr2-unguarded'] }, reason: 'the guest\'s #PF handler reads the token from CR2' },
  { dimension: 'token', ids: ['hypercall-rax'], requires: { dimension: 'notPresent', ids: ['ve-hypercall'] }, reason: 'only the #VE design\'s fetch hypercall returns a token in rax' },
  { dimension: 'notPresent', ids: ['ve-hypercall'], requires: { dimension: 'token', ids: ['hypercall-rax'] }, reason: 'a #VE raised by the CPU carries no token: the guest gets it back from its fetch hypercall' },
  { dimension: 'token', ids: ['host-only'], requires: { dimension: 'notPresent', ids: ['synthetic-halt'] }, reason: 'a token kept in the host is one the guest is never told' },
  { dimension: 'notPresent', ids: ['synthetic-halt'], requires: { dimension: 'token', ids: ['host-only'] }, reason: 'the synthetic halt tells the guest nothing, so its token stays in the host' },
  // What each mechanism reads was set up by one enable channel.
  { dimension: 'notPresent', ids: ['pf-cr2'], requires: { dimension: 'enable', ids: ENABLES_58 }, reason: `the 5.8 #PF path ${WHY_58}` },
  { dimension: 'notPresent', ids: ['ve-hypercall'], requires: { dimension: 'enable', ids: ['msr-pv-en-int-ve'] }, reason: 'the CPU raises #VE only once the guest has registered its #VE information page (lab MSR 0x4b564dfe)' },
  { dimension: 'notPresent', ids: ['pf-cr2-2010'], requires: { dimension: 'enable', ids: ['msr-pv-en-2010'] }, reason: `the 2010 #PF path ${WHY_2010}` },
  { dimension: 'ready', ids: ['apic-vector', 'apic-vector-as-x86', 'halt-cleared'], requires: { dimension: 'enable', ids: ENABLES_58 }, reason: `the page-ready interrupt goes to the vector programmed in MSR_KVM_ASYNC_PF_INT and ${WHY_58}` },
  { dimension: 'ready', ids: ['pf-cr2-2010'], requires: { dimension: 'enable', ids: ['msr-pv-en-2010'] }, reason: `the 2010 page-ready #PF ${WHY_2010}` },
  { dimension: 'eligibility', ids: ['user-mode-if', 'if-halt', 've-user-mode'], requires: { dimension: 'enable', ids: ENABLES_58 }, reason: `kvm_can_deliver_async_pf() of 5.8 ${WHY_58}` },
  { dimension: 'eligibility', ids: ['user-mode-if-2010'], requires: { dimension: 'enable', ids: ['msr-pv-en-2010'] }, reason: `the 2010 checks (send_user_only) ${WHY_2010}` },
  // The ACK protocol acknowledges an interrupt; the 5.8 page-ready waits for it.
  { dimension: 'ack', ids: ['apic-vector-ack-msr'], requires: { dimension: 'ready', ids: ['apic-vector', 'apic-vector-as-x86', 'halt-cleared'] }, reason: 'MSR_KVM_ASYNC_PF_ACK acknowledges a page-ready interrupt, and there is none' },
  { dimension: 'ready', ids: ['apic-vector', 'apic-vector-as-x86'], requires: { dimension: 'ack', ids: ['apic-vector-ack-msr'] }, reason: 'the host sends the next page-ready only after the guest\'s MSR_KVM_ASYNC_PF_ACK' },
  // Mechanisms that name what one design does with another's code: each only with its own design,
  // else a variant would be shown as one mechanism and run as another (hostile test, stop 17).
  ...pairedWith('notPresent', 'synthetic-halt', [
    ['enable', 'no-guest-enable', 'the halt is the host\'s answer to a guest that never enabled async PF; a guest that enabled it is told by #PF'],
    ['ready', 'halt-cleared', 'the halt is cleared only where the not-present was a synthetic halt; a guest told of a not-present waits for a page-ready'],
    ['wake', 'halt-interrupts', 'only a synthetic halt leaves the guest to wake by its interrupts and fault again'],
    ['eligibility', 'if-halt', 'IF=1 → async work and halt is the synthetic halt\'s own rule'],
  ]),
  ...pairedWith('notPresent', 've-hypercall', [
    ['wake', 've-handler', 'the #VE handler sleeps the task only where the CPU raises #VE'],
    ['eligibility', 've-user-mode', '#VE from user mode is the #VE design\'s own rule'],
  ]),
  ...pairedWith('ready', 'pf-cr2-2010', [['wake', 'pf-handler-2010', 'the 2010 guest wakes in its #PF handler, where its page-ready #PF arrives']]),
  { dimension: 'wake', ids: ['irq-handler', 've-handler'], requires: { dimension: 'ready', ids: ['apic-vector', 'apic-vector-as-x86'] }, reason: 'the wake runs in the page-ready interrupt\'s handler, and there is no page-ready interrupt' },
  // Last: a no-APF pick among APF ones is more often a slip than the point.
  ...NO_APF_RULES,
];

/**
 * Rules both ways between `id` of `dimension` and mechanisms that belong to it: each requires the
 * other (a mechanism of the design without it is the design's own, shown but never run).
 */
function pairedWith(dimension: Dimension, id: string, partners: readonly (readonly [Dimension, string, string])[]): CompatibilityRule[] {
  return partners.flatMap(([d, partner, reason]) => [
    { dimension: d, ids: [partner], requires: { dimension, ids: [id] }, reason },
    { dimension, ids: [id], requires: { dimension: d, ids: [partner] }, reason },
  ]);
}

/** The x86 architecture as every x86 variant sees it. */
export const X86_ARCH: ArchDefinition = {
  arch: 'x86',
  costs: X86_COSTS,
  costKeys: X86_COST_KEYS,
  exitNames: X86_EXIT_NAMES,
  knobs: X86_KNOBS,
  checkKnobs: checkX86Knobs,
  asyncPfPerVcpu: ASYNC_PF_PER_VCPU,
  // The local APIC serves the highest pending vector first.
  irqOrder: 'highest-first',
  // kvm_vcpu_has_events() (Linux 6.12 arch/x86/kvm/x86.c) and 2010's kvm_arch_vcpu_runnable() test the done list.
  apfRunnable: (v) => v.doneHead !== null,
  ipi: x86IpiCaps,
  eoiExit: x86EoiExit,
  codeLayout: x86CodeLayout,
  noApfGuestCall: (_v, call) => noApfGuestCall(call),
  catalogue: X86_CATALOGUE,
  rules: X86_RULES,
  missing: {
    sdei: 'x86 has no SDEI: the NMI-like channel there is the NMI, which KVM does not use for async PF',
    ppi: 'x86 has no GIC PPI: a per-CPU interrupt is a local APIC vector (apic-vector)',
    smccc: 'x86 has no SMCCC: the guest calls the host by MSR write or VMCALL',
    s2: 'x86 cannot reflect an EPT violation to the guest; the nearest is #VE (ve-hypercall)',
    'shared-memory': 'an x86 not-present is a #PF whose token is in CR2 (the shared area holds only the page-ready token): use cr2',
    'hypercall-x1': 'x86 returns a hypercall result in rax (hypercall-rax)',
    'irq-ack': 'x86 acknowledges a page-ready by MSR_KVM_ASYNC_PF_ACK (apic-vector-ack-msr)',
    'tif-': 'the x86 guest sleeps the task in its #PF handler, not at return to user',
  },
};
