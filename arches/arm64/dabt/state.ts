import type { ApfGuestMemory } from '../../guest-memory.js';
import type { Arm64VmPlace } from '../control-block.js';

/**
 * Per-vCPU state of the data-abort designs: the host's `vcpu->arch.apf` of RFCv1/RFCv2
 * (`control_block`, `id`, `send_user_only`, `no_fault_inst_range`), the guest memory its control
 * blocks `{u32 reason; u8 pad[60]; u32 enabled}` live in (the host's at `areaGpa`, the guest's at
 * `guest.apfDataGpa`: arches/arm64/control-block.ts), the exception registers the injected abort
 * writes, and the guest's own bookkeeping.
 */
export interface DabtVcpuState {
  readonly vcpuId: number;
  /** The host offers the feature (CONFIG_KVM_ASYNC_PF; the FEATURES bit in RFCv2). */
  readonly offered: boolean;
  controlBlock: bigint;
  enabled: boolean;
  sendUserOnly: boolean;
  noFaultInstRange: bigint;
  /** The control block's GPA of the last successful enable (kvm_gfn_to_hva_cache_init() succeeded); null before it. */
  areaGpa: bigint | null;
  /** The VM's guest memory as the control blocks use it, shared with the other vCPUs. */
  readonly memory: ApfGuestMemory;
  /** apf.id, a u16: `(id++ << 16) | vcpu_id`. */
  id: number;
  /** What the last injected abort wrote (inject_abt64(): FAR = token, ESR = EC | FSC). */
  readonly regs: { far: number; esr: number };
  readonly guest: {
    /** The GPA of this CPU's `apf_data`: where its enable points and do_async_pf() reads. */
    readonly apfDataGpa: bigint;
    enabled: boolean;
    range: bigint;
    unknownReason: number;
    sendAlways: boolean;
  };
}

export function createDabtState(vcpuId: number, knobs: Readonly<Record<string, number>>, defaultRange: bigint, place: Arm64VmPlace): DabtVcpuState {
  return {
    vcpuId,
    offered: knobs.apfCapability !== 0,
    controlBlock: 0n,
    enabled: false,
    sendUserOnly: true,
    noFaultInstRange: defaultRange,
    areaGpa: null,
    memory: place.memory,
    id: 0,
    regs: { far: 0, esr: 0 },
    guest: { apfDataGpa: place.apfDataGpa, enabled: false, range: 0n, unknownReason: 0, sendAlways: knobs.sendAlways === 1 },
  };
}
