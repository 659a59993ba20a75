/**
 * arm64-pvvec: Paolo Bonzini's "completely paravirtualized exception vector that doesn't use ESR at
 * all" (2020-06-01, 5c72c597-732e-7dbf-d056-665674ec1792@redhat.com; PROTOCOLS.md §4.9), with the
 * lab's ABI (arches/arm64/pvvec/abi.ts, hypothetical): a registered PV entry and save area carry
 * not-present from EL0 while the guest's mask is clear; page-ready is v4's PPI + IRQ_ACK.
 */
import { describe, expect, it } from 'vitest';
import { arm64Abi, findVariant, Harness, HARNESS_FIRST_MISSING_GFN, loadScenario, runVariant, type GuestCallResult } from '../../../index.js';
import { ARM_SMCCC_VENDOR_HYP_KVM_LAB_PV_VECTOR_FUNC_ID as PV_FN, PSR_MODE_EL0T } from '../../../arches/arm64/pvvec/abi.js';
import { PV_ENTRY_VA } from '../../../arches/arm64/pvvec/guest.js';
import { PV_VECTOR_EVENT } from '../../../arches/arm64/pvvec/host.js';
import type { PvvecVcpuState } from '../../../arches/arm64/pvvec/state.js';
import { codeFrame } from '../../../core/guest/code-layout.js';
import { runNextTask } from '../../support/fault-routing.js';

const G = HARNESS_FIRST_MISSING_GFN;
const pvvec = findVariant('arm64-pvvec');
const { SMCCC_RET_SUCCESS: OK, SMCCC_RET_INVALID_PARAMETER: INVALID, SMCCC_RET_NOT_SUPPORTED: NOT_SUPPORTED } = arm64Abi;
const APF_FN = arm64Abi.ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID;
/** A save area inside the harness's 64 MiB guest, 64-byte aligned. */
const AREA = 0x300000n;

type H = Harness<PvvecVcpuState>;
const x0 = (r: GuestCallResult): bigint => (r.kind === 'ok' ? r.regs[0] : -99n);
const register = (h: H, entry: bigint, gpa: bigint) => x0(h.call({ kind: 'hvc', fn: PV_FN, args: [entry, gpa] }));
const enable = (h: H, value: bigint) => x0(h.call({ kind: 'hvc', fn: APF_FN, args: [BigInt(arm64Abi.ASYNC_PF_ENABLE), value & 0xffffffffn, value >> 32n] }));

/** A booted guest in user mode whose boot-time wake-all has been taken and acknowledged. */
function booted(): H {
  const h = new Harness<PvvecVcpuState>(pvvec);
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  return h;
}

