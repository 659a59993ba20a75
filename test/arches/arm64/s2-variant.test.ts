import { describe, expect, it } from 'vitest';
import {
  arm64Abi,
  arm64S2Abi,
  arm64S2Variant,
  arm64SdeiVariant,
  findVariant,
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  runVariant,
  VARIANTS,
  type Arm64S2VcpuState,
  type HarnessOptions,
} from '../../../index.js';
import { faultAndEnter, routingScenarios, runNextTask } from '../../support/fault-routing.js';

/**
 * `arm64-s2` (PROTOCOLS.md §4.10; hypothetical lower bound): the stage-2 fault reaches the guest
 * as a data abort with no exit, the guest asks for the page by HVC and sleeps on the token;
 * page-ready is arm64-sdei's PPI + IRQ_ACK (§4.7). Paolo Bonzini 2020-05-28
 * (8ab64c6a-582b-691d-79ab-21cdc0455cd3@redhat.com); no hardware path (Marc Zyngier 2020-05-29,
 * 6965aaf641a23fab64fbe2ceeb790272@kernel.org; facts/arm64.md §2, §6).
 */
type H = Harness<Arm64S2VcpuState>;
const G = HARNESS_FIRST_MISSING_GFN;
const FETCH = arm64S2Abi.ARM_SMCCC_VENDOR_HYP_KVM_LAB_S2_FETCH_FUNC_ID;
const FETCH_EXIT = 'HVC64(LAB_S2_FETCH)';
const ACK_EXIT = 'HVC64(ASYNC_PF_IRQ_ACK)';

function booted(options: HarnessOptions = {}): H {
  const h = new Harness<Arm64S2VcpuState>(arm64S2Variant, options);
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  return h;
}

const exitsOf = (h: H, name: string) => h.exits()[name] ?? 0;

function fetch(h: H, ipa: bigint): readonly bigint[] {
  const r = h.call({ kind: 'hvc', fn: FETCH, args: [ipa] });
  if (r.kind !== 'ok') throw new Error(`HVC faulted: ${r.vector}`);
  return r.regs;
}


