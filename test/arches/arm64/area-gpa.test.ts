/**
 * Where each half reaches the arm64 control block (arches/arm64/control-block.ts): the host
 * through apf->cache, at the GPA of its last successful enable (v4 ENABLE, RFCv2's BIT(63) call,
 * RFCv1's SYS_ASYNC_PF_EL1), the guest at its own per-CPU `apf_data`, in one guest memory per VM.
 * The two differ once an enable names another block (facts/arm64.md §1; gwshan/linux
 * arch/arm64/kvm/async_pf.c read_cache()/write_cache(), arch/arm64/kernel/kvm.c
 * `__this_cpu_read(apf_data.reason)`).
 */
import { describe, expect, it } from 'vitest';
import * as dabt from '../../../arches/arm64/dabt/constants.js';
import { arm64Abi, arm64DabtVariant, arm64ImpdefVariant, arm64IrqVariant, Harness, type Arm64VcpuState, type DabtVcpuState, type Variant } from '../../../index.js';
import { apf, blockAt, GFN_A, readyHarness, setBlock } from './helpers.js';

const { ASYNC_PF_IRQ_ACK, KVM_ASYNC_PF_ENABLED, KVM_PV_REASON_PAGE_NOT_PRESENT, KVM_PV_REASON_PAGE_READY, SMCCC_RET_SUCCESS, WAKE_ALL_TOKEN } = arm64Abi;

/** A block of the guest's that is not its `apf_data`: 64-byte aligned, inside the 64 MiB guest. */
const OTHER = 0x300000n;

/** The guest's own per-CPU `apf_data` on vCPU `i`. */
const own = (h: { vcpu(i?: number): { state: { guest: { apfDataGpa: bigint } } } }, i = 0): bigint => h.vcpu(i).state.guest.apfDataGpa;

/** v4's ENABLE changes nothing while enabled (NOT_REQUIRED): a move is a disable, then an enable elsewhere, on vCPU `i`. */
function reEnable(h: Harness<Arm64VcpuState>, gpa: bigint, i = 0): void {
  const enable = (value: bigint) =>
    h.call({ kind: 'hvc', fn: arm64Abi.ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID, args: [BigInt(arm64Abi.ASYNC_PF_ENABLE), value & 0xffffffffn, value >> 32n] }, i);
  expect(enable(0n)).toEqual({ kind: 'ok', regs: [SMCCC_RET_SUCCESS] });
  expect(enable(gpa | KVM_ASYNC_PF_ENABLED)).toEqual({ kind: 'ok', regs: [SMCCC_RET_SUCCESS] });
}

describe('v4 (arm64-sdei): the host writes at the block of its last successful ENABLE', () => {
  // kvm_arch_async_page_present() write_cache()s token and reason through apf->cache, which
  // kvm_arch_async_enable() set up at OTHER; kvm_async_pf_irq_handler() reads this CPU's own
  // apf_data: reason 0, a "Bogus interrupt", no IRQ_ACK, so the level-high PPI stays up and is
  // taken again at every chance (the harness's entry stops after 64 rounds).
  it("the enable's wake-all lands at the new block; the guest's PPI handler reads its own, finds nothing and does not ACK", () => {
    const h = readyHarness();
    const s = h.vcpu().state;
    reEnable(h, OTHER);
    const warnings = s.guest.warnings;

    h.enter();

    expect(blockAt(s, OTHER)).toEqual({ reason: KVM_PV_REASON_PAGE_READY, token: WAKE_ALL_TOKEN });
    expect(blockAt(s, own(h))).toEqual({ reason: 0, token: 0 });
    expect(s.guest.warnings).toBeGreaterThan(warnings);
    expect(s.pagereadyPending).toBe(true);
    expect(h.vcpu().irqLine(s.vmm.irq)?.pending).toBe(true);
  });

  // kvm_arch_async_page_not_present() writes token and reason 1 at OTHER; kvm_async_pf_sdei_handler()
  // reads its own apf_data, finds reason 0 ("Bogus notification") and flags nothing.
  it('not-present: token and reason 1 at the new block; the SDEI handler reads its own and flags no task', () => {
    const h = readyHarness();
    const v = h.vcpu();
    reEnable(h, OTHER);
    h.enter(); // the wake-all at OTHER, not consumed by the guest
    setBlock(v.state, { reason: 0, token: 0 }, OTHER); // free it by hand, then acknowledge it
    apf(h, ASYNC_PF_IRQ_ACK);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const task = v.current!;
    const warnings = v.state.guest.warnings;

    h.fault(GFN_A);
    const token = v.apf.gfns.get(GFN_A)!.token;
    h.enter();

    expect(blockAt(v.state, OTHER)).toEqual({ reason: KVM_PV_REASON_PAGE_NOT_PRESENT, token });
    expect(blockAt(v.state, own(h))).toEqual({ reason: 0, token: 0 });
    expect(v.state.guest.warnings).toBe(warnings + 1);
    expect(task.state).not.toBe('sleeping');
  });

  // kvm_arch_async_not_present_allowed() read_cache()s reason and token at OTHER: the wake-all the
  // guest never cleared there makes every later fault synchronous.
  it("the host reads back at its block: the wake-all the guest never cleared there keeps the next fault synchronous", () => {
    const h = readyHarness();
    reEnable(h, OTHER);
    h.enter();
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(GFN_A);

    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'signal-pending': 1 });
  });
});

