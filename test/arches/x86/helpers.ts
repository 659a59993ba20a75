/**
 * Shared helpers for the x86 backend tests. Everything goes through the library's public API
 * (index.ts): the Harness, the x86 variant and its ABI constants.
 */
import {
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  runVariant,
  scenarioSchema,
  x86Abi,
  x86Variant,
  type GuestCallResult,
  type HarnessOptions,
  type RunResult,
  type Scenario,
  type X86VcpuState,
} from '../../../index.js';

export const { MSR_KVM_ASYNC_PF_EN, MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_ACK } = x86Abi;
export const ENABLED = x86Abi.KVM_ASYNC_PF_ENABLED;
export const SEND_ALWAYS = x86Abi.KVM_ASYNC_PF_SEND_ALWAYS;
export const AS_PF_VMEXIT = x86Abi.KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT;
export const AS_INT = x86Abi.KVM_ASYNC_PF_DELIVERY_AS_INT;

/** A 64-byte aligned guest physical address well inside the harness's 64 MiB of guest memory. */
export const AREA = 0x200000n;
export const GUEST_MEMORY_BYTES = 64n << 20n;

/** Host-missing gfns the tests fault on. */
export const G = HARNESS_FIRST_MISSING_GFN;

export const ACK_EXIT = 'MSR_WRITE(ASYNC_PF_ACK)';
export const EOI_EXIT = 'MSR_WRITE(X2APIC_EOI)';

export type H = Harness<X86VcpuState>;

export function harness(options: HarnessOptions = {}): H {
  return new Harness<X86VcpuState>(x86Variant, options);
}

/** A booted harness whose boot-time wake-all has been delivered and ACKed: a quiet start. */
export function booted(options: HarnessOptions = {}): H {
  const h = harness(options);
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  return h;
}

/** A booted harness whose vCPU 0 task faulted on G in user mode and sleeps on its token. */
export function bootedSleeper(options: HarnessOptions = {}) {
  const h = booted(options);
  const v = h.vcpu();
  const task = v.current!;
  h.fault(G);
  h.enter();
  return { h, v, task };
}

export function wrmsr(h: H, index: number, value: bigint, vcpu = 0): GuestCallResult {
  return h.call({ kind: 'wrmsr', index, value }, vcpu);
}

export function rdmsr(h: H, index: number, vcpu = 0): GuestCallResult {
  return h.call({ kind: 'rdmsr', index }, vcpu);
}

export const GP: GuestCallResult = { kind: 'fault', vector: '#GP' };

export function isGp(r: GuestCallResult): boolean {
  return r.kind === 'fault' && r.vector === '#GP';
}

/** The guest scheduler puts the next runnable task on vCPU `i` (after the current one slept). */
export function runNextTask(h: H, i = 0): void {
  const v = h.vcpu(i);
  const t = v.runq.pickNext();
  if (!t) throw new Error('runNextTask: no runnable task');
  t.state = 'running';
  v.current = t;
}

/** Exits of one name so far. */
export function exitCount(h: H, name: string): number {
  return h.exits()[name] ?? 0;
}

/** The token the host allocated for an outstanding gfn on vCPU `i`. */
export function tokenOf(h: H, gfn: number, i = 0): number {
  const w = h.vcpu(i).apf.gfns.get(gfn);
  if (!w) throw new Error(`tokenOf: gfn ${gfn} is not outstanding`);
  return w.token;
}

/**
 * A short whole run of the x86 variant: 1 vCPU, two tasks writing random pages of 16 MiB with
 * 4 MiB resident, 20 ms, with scenario `arch.x86` knobs and `costs.x86` overrides.
 */
export function shortRun(arch: Record<string, number> = {}, costs: Record<string, number> = {}): RunResult {
  return runVariant(shortScenario(arch, costs), x86Variant);
}

/** shortRun()'s scenario, with `moreTasks` (scenario task entries) beside its two writers. */
export function shortScenario(arch: Record<string, number> = {}, costs: Record<string, number> = {}, moreTasks: unknown[] = []): Scenario {
  return scenarioSchema.parse({
    name: 'x86-short',
    durationMs: 20,
    machine: { vcpus: 1, guestMemoryMiB: 16, hostResidentMiB: 4 },
    backing: { kind: 'swap', latency: { dist: 'fixed', us: 200 } },
    regions: [{ name: 'mem', mib: 16 }],
    tasks: [{ name: 't', count: 2, program: [{ touch: { region: 'mem', pattern: 'random', pages: 8 } }] }, ...moreTasks],
    arch: { x86: arch },
    costs: { x86: costs },
  });
}

/**
 * The guest programs INT, then EN with an area just past guest memory, so the host's hva-cache
 * init fails (#GP); the vCPU is left in user mode with interrupts on. Returns the EN value.
 */
export function enableOutsideGuestMemory(h: H): bigint {
  const bad = GUEST_MEMORY_BYTES | ENABLED | AS_INT;
  wrmsr(h, MSR_KVM_ASYNC_PF_INT, 0xecn);
  if (!isGp(wrmsr(h, MSR_KVM_ASYNC_PF_EN, bad))) throw new Error('enableOutsideGuestMemory: EN was not refused');
  h.setCpu({ privilege: 'user', irqsMasked: false });
  return bad;
}

/**
 * The `flags` and `token` words of a 5.8 area in the VM's guest memory (arches/x86/guest-memory.ts):
 * by default where the host reads and writes, at its last successful enable's GPA.
 */
export function areaAt(s: X86VcpuState, gpa: bigint | null = s.areaGpa): { flags: number; token: number } {
  if (gpa === null) throw new Error('areaAt: the host has no area (no successful enable)');
  return { flags: s.memory.read32(gpa), token: s.memory.read32(gpa + 4n) };
}