describe('arm64-s2: stage-2 fault routed to the guest (PROTOCOLS.md §4.10)', () => {
  it('boots with v4\'s discovery and ENABLE, and never touches SDEI', () => {
    const h = booted();
    expect(h.vcpu().state.enabled).toBe(true);
    expect(exitsOf(h, 'HVC64(ASYNC_PF_ENABLE)')).toBe(1);
    expect(Object.keys(h.exits()).filter((e) => e.includes('SDEI'))).toEqual([]);
  });

  it('an EL0 stage-2 fault reaches the guest as a data abort with no exit', () => {
    const h = booted();
    const before = { ...h.exits() };
    h.fault(G);
    const v = h.vcpu();
    expect(h.exits()).toEqual(before);
    expect(v.injected?.name).toBe('DABT_LOW (stage-2, reflected)');
    // EC 0x24 (DABT_LOW), DFSC translation fault level 3 (facts/arm64.md §6); the IPA is the lab's.
    expect((v.state.s2.abort?.esr ?? 0) >>> 26).toBe(0x24);
    expect(v.state.s2.abort?.ipa).toBe(BigInt(G) * 4096n);
    expect(v.queued).toBe(0);
  });

  it('do_mem_abort() asks by HVC, which starts the work and returns the token in x1; the task sleeps on it', () => {
    const h = booted();
    const v = h.vcpu();
    const { task, token } = faultAndEnter(h, G);
    expect(exitsOf(h, FETCH_EXIT)).toBe(1);
    expect(exitsOf(h, 'DABT_LOW')).toBe(0);
    expect(v.queued).toBe(1);
    expect(task.state).toBe('sleeping');
    expect(task.sleepToken).toBe(token);
    expect(v.state.s2.abort).toBeNull();
  });

  it('page-ready is the PPI: the handler wakes the sleeper and IRQ_ACKs, which lowers the line', () => {
    // PROTOCOLS.md §4.7 "asyncPagePresent": token + reason 2, level-high PPI, IRQ_ACK (facts/arm64.md §5).
    const h = booted();
    const v = h.vcpu();
    const { task, token } = faultAndEnter(h, G);
    h.complete(G);
    h.enter();
    expect(task.state).toBe('runnable');
    expect(exitsOf(h, ACK_EXIT)).toBe(2); // the boot-time wake-all, then this one
    expect(h.sim.metrics.injections.toJSON()[`irq ${arm64Abi.LAB_DEFAULT_APF_PPI}`]).toBe(2);
    expect(v.state.pagereadyPending).toBe(false);
    expect(v.irqLine(arm64Abi.LAB_DEFAULT_APF_PPI)?.pending).toBe(false);
    expect(v.queued).toBe(0);
  });

  it('an EL1 fault exits (stage-2 faults go to EL2) and is synchronous, as arm64-sdei\'s', () => {
    const h = booted();
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.fault(G);
    expect(exitsOf(h, 'DABT_LOW')).toBe(1);
    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'kernel-mode': 1 });
  });

  it('a guest that never enabled async PF gets no reflected abort: the fault exits', () => {
    const h = new Harness<Arm64S2VcpuState>(arm64S2Variant, { guestInit: false });
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(G);
    expect(exitsOf(h, 'DABT_LOW')).toBe(1);
    expect(h.vcpu().injected).toBeNull();
  });

  it('refused requests: resident → NOT_REQUIRED; repeated → halt, no second token; queue full → synchronous', () => {
    const h = booted();
    expect(fetch(h, 0n)[0]).toBe(arm64Abi.SMCCC_RET_NOT_REQUIRED);
    faultAndEnter(h, G);
    runNextTask(h);
    h.fault(G);
    h.enter();
    expect(h.vcpu().mode).toBe('halt');
    expect(h.vcpu().queued).toBe(1);
    expect(h.sim.metrics.repeatedFaults).toBe(1);
    const q = booted();
    for (let i = 0; i < arm64Abi.ASYNC_PF_PER_VCPU; i++) expect(fetch(q, BigInt(G + i) * 4096n)[0]).toBe(arm64Abi.SMCCC_RET_SUCCESS);
    expect(fetch(q, BigInt(G + 64) * 4096n)[0]).toBe(arm64Abi.SMCCC_RET_NOT_REQUIRED);
    expect(q.vcpu().mode).toBe('sync');
    expect(q.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'queue-full': 1 });
  });

  it('answers a bad IPA with INVALID_PARAMETER, and NOT_SUPPORTED once disabled', () => {
    const h = booted();
    expect(fetch(h, 1n << 40n)[0]).toBe(arm64Abi.SMCCC_RET_INVALID_PARAMETER);
    const off = new Harness<Arm64S2VcpuState>(arm64S2Variant, { guestInit: false });
    expect(fetch(off, BigInt(G) * 4096n)[0]).toBe(arm64Abi.SMCCC_RET_NOT_SUPPORTED);
  });

  it('is registered on arm64 with the no-hardware-path blocker (Marc Zyngier 2020-05-29) and Paolo\'s syndrome request', () => {
    expect(findVariant('arm64-s2')).toBe(arm64S2Variant);
    expect(VARIANTS).toContain(arm64S2Variant);
    const b = arm64S2Variant.createBackend({ costOverrides: arm64S2Variant.defaultCosts, knobs: arm64S2Variant.knobs, guestMemoryBytes: 64 << 20 });
    const blocker = b.findings.find((f) => f.id === 's2-no-hardware-path');
    expect(blocker?.severity).toBe('blocker');
    expect(blocker?.cite).toMatch(/6965aaf641a23fab64fbe2ceeb790272@kernel\.org/);
    expect(b.findings.map((f) => f.cite).join('\n')).toMatch(/d0bfb944-b50a-608a-7dcc-5a409cdc4524@redhat\.com/);
  });
});

describe('arm64-s2 whole runs: invariant-clean, fewer stage-2 exits than arm64-sdei', () => {
  for (const s of routingScenarios()) {
    it(s.name, () => {
      // 500 ms measured (then the drain): the exit ratio is stationary, 0.13 of arm64-sdei's as over 2 s.
      const short = { ...s, durationMs: 500 };
      const s2 = runVariant(short, arm64S2Variant);
      const sdei = runVariant(short, arm64SdeiVariant);
      expect(s2.invariants.violations).toEqual([]);
      expect(s2.invariants.inFlight).toBe(0);
      expect(s2.metrics.exits['DABT_LOW']).toBeLessThan(0.5 * sdei.metrics.exits['DABT_LOW']);
      expect(s2.metrics.exits[FETCH_EXIT]).toBeGreaterThan(0);
      expect(s2.metrics.apf.readyDelivered).toBeGreaterThan(0);
    });
  }
});
