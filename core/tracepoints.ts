/**
 * How KVM prints its async page fault tracepoints: the TP_printk formats of
 * include/trace/events/kvm.h in Linux 6.12 (facts/anchors.md §B "Event formats"). The lab's own
 * events (the arch backends' kvm_sdei_*, kvm_async_pf_ack, and core's apf_lab_*) have no kernel
 * format; they print their fields in the order emitted.
 */

export type TraceFields = Readonly<Record<string, number>>;

/** How a number is written: the kernel's `%#llx`, or a caller's (a diff writes a fault's token as `<token>`). */
export type ValueText = (value: number, field: string) => string;

/**
 * `%#llx` as the kernel's vsnprintf() prints it: the `#` flag adds 0x only to a non-zero value,
 * so a zero gva prints as `0` (facts/anchors.md §B: "accept both 0 and 0x0").
 */
export function kernelHex(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}

const getPage = (f: TraceFields, x: ValueText) => `gva = ${x(f.gva, 'gva')}, gfn = ${x(f.gfn, 'gfn')}`;
const tokenGva = (f: TraceFields, x: ValueText) => `token ${x(f.token, 'token')} gva ${x(f.gva, 'gva')}`;

/**
 * The upstream events, in the order a fault meets them. kvm_async_pf_repeated_fault is the 2023
 * name of kvm_async_pf_doublefault; kvm_async_pf_completed is printed in its 6.12 form (no pfn, no type).
 */
const KERNEL_FORMATS: Readonly<Record<string, (f: TraceFields, x: ValueText) => string>> = {
  kvm_try_async_get_page: getPage,
  kvm_async_pf_repeated_fault: getPage,
  kvm_async_pf_not_present: tokenGva,
  kvm_async_pf_completed: (f, x) => `gva ${x(f.gva, 'gva')} address ${x(f.address, 'address')}`,
  kvm_async_pf_ready: tokenGva,
};

/** The events Linux itself has (system `kvm`, CONFIG_KVM_ASYNC_PF); everything else the lab emits is its own. */
export const UPSTREAM_TRACEPOINTS: readonly string[] = Object.keys(KERNEL_FORMATS);

export function isUpstreamTracepoint(event: string): boolean {
  return Object.hasOwn(KERNEL_FORMATS, event);
}

/** A lab event's fields that are addresses, page numbers, tokens or event numbers: hex, as the kernel's are. */
const HEX_FIELDS = new Set(['gfn', 'gva', 'address', 'token', 'num']);

/**
 * The text after `event: ` on a trace line. A lab event's fields follow in the order emitted, as
 * `name value`: addresses and tokens in hex, counts, ids, flags and times (ns) in decimal.
 */
export function tracepointText(event: string, fields: TraceFields, value: ValueText = kernelHex): string {
  if (isUpstreamTracepoint(event)) return KERNEL_FORMATS[event](fields, value);
  return Object.entries(fields)
    .map(([k, n]) => `${k} ${HEX_FIELDS.has(k) ? value(n, k) : String(n)}`)
    .join(' ');
}

/**
 * Reading a capture back (`apf-lab ingest`): the same five events, with what kernels other than
 * 6.12 print (facts/anchors.md §B): the pre-2023 name kvm_async_pf_doublefault, and a
 * kvm_async_pf_completed with a trailing `pfn` and the RFC's `type`. `%#llx` writes zero as `0`;
 * `0x0` is accepted too.
 */
const HEX = '(0|0x[0-9a-fA-F]+)';
const FIELD_PATTERNS: Readonly<Record<string, { readonly re: RegExp; readonly fields: readonly string[]; readonly format: string }>> = {
  kvm_try_async_get_page: { re: new RegExp(`^gva = ${HEX}, gfn = ${HEX}$`), fields: ['gva', 'gfn'], format: 'gva = %#llx, gfn = %#llx' },
  kvm_async_pf_repeated_fault: { re: new RegExp(`^gva = ${HEX}, gfn = ${HEX}$`), fields: ['gva', 'gfn'], format: 'gva = %#llx, gfn = %#llx' },
  kvm_async_pf_not_present: { re: new RegExp(`^token ${HEX} gva ${HEX}$`), fields: ['token', 'gva'], format: 'token %#llx gva %#llx' },
  kvm_async_pf_ready: { re: new RegExp(`^token ${HEX} gva ${HEX}$`), fields: ['token', 'gva'], format: 'token %#llx gva %#llx' },
  kvm_async_pf_completed: {
    re: new RegExp(`^gva ${HEX} address ${HEX}(?: pfn ${HEX})?(?:,? type(?: =)? (?:kernel|user))?$`),
    fields: ['gva', 'address', 'pfn'],
    format: 'gva %#llx address %#lx [pfn %#llx] [type %s]',
  },
};

/** The tracepoint names a capture may use for Linux's events, by the name the lab uses. */
const ALIASES: Readonly<Record<string, string>> = { kvm_async_pf_doublefault: 'kvm_async_pf_repeated_fault' };

/** The lab's name of an upstream async-PF event under any of its kernel names, or null. */
export function upstreamTracepointName(event: string): string | null {
  if (Object.hasOwn(ALIASES, event)) return ALIASES[event];
  return isUpstreamTracepoint(event) ? event : null;
}

/** Whether `start` begins a kernel name of an upstream async-PF event (`kvm_async`, `kvm_try_`, or nothing yet). */
export function beginsUpstreamTracepointName(start: string): boolean {
  return [...UPSTREAM_TRACEPOINTS, ...Object.keys(ALIASES)].some((name) => name.startsWith(start));
}

/** The TP_printk format an upstream event's text must have (for an error message). */
export function tracepointFormat(event: string): string {
  return FIELD_PATTERNS[event].format;
}

/**
 * A 64-bit value of a trace: a number where it is exact (up to 13 significant hex digits), a bigint above (a
 * gva may be a kernel address). One value always gets the same type, so either keys a Map.
 */
export type TraceValue = number | bigint;

/** The value, or null when it is wider than the u64 of the event's fields (include/trace/events/kvm.h). */
function traceValue(hex: string): TraceValue | null {
  // Typed by its significant digits, so that leading zeros do not make one value a number here and a bigint there.
  const digits = hex.replace(/^0x0*/, '').length;
  if (digits > 16) return null;
  return digits <= 13 ? Number(hex) : BigInt(hex);
}

/** The fields of an upstream event's text, or null when the text is not in the event's format. */
export function parseTracepointFields(event: string, text: string): Record<string, TraceValue> | null {
  const p = FIELD_PATTERNS[event];
  const m = p.re.exec(text.trim());
  if (m === null) return null;
  const out: Record<string, TraceValue> = {};
  for (const [i, name] of p.fields.entries()) {
    if (m[i + 1] === undefined) continue;
    const value = traceValue(m[i + 1]);
    if (value === null) return null;
    out[name] = value;
  }
  return out;
}
