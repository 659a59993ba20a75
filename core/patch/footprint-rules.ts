/**
 * Where a file of a KVM patch runs, from its path: the first rule that matches wins, so the
 * narrower rules come first. `*` is one path component, `**` any number (zero or more).
 *
 * The split follows the kernel tree as DESIGN.md describes it: `virt/kvm/` and each `arch/<arch>/kvm/`
 * are the host; the rest of `arch/<arch>/` is the kernel that runs as the guest; the ABI the two
 * share is uapi and kvm_para.h (the PV feature bits, the shared area, the reasons); the
 * tracepoints are KVM's one events file.
 */

export type FootprintGroup = 'host' | 'guest' | 'abi' | 'tracepoints' | 'other';

/** The groups in the order the command prints them. */
export const FOOTPRINT_GROUPS: readonly FootprintGroup[] = ['host', 'guest', 'abi', 'tracepoints', 'other'];

export const FOOTPRINT_GROUP_NAMES: Readonly<Record<FootprintGroup, string>> = {
  host: 'host (KVM)',
  guest: 'guest kernel',
  abi: 'ABI shared with the guest',
  tracepoints: 'tracepoints',
  other: 'other',
};

export interface FootprintRule {
  readonly pattern: string;
  readonly group: FootprintGroup;
}

export const FOOTPRINT_RULES: readonly FootprintRule[] = [
  { pattern: 'include/trace/events/kvm.h', group: 'tracepoints' },
  { pattern: 'arch/*/kvm/trace.h', group: 'tracepoints' },
  { pattern: 'include/uapi/**', group: 'abi' },
  { pattern: 'arch/*/include/uapi/**', group: 'abi' },
  { pattern: 'arch/*/include/asm/kvm_para.h', group: 'abi' },
  { pattern: 'include/linux/kvm_para.h', group: 'abi' },
  // Before uapi/ existed (2010) this was the userspace ABI header.
  { pattern: 'include/linux/kvm.h', group: 'abi' },
  { pattern: 'Documentation/virt/kvm/**', group: 'abi' },
  { pattern: 'Documentation/virtual/kvm/**', group: 'abi' },
  { pattern: 'virt/kvm/**', group: 'host' },
  { pattern: 'arch/*/kvm/**', group: 'host' },
  { pattern: 'include/linux/kvm_host.h', group: 'host' },
  { pattern: 'include/linux/kvm_types.h', group: 'host' },
  { pattern: 'include/kvm/**', group: 'host' },
  { pattern: 'arch/*/include/asm/kvm_host.h', group: 'host' },
  { pattern: 'arch/*/include/asm/kvm_*.h', group: 'host' },
  { pattern: 'arch/*/kernel/**', group: 'guest' },
  { pattern: 'arch/*/mm/**', group: 'guest' },
  { pattern: 'arch/*/include/asm/**', group: 'guest' },
  { pattern: 'arch/*/Kconfig', group: 'guest' },
  { pattern: 'drivers/firmware/**', group: 'guest' },
];

export const DEFAULT_GROUP: FootprintGroup = 'other';

/** A rule's pattern as a regular expression over the whole path. */
export function ruleRegExp(pattern: string): RegExp {
  const body = pattern
    .split('/')
    .map((part) => (part === '**' ? '(?:.*)' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')))
    .join('/')
    .replace(/\/\(\?:\.\*\)$/, '(?:/.*)?');
  return new RegExp(`^${body}$`);
}
