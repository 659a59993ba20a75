import type { Arm64VmPlace } from '../control-block.js';
import { createArm64State, type Arm64VcpuState } from '../state.js';

/**
 * Per-vCPU state of `arm64-pvvec`: v4's (the control block that carries page-ready, the PPI, the
 * token allocator; arches/arm64/state.ts) and the PV vector the guest registered — its entry, its
 * save area's GPA, and the save area itself (lab-defined layout, arches/arm64/pvvec/abi.ts).
 */
export interface PvSaveArea {
  /**
   * The guest's mask flag: non-zero while its PV entry code has not consumed the area, or while it
   * runs other code that must not be interrupted by the vector. The host delivers only while it is 0.
   */
  mask: number;
  /** 1 (page not present) while a delivery waits to be consumed; the guest clears it. */
  reason: number;
  token: number;
  /**
   * The interrupted PC, saved here instead of ELR_EL1: the offset from VBAR_EL1 in exception code,
   * null in code the lab does not lay out (user code).
   */
  pc: number | null;
  /** The interrupted PSTATE, saved here instead of SPSR_EL1 (mode and PSTATE.I only). */
  pstate: number;
}

export type PvvecVcpuState = Arm64VcpuState & {
  readonly pv: {
    /** The registered PV entry point (a guest kernel VA); 0 until registered. */
    entry: bigint;
    areaGpa: bigint | null;
    readonly area: PvSaveArea;
    /** The guest's own counts: PV entries taken, and entries it could not make sense of. */
    readonly guest: { entries: number; warnings: number };
  };
};

export function createPvvecState(vcpuId: number, knobs: Readonly<Record<string, number>>, place: Arm64VmPlace): PvvecVcpuState {
  return {
    ...createArm64State(vcpuId, knobs, place),
    pv: { entry: 0n, areaGpa: null, area: { mask: 0, reason: 0, token: 0, pc: null, pstate: 0 }, guest: { entries: 0, warnings: 0 } },
  };
}
