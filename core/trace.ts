/**
 * Tracepoint sink: events carry KVM's tracepoint names byte for byte (facts/x86.md §4), emitted
 * where KVM emits them. Fields are the tracepoint's; the sink formats them.
 */
export type TraceSink = (timeNs: number, vcpu: number, event: string, fields: Readonly<Record<string, number>>) => void;