describe('enable: the lab\'s registration call 0xC6000041 and v4\'s ENABLE (hypothetical ABI, arches/arm64/pvvec/abi.ts)', () => {
  it('the booted guest registers its PV entry and save area, then enables through v4 without any SDEI call', () => {
    const h = booted();
    const v = h.vcpu();
    expect(PV_FN).toBe(0xc6000041);
    expect(v.state.guest.enabled).toBe(true);
    expect(v.state.pv.entry).toBe(PV_ENTRY_VA);
    expect(h.exits()['HVC64(LAB_PV_VECTOR)']).toBe(1);
    expect(Object.keys(h.exits()).some((e) => e.includes('SDEI'))).toBe(false);
  });

  it('a valid entry and a 64-byte aligned area inside guest memory: SUCCESS', () => {
    const h = new Harness<PvvecVcpuState>(pvvec, { guestInit: false });
    expect(register(h, PV_ENTRY_VA, AREA)).toBe(OK);
    expect(h.vcpu().state.pv.areaGpa).toBe(AREA);
  });

  // "as KVM would" check a guest-supplied area: outside memory or misaligned, or a null or misaligned entry → INVALID_PARAMETER.
  it.each([
    ['an area outside guest memory', PV_ENTRY_VA, 64n << 20n],
    ['an area straddling the end of guest memory', PV_ENTRY_VA, (64n << 20n) - 16n],
    ['an area not 64-byte aligned', PV_ENTRY_VA, AREA + 8n],
    ['an entry of 0', 0n, AREA],
    ['an entry not 4-byte aligned', PV_ENTRY_VA + 2n, AREA],
  ])('%s: INVALID_PARAMETER, nothing registered', (_what, entry, gpa) => {
    const h = new Harness<PvvecVcpuState>(pvvec, { guestInit: false });
    expect(register(h, entry, gpa)).toBe(INVALID);
    expect(h.vcpu().state.pv.areaGpa).toBeNull();
  });

  it('the entry and area change only while async PF is disabled (lab rule): INVALID_PARAMETER while enabled', () => {
    const h = booted();
    expect(register(h, PV_ENTRY_VA, AREA)).toBe(INVALID);
    expect(enable(h, 0n)).toBe(OK);
    expect(register(h, PV_ENTRY_VA, AREA)).toBe(OK);
  });

  // v4's ENABLE refuses with INVALID_PARAMETER until the not-present channel is set up (facts/arm64.md §1 v1).
  it('ENABLE before a PV vector is registered: INVALID_PARAMETER', () => {
    const h = new Harness<PvvecVcpuState>(pvvec, { guestInit: false });
    expect(enable(h, 0x200000n | arm64Abi.KVM_ASYNC_PF_ENABLED)).toBe(INVALID);
    expect(register(h, PV_ENTRY_VA, AREA)).toBe(OK);
    expect(enable(h, 0x200000n | arm64Abi.KVM_ASYNC_PF_ENABLED)).toBe(OK);
  });

  // kvm_smccc_call_handler(): an unknown function is NOT_SUPPORTED (facts/arm64.md §3); so is the call without the capability.
  it('an unknown vendor-hyp function, or the call without the VMM\'s capability: NOT_SUPPORTED', () => {
    const h = new Harness<PvvecVcpuState>(pvvec, { guestInit: false });
    expect(x0(h.call({ kind: 'hvc', fn: PV_FN + 1, args: [PV_ENTRY_VA, AREA] }))).toBe(NOT_SUPPORTED);
    const off = new Harness<PvvecVcpuState>(pvvec, { guestInit: false, knobs: { apfCapability: 0 } });
    expect(register(off, PV_ENTRY_VA, AREA)).toBe(NOT_SUPPORTED);
  });
});

describe('who gets a not-present: enabled, EL0, the guest\'s PV mask clear (PROTOCOLS.md §4.9)', () => {
  it('a user-mode fault is delivered through the PV vector: token, reason and PSTATE in the save area, no exception taken', () => {
    const h = booted();
    const v = h.vcpu();
    h.fault(G);
    const token = v.apf.gfns.get(G)!.token;
    expect(v.state.pv.area).toMatchObject({ reason: arm64Abi.KVM_PV_REASON_PAGE_NOT_PRESENT, token, pstate: PSR_MODE_EL0T });
    expect(v.injected?.name).toBe(PV_VECTOR_EVENT);
    // An event with its own entry: no ELR/ESR written, so never an exception through VBAR (core InjectedEvent.exception).
    expect(v.injected?.exception).toBeUndefined();
  });

  it('a kernel-mode fault is synchronous (kernel-mode), as v4\'s gate: arm64 KVM has no APF halt', () => {
    const h = booted();
    h.setCpu({ privilege: 'kernel' });
    h.fault(G);
    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'kernel-mode': 1 });
    expect(h.sim.metrics.notPresentDelivered).toBe(0);
  });

  it('with the guest\'s mask flag set in the save area the vector is masked: synchronous (pv-masked)', () => {
    const h = booted();
    h.vcpu().state.pv.area.mask = 1;
    h.fault(G);
    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'pv-masked': 1 });
    expect(h.sim.metrics.notPresentDelivered).toBe(0);
  });

  it('while the guest runs exception entry code (its PC in the layout) the vector counts as masked', () => {
    const h = booted();
    const v = h.vcpu();
    // A syscall's entry frame is on the task's stack and the PC is in it; the fault is still taken as from EL0.
    v.current!.frames.push(codeFrame(h.backend.caps.codeLayout.syscall, null));
    expect(v.pc).not.toBeNull();
    h.fault(G);
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'pv-masked': 1 });
  });
});

