import { describe, expect, it } from 'vitest';
import {
  findVariant,
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  runVariant,
  VARIANTS,
  x86Abi,
  x86Variant,
  x86VeAbi,
  x86VeVariant,
  type HarnessOptions,
  type RunResult,
  type X86VeVcpuState,
} from '../../../index.js';
import { faultAndEnter, routingScenarios, runNextTask } from '../../support/fault-routing.js';

/**
 * `x86-ve` (PROTOCOLS.md §4.4; hypothetical): #VE raised by the CPU in user mode for a page the
 * host marked absent, no exit; the guest's handler asks the host by hypercall and sleeps on the
 * token; page-ready is x86's interrupt + ACK (§4.1). Paolo Bonzini 2020-05-28
 * (8ab64c6a-582b-691d-79ab-21cdc0455cd3@redhat.com), Vitaly's "grand plan" (facts/arm64.md §8).
 */
type H = Harness<X86VeVcpuState>;
const G = HARNESS_FIRST_MISSING_GFN;
const { KVM_HC_LAB_ASYNC_PF_FETCH, MSR_KVM_LAB_VE_INFO, VE_DELIVERY_BUSY } = x86VeAbi;

/** A booted guest in user mode whose boot-time wake-all has been delivered and ACKed. */
function booted(options: HarnessOptions = {}): H {
  const h = new Harness<X86VeVcpuState>(x86VeVariant, options);
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  return h;
}

const exitsOf = (h: H, name: string) => h.exits()[name] ?? 0;
const FETCH_EXIT = 'VMCALL(LAB_ASYNC_PF_FETCH)';

function fetch(h: H, gpa: bigint): bigint {
  const r = h.call({ kind: 'vmcall', nr: KVM_HC_LAB_ASYNC_PF_FETCH, args: [gpa] });
  if (r.kind !== 'ok') throw new Error(`VMCALL faulted: ${r.vector}`);
  return r.regs[0];
}