describe('v4: guest memory is the VM\'s', () => {
  // vCPU 1's ENABLE naming vCPU 0's apf_data: vCPU 1's host writes its wake-all there
  // (kvm_arch_async_page_present()), and vCPU 0's host then reads its block in use
  // (kvm_arch_async_not_present_allowed()): vCPU 0's next fault is synchronous.
  it("two vCPUs on the same GPA see each other's writes", () => {
    const h = readyHarness({ vcpus: 2 });
    h.setCpu({ privilege: 'user', irqsMasked: false }, 1);
    h.enter(1);
    reEnable(h, own(h, 0), 1);
    h.setCpu({ irqsMasked: true }, 1);
    h.enter(1);

    expect(blockAt(h.vcpu(0).state, own(h, 0))).toEqual({ reason: KVM_PV_REASON_PAGE_READY, token: WAKE_ALL_TOKEN });
    expect(blockAt(h.vcpu(1).state, own(h, 1))).toEqual({ reason: 0, token: 0 });
    h.setCpu({ privilege: 'user', irqsMasked: false }, 0);
    h.fault(GFN_A, 0);
    expect(h.vcpu(0).mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'signal-pending': 1 });
  });
});

describe('arm64-irq: the not-present PPI handler reads its own block', () => {
  // The IRQ design's host writes v4's block (arches/arm64/irq/host.ts); its handler reads apf_data.
  it('not-present at the new block: the handler finds reason 0 and flags no task', () => {
    const h = new Harness<Arm64VcpuState>(arm64IrqVariant);
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    reEnable(h, OTHER);
    h.enter(); // the wake-all at OTHER: a bogus PPI to the guest, not ACKed
    setBlock(v.state, { reason: 0, token: 0 }, OTHER);
    apf(h, ASYNC_PF_IRQ_ACK);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const task = v.current!;

    h.fault(GFN_A);
    h.enter();

    expect(blockAt(v.state, OTHER).reason).toBe(KVM_PV_REASON_PAGE_NOT_PRESENT);
    expect(blockAt(v.state, own(h))).toEqual({ reason: 0, token: 0 });
    expect(task.state).not.toBe('sleeping');
  });
});

type D = Harness<DabtVcpuState>;

/** RFCv2's BIT(63) call (value split over w1/w2), or RFCv1's SYS_ASYNC_PF_EL1 write. */
const RFC_ENABLES: readonly (readonly [string, Variant, (h: D, value: bigint) => void])[] = [
  ['arm64-dabt (RFCv2 BIT(63))', arm64DabtVariant, (h, value) => {
    const v = dabt.APF_OP_ENABLE | value;
    expect(h.call({ kind: 'hvc', fn: dabt.ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID, args: [v & 0xffffffffn, v >> 32n] })).toEqual({ kind: 'ok', regs: [SMCCC_RET_SUCCESS] });
  }],
  ['arm64-impdef (RFCv1 SYS_ASYNC_PF_EL1)', arm64ImpdefVariant, (h, value) => {
    expect(h.call({ kind: 'sysreg', reg: dabt.SYS_ASYNC_PF_EL1, value }).kind).toBe('ok');
  }],
];

describe('RFCv1/RFCv2: the reason word at the block of the last successful enable', () => {
  // kvm_async_pf_update_enable_reg() moves the cache; kvm_arch_async_page_present() writes reason 2
  // there; the guest's do_async_pf() / do_lockdown() reads its own apf_data.reason: 0, an ordinary
  // abort. The reason left at OTHER makes kvm_arch_can_inject_async_page_not_present() refuse.
  for (const [name, variant, enable] of RFC_ENABLES) {
    it(`${name}: the wake-all's reason 2 lands at the new block; the guest reads its own 0, and the next fault is synchronous`, () => {
      const h = new Harness<DabtVcpuState>(variant);
      const s = h.vcpu().state;
      h.setCpu({ privilege: 'user', irqsMasked: false });
      h.enter(); // the boot wake-all, consumed at the guest's own block
      enable(h, 0n);
      enable(h, OTHER | KVM_ASYNC_PF_ENABLED);
      const unknown = s.guest.unknownReason;

      h.enter();

      expect(blockAt(s, OTHER).reason).toBe(KVM_PV_REASON_PAGE_READY);
      expect(blockAt(s, own(h)).reason).toBe(0);
      expect(s.guest.unknownReason).toBe(unknown + 1);
      h.fault(GFN_A);
      expect(h.vcpu().mode).toBe('sync');
      expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'signal-pending': 1 });
    });
  }
});
