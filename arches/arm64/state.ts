import type { SdeiVcpuState } from './sdei.js';
import { createSdeiState } from './sdei.js';

/**
 * Per-vCPU arm64 async-PF state of the SDEI design: the host's `vcpu->arch.apf` (v4), the shared
 * control block `{u32 reason @0; u32 token @4; u8 pad[56]; u32 enabled}` in guest memory, the
 * virtual SDEI dispatcher, and the guest's private bookkeeping.
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
  areaGpa: bigint | null;
  readonly area: { reason: number; token: number };
  /** apf->id: a u16 in v4, feeding `(id++ << 12) | vcpu_id` (no zero-token guard on arm64). */
  id: number;
  notpresentPending: boolean;
  notpresentToken: number;
  pagereadyPending: boolean;
  readonly sdei: SdeiVcpuState;
  readonly guest: { enabled: boolean; slots: number; sdeiNum: number; ppi: number; warnings: number };
}

export function createArm64State(vcpuId: number, knobs: Readonly<Record<string, number>>): Arm64VcpuState {
  return {
    vcpuId,
    apfAllocated: knobs.apfCapability !== 0,
    irqchipInKernel: knobs.irqchipInKernel !== 0,
    vmm: { sdeiNum: knobs.sdeiEvent, irq: knobs.ppi },
    controlBlock: 0n,
    enabled: false,
    sendAlways: false,
    areaGpa: null,
    area: { reason: 0, token: 0 },
    id: 0,
    notpresentPending: false,
    notpresentToken: 0,
    pagereadyPending: false,
    sdei: createSdeiState(),
    guest: { enabled: false, slots: 0, sdeiNum: 0, ppi: 0, warnings: 0 },
  };
}
