/**
 * Shared arrange steps for the arm64-sdei backend tests: a booted protocol harness and small
 * readers for SMCCC answers and exit counts. Public API only (index.ts).
 */
import {
  arm64Abi,
  arm64SdeiVariant,
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  type Arm64VcpuState,
  type GuestCallResult,
  type HarnessOptions,
} from '../../../index.js';

export type H = Harness<Arm64VcpuState>;

export const APF_FN = arm64Abi.ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID;
/** Host-missing gfns of the harness machine. */
export const GFN_A = HARNESS_FIRST_MISSING_GFN;
export const GFN_B = HARNESS_FIRST_MISSING_GFN + 1;
/** The async-PF control block address the tests enable with (inside the 64 MiB guest). */
export const AREA_GPA = 0x200000n;

export function harness(options: HarnessOptions = {}): H {
  return new Harness<Arm64VcpuState>(arm64SdeiVariant, options);
}

/**
 * A booted guest whose boot-time wake-all (queued by ENABLE) has been delivered and
 * acknowledged, so the control block is free and no page-ready is pending.
 */
export function readyHarness(options: HarnessOptions = {}): H {
  const h = harness(options);
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  return h;
}

/** The registers of an SMCCC answer; fails the test on an exception instead. */
export function regs(r: GuestCallResult): readonly bigint[] {
  if (r.kind !== 'ok') throw new Error(`expected an SMCCC answer, got a ${r.vector} fault`);
  return r.regs;
}

export function hvc(h: H, fn: number, ...args: bigint[]): readonly bigint[] {
  return regs(h.call({ kind: 'hvc', fn, args }));
}

/** The async-PF function 0x86000002 with sub-function `sub` in x1. */
export function apf(h: H, sub: number, ...args: bigint[]): readonly bigint[] {
  return hvc(h, APF_FN, BigInt(sub), ...args);
}

/** ENABLE with a 64-bit value split over x2 (low 32 bits) and x3 (high 32 bits). */
export function apfEnable(h: H, value: bigint): bigint {
  return apf(h, arm64Abi.ASYNC_PF_ENABLE, value & 0xffffffffn, value >> 32n)[0];
}

export function exitCount(h: H, name: string): number {
  return h.exits()[name] ?? 0;
}

/** The token the host allocated for an outstanding fault on `gfn` of vCPU `i`. */
export function tokenOf(h: H, gfn: number, i = 0): number {
  const work = h.vcpu(i).apf.gfns.get(gfn);
  if (!work) throw new Error(`no outstanding work for gfn ${gfn}`);
  return work.token;
}

/**
 * A booted guest that re-enabled APF with SEND_ALWAYS (kernel-mode not-presents allowed, which
 * the Linux guest never sets): disable, enable again at its own `apf_data` (the block its handlers
 * read), and take the wake-all that enable queues.
 */
export function sendAlwaysHarness(options: HarnessOptions = {}): H {
  const h = readyHarness(options);
  if (apfEnable(h, 0n) !== arm64Abi.SMCCC_RET_SUCCESS) throw new Error('disable refused');
  const value = h.vcpu().state.guest.apfDataGpa | arm64Abi.KVM_ASYNC_PF_SEND_ALWAYS | arm64Abi.KVM_ASYNC_PF_ENABLED;
  if (apfEnable(h, value) !== arm64Abi.SMCCC_RET_SUCCESS) throw new Error('ENABLE with SEND_ALWAYS refused');
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  return h;
}

/** What the block readers need of an arm64 state (v4's and RFCv1/RFCv2's alike). */
interface BlockState {
  readonly memory: { read32(gpa: bigint): number; write32(gpa: bigint, value: number): void };
  readonly areaGpa: bigint | null;
}

/**
 * The `reason` and `token` words of a control block in the VM's guest memory
 * (arches/arm64/control-block.ts): by default where the host reads and writes, at the GPA of its
 * last successful enable.
 */
export function blockAt(s: BlockState, gpa: bigint | null = s.areaGpa): { reason: number; token: number } {
  if (gpa === null) throw new Error('blockAt: the host has no block (no successful enable)');
  return { reason: s.memory.read32(gpa), token: s.memory.read32(gpa + 4n) };
}

/** Write words of the host's block directly, as a guest (or a test) that scribbles on it would. */
export function setBlock(s: BlockState, words: { reason?: number; token?: number }, gpa: bigint | null = s.areaGpa): void {
  if (gpa === null) throw new Error('setBlock: the host has no block (no successful enable)');
  if (words.reason !== undefined) s.memory.write32(gpa, words.reason);
  if (words.token !== undefined) s.memory.write32(gpa + 4n, words.token);
}