describe('the PV handler sleeps the task; the PPI wakes it (v4 page-ready, PROTOCOLS.md §4.7)', () => {
  it('at entry the PV handler sleeps the task on the token and frees the area and the mask', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    h.fault(G);
    const token = v.apf.gfns.get(G)!.token;

    h.enter();

    expect(task.state).toBe('sleeping');
    expect(task.sleepToken).toBe(token);
    expect(v.state.pv.area).toMatchObject({ mask: 0, reason: 0, token: 0 });
    expect(v.state.pv.guest).toEqual({ entries: 1, warnings: 0 });
    expect(h.sim.metrics.notPresentDelivered).toBe(1);
    expect(h.sim.metrics.unsafeInjections.total).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  it('the page-ready PPI wakes the sleeper, and IRQ_ACK lowers the line', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    h.fault(G);
    h.enter();
    h.complete(G);

    h.enter();

    expect(task.state).toBe('runnable');
    expect(v.state.pagereadyPending).toBe(false);
    expect(v.irqLine(v.state.vmm.irq)).toMatchObject({ asserted: false, pending: false });
    expect(h.exits()['HVC64(ASYNC_PF_IRQ_ACK)']).toBe(2); // the boot wake-all and this one
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // v4 kvm_arch_can_dequeue_async_page_present(): not while a page-ready awaits IRQ_ACK; IRQ_ACK
  // drains the next one inside the call (facts/arm64.md §1 v1; PROTOCOLS.md §4.7).
  it('a second completion waits for IRQ_ACK of the first; the ACK lets it out', () => {
    const h = booted();
    const v = h.vcpu();
    const first = v.current!;
    h.fault(G);
    h.enter();
    runNextTask(h); // the other task, which the PV handler's schedule() left runnable
    const second = v.current!;
    h.fault(G + 1);
    h.enter();
    h.complete(G);
    h.complete(G + 1);
    const verdicts: string[] = [];
    const dequeue = h.backend.canDequeueAsyncPagePresent.bind(h.backend);
    h.backend.canDequeueAsyncPagePresent = (vcpu) => {
      const r = dequeue(vcpu);
      verdicts.push(r.ok ? 'ok' : r.reason);
      return r;
    };

    h.enter();

    // First page-ready out, the next refused until the guest's IRQ_ACK, then out from inside the ACK.
    expect(verdicts.slice(0, 3)).toEqual(['ok', 'ready-unacked', 'ok']);
    expect(first.state).not.toBe('sleeping');
    expect(second.state).not.toBe('sleeping');
    expect(h.exits()['HVC64(ASYNC_PF_IRQ_ACK)']).toBe(3); // the boot wake-all and these two
    expect(v.apf.done.length).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

describe('whole runs (300 ms)', () => {
  it.each(['overcommit', 'ipi-mix'])('%s: invariant-clean, not-presents delivered', (name) => {
    const r = runVariant({ ...loadScenario(name), durationMs: 300 }, pvvec);
    expect(r.invariants.violations).toEqual([]);
    expect(r.invariants.inFlight).toBe(0);
    expect(r.metrics.apf.notPresentDelivered).toBeGreaterThan(0);
    expect(r.metrics.injections[PV_VECTOR_EVENT]).toBe(r.metrics.apf.notPresentDelivered);
  });

  // The PV vector saves the interrupted state in its own area, so it never clobbers ELR/ESR (PROTOCOLS.md §4.9).
  it('overcommit: the PV event is never an unsafe injection', () => {
    const r = runVariant({ ...loadScenario('overcommit'), durationMs: 300 }, pvvec);
    expect(r.metrics.unsafeInjections.total).toBe(0);
  });
});
