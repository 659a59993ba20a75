import { cachedEntry, timedPhase, type CodeLayout, type CodePhase, type ExceptionClass, type Privilege } from '../../core/guest/code-layout.js';

/**
 * The x86-64 guest kernel's exception code (core/guest/code-layout.ts), with offsets from the start
 * of `.entry.text`, where the IDT entry stubs live (x86 has no VBAR: the IDT points into this text).
 *
 * Assumptions (README "Assumptions"); no x86 object sizes are in facts/, so the sizes are round
 * figures for the code Linux 6.12 runs:
 * - an IDT stub (`asm_exc_page_fault`, `asm_sysvec_*`: idtentry) 64 B, then `error_entry` with
 *   PUSH_AND_CLEAR_REGS and the stack switch 320 B (entry_64.S), then the C prologue that reads
 *   CR2 and calls irqentry_enter() (mm/fault.c, kernel/entry/common.c) 256 B, with IF = 0 throughout;
 * - the way out (`error_return`, `swapgs_restore_regs_and_return_to_usermode`, IRET) 200 B;
 * - SYSCALL enters at `entry_SYSCALL_64` (240 B, no IDT stub) and do_syscall_64()'s prologue (128 B).
 * - Time is proportional to the bytes run: 1.12 cycles per byte, so that the #PF entry (640 B) takes
 *   ~715 cycles and the return (200 B) ~225 cycles, near the 715 + 330 cycles quoted for a #PF and
 *   IRET on Haswell (facts/anchors.md §A6a).
 */
const CYCLES_PER_BYTE = 1.12;
const IDT_STUBS = 0x0;
const ENTRY_64 = 0x1000;
const C_ENTRY = 0x10000;


export function x86CodeLayout(clockMHz: number): CodeLayout {
  const phase = (...a: Parameters<typeof timedPhase> extends [unknown, ...infer R] ? R : never) => timedPhase({ cyclesPerByte: CYCLES_PER_BYTE, clockMHz }, ...a);
  const stub: Readonly<Record<ExceptionClass, string>> = { sync: 'asm_exc_page_fault', irq: 'asm_sysvec_apic_timer_interrupt' };
  const entry = (cls: ExceptionClass, from: Privilege): CodePhase[] => [
    phase(`${stub[cls]} (idtentry)`, 'vectors', IDT_STUBS + (cls === 'irq' ? 0x800 : 0), 64, null),
    phase(from === 'user' ? 'error_entry (swapgs, PUSH_AND_CLEAR_REGS)' : 'error_entry (PUSH_AND_CLEAR_REGS)', 'entry', ENTRY_64, 320, 'stack'),
    phase(cls === 'sync' ? 'exc_page_fault prologue (read_cr2, irqentry_enter)' : 'sysvec prologue (irqentry_enter)', 'fault', C_ENTRY + (cls === 'irq' ? 0x400 : 0), 256, 'thread-info'),
  ];
  const exits: Readonly<Record<Privilege, readonly CodePhase[]>> = {
    user: [phase('swapgs_restore_regs_and_return_to_usermode (IRET)', 'entry', ENTRY_64 + 0x400, 200, 'stack')],
    kernel: [phase('error_return → restore_regs_and_return_to_kernel (IRET)', 'entry', ENTRY_64 + 0x500, 160, 'stack')],
  };
  return {
    entry: cachedEntry(entry),
    exit: (to) => exits[to],
    syscall: [
      phase('entry_SYSCALL_64 (swapgs, stack switch, PUSH_AND_CLEAR_REGS)', 'entry', ENTRY_64 + 0x800, 240, 'stack'),
      phase('do_syscall_64 prologue (syscall_enter_from_user_mode)', 'fault', C_ENTRY + 0x800, 128, 'thread-info'),
    ],
    contextSwitch: { ...phase('__schedule (rq lock held)', 'kernel', 0x200000, 4, 'thread', false), rqLocked: true },
    regions: [
      { region: 'vectors', pc: IDT_STUBS, bytes: 0x1000, what: 'IDT entry stubs (idtentry, .entry.text)' },
      { region: 'entry', pc: ENTRY_64, bytes: 0x1000, what: 'entry_64.S: error_entry, entry_SYSCALL_64, the return paths' },
      { region: 'fault', pc: C_ENTRY, bytes: 0x1000, what: 'kernel/entry/common.c, arch/x86/entry/common.c, traps.c, mm/fault.c prologues' },
      { region: 'kernel', pc: 0x200000, bytes: 0, what: 'the rest of the kernel (scheduler, system call bodies)' },
      { region: 'modules', pc: -0x8000000, bytes: 0, what: 'modules and eBPF JIT code (the module area); no workload runs there in this version' },
    ],
    source: 'round sizes for Linux 6.12 x86-64 entry code, timed from facts/anchors.md §A6a (arches/x86/code-layout.ts)',
  };
}
