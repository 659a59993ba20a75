import { cachedEntry, timedPhase, type CodeLayout, type CodePhase, type ExceptionClass, type Privilege } from '../../core/guest/code-layout.js';

/**
 * The arm64 guest kernel's exception code, laid out from VBAR_EL1 (core/guest/code-layout.ts).
 *
 * Sizes: a Linux 6.12 `ARCH=arm64 defconfig` build (facts/anchors.md §A6b): `vectors` 0x800
 * (16 × 0x80), `el0t_64_sync` 404 B, `el0t_64_irq` 404 B, `el1h_64_sync` 104 B, `ret_to_user`
 * 292 B, `el0_da` 156 B; `.entry.text` 15,200 B. Vector offsets: facts/arm64.md §6.
 *
 * Assumptions (README "Assumptions"):
 * - `.entry.text` starts at VBAR with the vectors; the 16 `entry_handler` bodies follow in the order
 *   entry.S generates them (EL1t, EL1h, EL0 AArch64, EL0 AArch32), the EL1 ones 104 B and the EL0 ones
 *   404 B each; then `ret_to_kernel` (120 B, assumed) and `ret_to_user`. So the largest handler offset
 *   is 0x164c and RFCv2's excluded range, that offset + 4096 (seed 003), ends at 0x264c.
 * - The C entry code (entry-common.c, `noinstr`) and the fault/trap files lie elsewhere in `.text`,
 *   placed here 64 KiB past VBAR: outside any range a guest could register ("not even virtually
 *   contiguous", Mark Rutland 2020-05-26).
 * - A vector stub runs 32 B before it branches; the C entry code of an exception runs 256 B
 *   (from EL0) or 200 B (from EL1) before it unmasks interrupts.
 * - Time is proportional to the bytes run: 0.49 cycles per byte, so that an EL0 system call's
 *   round trip (32 + 404 + 256 + 292 B) takes 0.24 µs at 2 GHz, the `lat_syscall null` figure of
 *   facts/anchors.md §A6a.
 */
const CYCLES_PER_BYTE = 0.49;

const VECTOR_STUB_BYTES = 32;
const EL1_HANDLER_BYTES = 104;
const EL0_HANDLER_BYTES = 404;
const HANDLERS = 0x800;
/** entry_handler order within each group: sync, irq, fiq, error. */
const SLOT: Readonly<Record<ExceptionClass, number>> = { sync: 0, irq: 1 };
const EL1H = HANDLERS + 4 * EL1_HANDLER_BYTES;
const EL0T_64 = HANDLERS + 8 * EL1_HANDLER_BYTES;
const EL0T_32 = EL0T_64 + 4 * EL0_HANDLER_BYTES;
/** The largest of the 16 handler offsets (el0t_32_error): what RFCv2's guest sends, before + 4096. */
export const ARM64_MAX_HANDLER_OFFSET = EL0T_32 + 3 * EL0_HANDLER_BYTES;
const RET_TO_KERNEL = EL0T_32 + 4 * EL0_HANDLER_BYTES;
const RET_TO_KERNEL_BYTES = 120;
const RET_TO_USER = RET_TO_KERNEL + RET_TO_KERNEL_BYTES;
const RET_TO_USER_BYTES = 292;
const ENTRY_TEXT_BYTES = 15_200;
const C_ENTRY = 0x10000;
const FAULT_FILES_BYTES = 7_924 + 5_672 + 2_152 + 4_656;

/** Vector table group offsets (facts/arm64.md §6): current EL with SP_ELx, lower EL AArch64. */
const VECTOR_GROUP: Readonly<Record<Privilege, number>> = { kernel: 0x200, user: 0x400 };


export function arm64CodeLayout(clockMHz: number): CodeLayout {
  const phase = (...a: Parameters<typeof timedPhase> extends [unknown, ...infer R] ? R : never) => timedPhase({ cyclesPerByte: CYCLES_PER_BYTE, clockMHz }, ...a);
  const entry = (cls: ExceptionClass, from: Privilege): CodePhase[] => {
    const el = from === 'user' ? 'el0t_64' : 'el1h_64';
    const handler = from === 'user' ? EL0T_64 + SLOT[cls] * EL0_HANDLER_BYTES : EL1H + SLOT[cls] * EL1_HANDLER_BYTES;
    const handlerBytes = from === 'user' ? EL0_HANDLER_BYTES : EL1_HANDLER_BYTES;
    const cOffset = C_ENTRY + (from === 'user' ? 0 : 0x800) + (cls === 'irq' ? 0x400 : 0);
    return [
      phase(`vectors+0x${(VECTOR_GROUP[from] + SLOT[cls] * 0x80).toString(16)}`, 'vectors', VECTOR_GROUP[from] + SLOT[cls] * 0x80, VECTOR_STUB_BYTES, null),
      phase(`${el}_${cls} (kernel_entry)`, 'entry', handler, handlerBytes, 'stack'),
      phase(`${el}_${cls}_handler (entry-common.c)`, 'fault', cOffset, from === 'user' ? 256 : 200, 'thread-info'),
    ];
  };
  const exits: Readonly<Record<Privilege, readonly CodePhase[]>> = {
    user: [phase('ret_to_user (kernel_exit 0)', 'entry', RET_TO_USER, RET_TO_USER_BYTES, 'stack')],
    kernel: [phase('ret_to_kernel (kernel_exit 1)', 'entry', RET_TO_KERNEL, RET_TO_KERNEL_BYTES, 'stack')],
  };
  return {
    entry: cachedEntry(entry),
    exit: (to) => exits[to],
    // SVC is a synchronous exception from EL0: el0t_64_sync → el0_svc.
    syscall: entry('sync', 'user'),
    contextSwitch: { ...phase('__schedule (rq lock held)', 'kernel', 0x200000, 4, 'thread', false), rqLocked: true },
    regions: [
      { region: 'vectors', pc: 0, bytes: 0x800, what: 'vectors (VBAR_EL1, 16 × 0x80)' },
      { region: 'entry', pc: HANDLERS, bytes: ENTRY_TEXT_BYTES - 0x800, what: 'entry.S: entry_handler bodies, ret_to_kernel, ret_to_user' },
      { region: 'fault', pc: C_ENTRY, bytes: FAULT_FILES_BYTES, what: 'entry-common.c, traps.c, debug-monitors.c, mm/fault.c' },
      { region: 'kernel', pc: 0x200000, bytes: 0, what: 'the rest of the kernel (scheduler, system call bodies)' },
      { region: 'modules', pc: -0x8000000, bytes: 0, what: 'modules and eBPF JIT code (the vmalloc area); no workload runs there in this version' },
    ],
    source: 'Linux 6.12 arm64 defconfig object sizes (facts/anchors.md §A6b); placement and time per byte assumed (arches/arm64/code-layout.ts)',
  };
}
