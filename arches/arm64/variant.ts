import type { Backend, Finding, Variant, VariantContext } from '../../core/backend.js';
import { composeVariant, type VariantSpec } from '../spec.js';
import { ARM64_ARCH } from './mechanisms.js';
import type { Arm64VcpuState } from './state.js';

export { ARM64_SDEI_KNOBS, checkArm64Knobs, knobShare } from './knobs.js';

/** Review status of the SDEI design, with who said it (facts/arm64.md §1 "Outcome", §2, §5). */
const FINDINGS: readonly Finding[] = [
  {
    id: 'sdei-not-merged',
    severity: 'blocker',
    text: 'Never merged: neither async PF nor SDEI virtualisation; rejected as "a solution in search of a problem", discontinued in 2023.',
    cite: 'Marc Zyngier 2022-06-24, 87iloq2oke.wl-maz@kernel.org; Gavin Shan 2023-10-06, 131babfc-3450-68bd-f35b-d126a36acb0c@redhat.com',
  },
  {
    id: 'ppi-per-vm',
    severity: 'concern',
    text: 'The page-ready PPI number is implementation defined: the VMM picks it per VM and must describe it to the guest (ACPI only in v2–v4).',
    cite: 'Marc Zyngier 2020-05-28 on RFCv2 9/9; facts/arm64.md §5',
  },
  {
    id: 'sdei-migration',
    severity: 'concern',
    text: 'In-kernel SDEI state (registered, enabled, running events) must be migrated.',
    cite: 'James Morse 2020-10-23, 4dcaea7a-a4d1-9bf3-eb95-ea9d8826ad99@arm.com',
  },
  {
    id: 'nmi-for-user-only',
    severity: 'concern',
    text: 'An NMI-like event is used to flag a task that can only sleep on return to user: an IRQ would do, but for D1.13.4.',
    cite: 'James Morse 2020-10-23, 4dcaea7a-a4d1-9bf3-eb95-ea9d8826ad99@arm.com; DDI0487F.a D1.13.4',
  },
  {
    id: 'zero-token',
    severity: 'note',
    text: "No zero guard on the token: vCPU 0 is handed token 0 on its first fault and after every 65,536 (u16 id). Unlike x86 before 2022, no page-ready is lost by it: the host's free test reads the reason word and pageready_pending as well as the token, and the guest finds a sleeper among occupied slots; `apf-lab check` finds no hang.",
    cite: 'gwshan/linux arch/arm64/kvm/async_pf.c kvm_arch_can_dequeue_async_page_present(), arch/arm64/kernel/kvm.c kvm_async_pf_remove_task(); facts/arm64.md §1a; x86: 6f3c1fc53d86 (facts/x86.md §6)',
  },
  {
    id: 'smccc-number-taken',
    severity: 'note',
    text: 'Vendor-hyp function number 2, which v3/v4 call as 0x86000002 (fast, SMC32), is now allocated upstream to pKVM\'s HYP_MEMINFO, called as 0xC6000002 (fast, SMC64): the number is taken, the SMC32 ID itself is not defined upstream.',
    cite: 'include/linux/arm-smccc.h ARM_SMCCC_KVM_FUNC_HYP_MEMINFO, ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID (Linux 6.12); facts/arm64.md §3',
  },
];

/** `arm64-sdei`: Gavin Shan's v1–v4 (PROTOCOLS.md §4.7), as a spec over the arm64 catalogue. */
export const ARM64_SDEI_SPEC: VariantSpec = {
  id: 'arm64-sdei',
  arch: 'arm64',
  title: 'arm64 SDEI + PPI: SDEI event flags the task (sleeps at return to user), PPI + IRQ_ACK page-ready',
  origin: 'Gavin Shan v1–v4, 2020-08 … 2021-08, not merged (facts/arm64.md §1)',
  mechanisms: {
    enable: 'smccc-apf-v4',
    notPresent: 'sdei-event',
    ready: 'ppi-level',
    token: 'shared-memory',
    eligibility: 'user-mode-v4',
    wake: 'tif-return-to-user',
    ack: 'irq-ack-hypercall-sdei-cancel',
  },
  findings: FINDINGS,
};

export const arm64SdeiVariant: Variant = composeVariant(ARM64_SDEI_SPEC, ARM64_ARCH);

export function createArm64SdeiBackend(ctx: VariantContext): Backend<Arm64VcpuState, { gfn: number }> {
  return arm64SdeiVariant.createBackend(ctx);
}
