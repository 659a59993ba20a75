import type { KvmVcpu } from '../../../core/backend.js';
import type { BackendFragment, CompatibilityRule, FragmentEnv, Mechanism } from '../../spec.js';
import * as apf from '../async-pf.js';
import { v4GuestCall } from '../guest-calls.js';
import { vmPlaces } from '../control-block.js';
import { v4HotplugFragment } from '../hotplug.js';
import { v4VcpuMigrated } from '../migration.js';
import { pvvecGuestCall } from './abi.js';
import { PV_ENTRY_VA, pvEntry, pvvecGuestInit, type PvvecGuestConfig } from './guest.js';
import * as host from './host.js';
import { createPvvecState, type PvvecVcpuState } from './state.js';

/**
 * The arm64 catalogue's entries for `arm64-pvvec`, Paolo Bonzini's paravirtual exception vector
 * without ESR (2020-06-01, 5c72c597-732e-7dbf-d056-665674ec1792@redhat.com; PROTOCOLS.md §4.9):
 * the registration of a PV entry and save area, the delivery through it, the token in the area,
 * the guest's mask, and the handler that sleeps the task. Page-ready reuses v4's PPI and IRQ_ACK
 * (`ppi-level-as-sdei`, `irq-ack-hypercall` in arches/arm64/mechanisms.ts). Lab-defined throughout.
 */
type V = KvmVcpu<PvvecVcpuState>;

/** The save areas, one 64-byte slot per vCPU, away from v4's control blocks (APF_DATA_BASE, arches/arm64/control-block.ts). */
const SAVE_AREA_BASE = 0x140000n;

/** The PV entry code does what v4's SDEI handler does (read the area, one sleep-table insert). */
const pvHandlerNs = (env: FragmentEnv): number => env.ns(env.ctx.costOverrides.guestSdeiHandlerCycles);

function guestConfig(env: FragmentEnv): (vcpuId: number) => PvvecGuestConfig {
  const irqHandlerNs = env.ns(env.ctx.costOverrides.guestIrqHandlerCycles);
  const handlerNs = pvHandlerNs(env);
  return (vcpuId) => ({
    v4: { sdeiHandlerNs: 0, irqHandlerNs },
    saveAreaGpa: SAVE_AREA_BASE + BigInt(vcpuId) * 64n,
    entry: PV_ENTRY_VA,
    handlerNs,
  });
}

export const PVVEC_ENABLE: Readonly<Record<string, Mechanism>> = {
  'smccc-pvvec': {
    text: 'SMCCC 0xC6000041 (lab) registers a PV entry point and a save area; then v4\'s 0x86000002 VERSION, SLOTS, IRQ, ENABLE (no SDEI)',
    fragment: (env) => {
      const cfg = guestConfig(env);
      const place = vmPlaces();
      return {
        createVcpuState: (id) => createPvvecState(id, env.ctx.knobs, place(id)),
        guestInit: (v: V) => pvvecGuestInit(v, cfg(v.id)),
        guestCall: pvvecGuestCall(env.ctx.guestMemoryBytes, v4GuestCall(env.ctx.guestMemoryBytes, null)),
        vcpuMigrated: (v: V) => v4VcpuMigrated(v, env.ctx.guestMemoryBytes, false),
        // The PV entry point stays registered while the CPU is down (a lab design: assumed); v4's hotplug does the rest.
        ...v4HotplugFragment(false),
      };
    },
  },
};

export const PVVEC_NOT_PRESENT: Readonly<Record<string, Mechanism>> = {
  'pv-vector': {
    text: 'paravirtual exception vector: token, reason 1 and the interrupted PC/PSTATE in the save area (not ELR/SPSR/ESR), the guest entered at its PV entry',
    fragment: (env) => {
      const handlerNs = pvHandlerNs(env);
      // The entry is priced at the arm64 table's event injection (as an SDEI dispatch: save the
      // interrupted context, set the PC), its code at handlerNs.
      return { asyncPageNotPresent: (v: V, w) => host.asyncPageNotPresent(v, w, () => pvEntry(v, handlerNs)) };
    },
  },
};

export const PVVEC_TOKEN: Readonly<Record<string, Mechanism>> = {
  // v4's allocator (and its missing zero guard): the design changes the channel, not the token.
  'save-area': { text: '(id++ << 12) | vcpu_id, u16 id, in the PV save area', fragment: (): BackendFragment => ({ setupAsyncPf: apf.setupAsyncPf }) },
};

export const PVVEC_ELIGIBILITY: Readonly<Record<string, Mechanism>> = {
  'user-mode-pv-unmasked': {
    text: 'user mode, the guest\'s PV mask clear and not in exception entry code, save area free; else synchronous',
    fragment: () => ({
      canDoAsyncPf: host.pvNotPresentAllowed,
      canDeliverAsyncPf: host.pvNotPresentAllowed,
      // v4's host around it: a repeated fault re-enters and faults again (facts/arm64.md §1 v2–v4).
      caps: { undeliveredWait: 'retry', forbiddenNotPresent: ['kernel-mode', 'pv-masked'] },
      conditions: (v: V) => (v.state.pv.area.mask !== 0 ? ['pv-masked'] : []),
    }),
  },
};

export const PVVEC_WAKE: Readonly<Record<string, Mechanism>> = {
  // The entry code sleeps the task itself, as x86's #PF handler does: a wake that came first leaves a dummy.
  'pv-handler-sleeps': {
    text: 'the PV entry code sleeps the task on the token; woken from the PPI handler; dummy if the wake comes first',
    fragment: () => ({ caps: { guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false } } }),
  },
};

/** What cannot go together with the PV-vector mechanisms, and why. */
export const PVVEC_RULES: readonly CompatibilityRule[] = [
  { dimension: 'notPresent', ids: ['pv-vector'], requires: { dimension: 'token', ids: ['save-area'] }, reason: 'the PV vector carries nothing in registers: its token is in the save area' },
  { dimension: 'token', ids: ['save-area'], requires: { dimension: 'notPresent', ids: ['pv-vector'] }, reason: 'only the PV vector writes a save area' },
  { dimension: 'notPresent', ids: ['pv-vector'], requires: { dimension: 'enable', ids: ['smccc-pvvec'] }, reason: 'the host must know the guest\'s PV entry point and save area, which only the PV registration call gives it' },
  { dimension: 'notPresent', ids: ['pv-vector'], requires: { dimension: 'eligibility', ids: ['user-mode-pv-unmasked'] }, reason: 'the vector has no PSTATE mask of its own: only the gate that reads the guest\'s mask flag keeps it out of critical code' },
  { dimension: 'eligibility', ids: ['user-mode-pv-unmasked'], requires: { dimension: 'enable', ids: ['smccc-pvvec'] }, reason: 'the gate reads the save area the PV registration call sets up' },
  { dimension: 'wake', ids: ['pv-handler-sleeps'], requires: { dimension: 'notPresent', ids: ['pv-vector'] }, reason: 'the PV entry code is what sleeps the task' },
];