describe('x86-ve: #VE before populate (PROTOCOLS.md §4.4)', () => {
  it('boots as x86 and registers the #VE information page (lab MSR)', () => {
    const h = booted();
    expect(h.vcpu().state.ve.infoGpa).not.toBeNull();
    expect(exitsOf(h, 'MSR_WRITE(LAB_VE_INFO)')).toBe(1);
    expect(exitsOf(h, 'MSR_WRITE(ASYNC_PF_EN)')).toBe(1);
  });

  it('a user-mode fault raises #VE (vector 20) with no exit and no host work yet', () => {
    // EPT-violation #VE: the CPU fills the information area and sets delivery = 0xFFFFFFFF
    // (Yamahata 2022-08-07, v8 036/103, 4783140a61f278e7ed6969e36bb8f9272ed40aa8.1659854790.git.isaku.yamahata@intel.com);
    // no exit is charged (core Backend.faultInGuest).
    const h = booted();
    const before = { ...h.exits() };
    h.fault(G);
    const v = h.vcpu();
    expect(h.exits()).toEqual(before);
    expect(v.injected?.name).toBe('#VE');
    expect(x86VeAbi.VE_VECTOR).toBe(20);
    expect(v.state.ve.info.delivery).toBe(VE_DELIVERY_BUSY);
    expect(v.state.ve.info.guestPhysicalAddress).toBe(BigInt(G) * 4096n);
    expect(v.queued).toBe(0);
  });

  it('the #VE handler asks by hypercall, which starts the work and returns the token; the task sleeps on it', () => {
    const h = booted();
    const v = h.vcpu();
    const { task, token } = faultAndEnter(h, G);
    expect(exitsOf(h, FETCH_EXIT)).toBe(1);
    expect(v.queued).toBe(1);
    // x86's formula: (id++ << 12) | vcpu_id, never 0 (facts/x86.md §1 "Token").
    expect(token & 0xfff).toBe(0);
    expect(token).toBeGreaterThan(0);
    expect(task.state).toBe('sleeping');
    expect(task.sleepToken).toBe(token);
    expect(v.state.ve.info.delivery).toBe(0); // freed for the next #VE
    expect(exitsOf(h, 'EPT_VIOLATION')).toBe(0);
  });

  it('the host\'s work on the request is a stage-2 fault\'s (lookup and FOLL_NOWAIT try), on top of the hypercall\'s exit', () => {
    // The exit path charges stage2FaultCycles before it goes async or synchronous (core/sim/host-async-pf.ts).
    const h = booted();
    const before = h.sim.metrics.time.host;
    fetch(h, BigInt(G) * 4096n);
    const c = x86VeVariant.defaultCosts;
    const faultWorkNs = (c.stage2FaultCycles * 1000) / c.clockMHz;
    expect(h.sim.metrics.time.host - before).toBeGreaterThanOrEqual(faultWorkNs + (c.hypercallExitCycles * 1000) / c.clockMHz - 1);
  });

  it('page-ready wakes the sleeper on the programmed vector, and the guest ACKs', () => {
    // PROTOCOLS.md §4.1: token slot, interrupt, wake, clear, MSR_KVM_ASYNC_PF_ACK (facts/arm64.md §8).
    const h = booted();
    const v = h.vcpu();
    const { task, token } = faultAndEnter(h, G);
    h.complete(G);
    h.enter();
    expect(task.state).toBe('runnable');
    expect(exitsOf(h, 'MSR_WRITE(ASYNC_PF_ACK)')).toBe(2); // the boot-time wake-all, then this one
    expect(h.sim.metrics.injections.toJSON()[`irq ${x86Abi.LAB_DEFAULT_APF_VECTOR}`]).toBe(2);
    expect(v.queued).toBe(0);
    expect(v.state.pagereadyPending).toBe(false);
  });

  it('a kernel-mode fault exits and follows x86: halt with IF=1, synchronous with IF=0', () => {
    // Design choice: #VE only where the handler can sleep (tglx, "Restrict ASYNC_PF to user space",
    // facts/x86.md §3); x86's kvm_can_deliver_async_pf() / kvm_can_do_async_pf() decide the rest.
    const h = booted();
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.fault(G);
    expect(exitsOf(h, 'EPT_VIOLATION')).toBe(1);
    expect(h.vcpu().mode).toBe('halt');
    expect(h.sim.metrics.haltReasons.toJSON()).toEqual({ 'kernel-mode': 1 });
    const k = booted();
    k.setCpu({ privilege: 'kernel', irqsMasked: true });
    k.fault(G);
    expect(exitsOf(k, 'EPT_VIOLATION')).toBe(1);
    expect(k.vcpu().mode).toBe('sync');
    expect(k.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'irqs-masked': 1 });
  });

  it('a second EPT violation before the handler freed the area exits (delivery still busy)', () => {
    // "Another #VE can occur only if software clears the field" (Yamahata 2022-08-07).
    const h = booted();
    h.fault(G);
    h.fault(G + 1);
    expect(exitsOf(h, 'EPT_VIOLATION')).toBe(1);
  });

  it('with #VE turned off (MSR bit 0 clear) a user fault is x86\'s #PF', () => {
    const h = booted();
    expect(h.call({ kind: 'wrmsr', index: MSR_KVM_LAB_VE_INFO, value: 0n })).toEqual({ kind: 'ok', regs: [0n] });
    h.fault(G);
    expect(exitsOf(h, 'EPT_VIOLATION')).toBe(1);
    expect(h.vcpu().injected?.name).toBe('#PF');
  });

  it('refused requests: resident → 0 (touch again); repeated → halt, no second token; queue full → synchronous', () => {
    const h = booted();
    expect(fetch(h, 0n)).toBe(0n); // gfn 0 is resident
    expect(h.vcpu().queued).toBe(0);
    // A second task touches the page the first one sleeps on: kvm_setup_async_pf() refuses a
    // repeated gfn and the vCPU halts (PROTOCOLS.md §2 step 4, invariant 6).
    faultAndEnter(h, G);
    runNextTask(h);
    h.fault(G);
    h.enter();
    expect(h.vcpu().mode).toBe('halt');
    expect(h.vcpu().queued).toBe(1);
    expect(h.sim.metrics.repeatedFaults).toBe(1);
    // ASYNC_PF_PER_VCPU = 64: the 65th request is synchronous (invariant 5).
    const q = booted();
    for (let i = 0; i < x86Abi.ASYNC_PF_PER_VCPU; i++) expect(fetch(q, BigInt(G + i) * 4096n)).toBeGreaterThan(0n);
    expect(fetch(q, BigInt(G + 64) * 4096n)).toBe(0n);
    expect(q.vcpu().mode).toBe('sync');
    expect(q.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'queue-full': 1 });
  });

  it('answers bad calls architecturally: unknown hypercall, GPA outside memory, reserved MSR bits', () => {
    const h = booted();
    const r = h.call({ kind: 'vmcall', nr: 77, args: [] });
    expect(r).toEqual({ kind: 'ok', regs: [-x86VeAbi.KVM_ENOSYS] });
    expect(fetch(h, 1n << 40n)).toBe(-x86VeAbi.KVM_EINVAL);
    expect(h.call({ kind: 'wrmsr', index: MSR_KVM_LAB_VE_INFO, value: 0x200002n })).toEqual({ kind: 'fault', vector: '#GP' });
    expect(h.call({ kind: 'wrmsr', index: MSR_KVM_LAB_VE_INFO, value: (64n << 20n) | 1n })).toEqual({ kind: 'fault', vector: '#GP' });
  });

  it('is registered on x86 with findings citing Intel-only #VE, the MMU notifier and "never built"', () => {
    expect(findVariant('x86-ve')).toBe(x86VeVariant);
    expect(VARIANTS).toContain(x86VeVariant);
    const b = x86VeVariant.createBackend({ costOverrides: x86VeVariant.defaultCosts, knobs: x86VeVariant.knobs, guestMemoryBytes: 64 << 20 });
    const text = b.findings.map((f) => `${f.id}: ${f.text} ${f.cite}`).join('\n');
    expect(text).toMatch(/ve-intel-only: .*AMD/);
    expect(text).toMatch(/d0bfb944-b50a-608a-7dcc-5a409cdc4524@redhat\.com/);
    expect(text).toMatch(/8ab64c6a-582b-691d-79ab-21cdc0455cd3@redhat\.com/);
    expect(text).toMatch(/never implemented/);
  });
});

describe('x86-ve whole runs: invariant-clean, fewer EPT-violation exits than x86', () => {
  for (const s of routingScenarios()) {
    it(s.name, () => {
      // 500 ms measured (then the drain): the exit ratio is stationary, 0.17–0.28 of x86's as over 2 s.
      const short = { ...s, durationMs: 500 };
      const ve: RunResult = runVariant(short, x86VeVariant);
      const x86: RunResult = runVariant(short, x86Variant);
      expect(ve.invariants.violations).toEqual([]);
      expect(ve.invariants.inFlight).toBe(0);
      expect(ve.metrics.exits['EPT_VIOLATION']).toBeLessThan(0.5 * x86.metrics.exits['EPT_VIOLATION']);
      expect(ve.metrics.exits['VMCALL(LAB_ASYNC_PF_FETCH)']).toBeGreaterThan(0);
      expect(ve.metrics.apf.readyDelivered).toBeGreaterThan(0);
    });
  }
});
