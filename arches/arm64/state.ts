import type { ApfGuestMemory } from '../guest-memory.js';
import type { Arm64VmPlace } from './control-block.js';
import type { SdeiVcpuState } from './sdei.js';
import { createSdeiState } from './sdei.js';

/**
 * Per-vCPU arm64 async-PF state of the SDEI design: the host's `vcpu->arch.apf` (v4), the guest
 * memory its control blocks `{u32 reason @0; u32 token @4; u8 pad[56]; u32 enabled}` live in, the
 * virtual SDEI dispatcher, and the guest's private bookkeeping. The host reaches a block at
 * `areaGpa`, the guest at `guest.apfDataGpa` (arches/arm64/control-block.ts).
 */
export interface Arm64VcpuState {
  readonly vcpuId: number;
  /** `vcpu->arch.apf` exists (the VMM enabled the capability) and the irqchip is in the kernel. */
  readonly apfAllocated: boolean;
  readonly irqchipInKernel: boolean;
  /** Numbers the VMM set per vCPU with KVM_ARM_ASYNC_PF_CMD_SET_SDEI / _SET_IRQ (0 = unset). */
  readonly vmm: { readonly sdeiNum: number; readonly irq: number };
  controlBlock: bigint;
  enabled: boolean;
  sendAlways: boolean;
  /**
   * The block's GPA while apf->cache is valid (the last successful ENABLE); null before it and
   * after a disable. The host reads and writes the block here, whatever the guest's own is.
   */
  areaGpa: bigint | null;
  /** The VM's guest memory as the async-PF blocks use it, shared with the other vCPUs. */
  readonly memory: ApfGuestMemory;
  /** apf->id: a u16 in v4, feeding `(id++ << 12) | vcpu_id` (no zero-token guard on arm64). */
  id: number;
  notpresentPending: boolean;
  notpresentToken: number;
  pagereadyPending: boolean;
  readonly sdei: SdeiVcpuState;
  readonly guest: {
    /** The GPA of this CPU's `apf_data` (per-CPU, __aligned(64)): where its enable points and its handlers read. */
    readonly apfDataGpa: bigint;
    enabled: boolean;
    /**
     * The guest's CPU-hotplug callbacks are registered: kvm_async_pf_init() calls
     * cpuhp_setup_state_nocalls() once discovery and the SDEI/PPI setup succeeded, before the
     * per-CPU enable (arches/arm64/hotplug.ts).
     */
    hotplugCallbacks: boolean;
    slots: number;
    sdeiNum: number;
    ppi: number;
    warnings: number;
  };
}

export function createArm64State(vcpuId: number, knobs: Readonly<Record<string, number>>, place: Arm64VmPlace): Arm64VcpuState {
  return {
    vcpuId,
    apfAllocated: knobs.apfCapability !== 0,
    irqchipInKernel: knobs.irqchipInKernel !== 0,
    vmm: { sdeiNum: knobs.sdeiEvent, irq: knobs.ppi },
    controlBlock: 0n,
    enabled: false,
    sendAlways: false,
    areaGpa: null,
    memory: place.memory,
    id: 0,
    notpresentPending: false,
    notpresentToken: 0,
    pagereadyPending: false,
    sdei: createSdeiState(),
    guest: { apfDataGpa: place.apfDataGpa, enabled: false, hotplugCallbacks: false, slots: 0, sdeiNum: 0, ppi: 0, warnings: 0 },
  };
}
