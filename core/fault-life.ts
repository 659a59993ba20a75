import { PAGE_SIZE } from './scenario/limits.js';
import type { TraceSink } from './trace.js';

/** One traced event of a fault's life, as the trace sink gave it. */
export interface FaultLifeEvent {
  readonly timeNs: number;
  readonly vcpu: number;
  readonly event: string;
  readonly fields: Readonly<Record<string, number>>;
}

/** One task's fault on a host-missing page, from the stage-2 fault to the access done. */
export interface FaultLife {
  readonly task: number;
  readonly gfn: number;
  readonly vcpu: number;
  /** When the task's access faulted (before the exit), and how long until the access completed. */
  readonly startNs: number;
  readonly latencyNs: number;
  readonly events: readonly FaultLifeEvent[];
}

/** Faults followed at once, the oldest dropped for a new one. */
const OPEN_AT_MOST = 16;
/** Events kept of one fault (a design that retries may fault again many times). */
const MAX_EVENTS = 40;

interface Open {
  task: number;
  gfn: number;
  vcpu: number;
  startNs: number;
  events: FaultLifeEvent[];
  /** The token its not-present carried, once seen: the arch's own tracepoints name the fault by it. */
  token?: number;
}

/**
 * A trace sink that keeps one whole fault's life and drops everything else: from the
 * `apf_lab_stage2_fault` (or `apf_lab_guest_fault`) of a task's access (the first at or after `fromNs`) through the KVM
 * tracepoints on its page and vCPU to its `apf_lab_access_done`. It follows a few faults at once
 * and keeps the first one whose not-present the guest was told of to complete — the design's own
 * path, which a report's diagram is for — or, where none completes, the first of any kind; a run
 * costs a scan of at most 16 open faults per traced event and a few hundred bytes.
 */
export class FaultLifeRecorder {
  private readonly open: Open[] = [];
  private firstAsync: FaultLife | null = null;
  private first: FaultLife | null = null;

  constructor(private readonly fromNs: number) {}

  get life(): FaultLife | null {
    return this.firstAsync ?? this.first;
  }

  readonly sink: TraceSink = (timeNs, vcpu, event, fields) => {
    if (this.firstAsync !== null) return;
    // A fault that exits, or one the hardware hands straight to the guest (#VE, a stage-2 fault to EL1).
    if (event === 'apf_lab_stage2_fault' || event === 'apf_lab_guest_fault') {
      if (timeNs < this.fromNs) return;
      if (this.open.some((o) => o.task === fields.task)) return;
      // Full: the oldest gives way, so that faults that never finish (a task asleep for good) do not
      // keep every later one out.
      if (this.open.length >= OPEN_AT_MOST) this.open.shift();
      this.open.push({ task: fields.task, gfn: fields.gfn, vcpu, startNs: fields.start, events: [{ timeNs, vcpu, event, fields }] });
      return;
    }
    for (let i = 0; i < this.open.length; i++) {
      const o = this.open[i];
      if (event === 'apf_lab_access_done') {
        if (fields.task !== o.task) continue;
        o.events.push({ timeNs, vcpu, event, fields });
        const life = { task: o.task, gfn: o.gfn, vcpu: o.vcpu, startNs: o.startNs, latencyNs: fields.latency, events: o.events };
        // Told: a not-present the guest took, not a halt the host put the vCPU in instead.
        if (o.token !== undefined && !o.events.some((e) => e.event === 'apf_lab_halt')) this.firstAsync = life;
        else this.first ??= life;
        this.open.splice(i, 1);
        return;
      }
      if (o.events.length < MAX_EVENTS && belongsTo(o, vcpu, event, fields)) {
        if (event === 'kvm_async_pf_not_present') o.token = fields.token;
        o.events.push({ timeNs, vcpu, event, fields });
      }
    }
  };
}

/** An event on the fault's page, or a wait of its vCPU while the fault is being decided. */
function belongsTo(o: Open, vcpu: number, event: string, fields: Readonly<Record<string, number>>): boolean {
  if (vcpu !== o.vcpu) return false;
  if (fields.gfn !== undefined) return fields.gfn === o.gfn;
  if (fields.gva !== undefined) return fields.gva === o.gfn * PAGE_SIZE;
  // The arch's delivery steps (kvm_sdei_deliver/_complete) carry the fault's token.
  if (fields.token !== undefined) return o.token !== undefined && fields.token === o.token;
  // An acknowledgement names no page: the first one after this fault's page-ready is its own.
  if (event === 'kvm_async_pf_ack') return o.events.some((e) => e.event === 'kvm_async_pf_ready') && !o.events.some((e) => e.event === 'kvm_async_pf_ack');
  // apf_lab_halt / apf_lab_retry carry no page: only right after the fault itself was decided.
  const last = o.events[o.events.length - 1].event;
  return (event === 'apf_lab_halt' || event === 'apf_lab_retry') && (last === 'kvm_try_async_get_page' || last === 'kvm_async_pf_not_present' || last === 'kvm_async_pf_repeated_fault');
}
