import type { Mechanisms } from '../../core/backend.js';
import type { FaultLife } from '../../core/fault-life.js';
import { humanNs } from '../views/format.js';

/**
 * One traced fault's life as a sequence diagram: the steps come from the run's trace (core/
 * fault-life.ts), in the order and at the times they happened; the words for *not present* and
 * *ready* are the variant's own mechanisms. Rendered as Mermaid text (templates/md) and as SVG
 * geometry (templates/svg/partials/sequence.svg.hbs).
 */
export type Actor = 'T' | 'V' | 'H' | 'S';

export interface Step {
  /** A message from one lifeline to another, or a note over one (`from === to`). */
  readonly from: Actor;
  readonly to: Actor;
  readonly note: boolean;
  readonly text: string;
  /** Time since the fault, e.g. "+12.0 µs", and the tracepoint behind the step. */
  readonly at: string;
  readonly source: string;
}

export interface SequenceSvg {
  /** Unique in the page: the arrowhead marker's id. */
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly lifelines: readonly { readonly x: number; readonly label: string; readonly bottom: number }[];
  readonly arrows: readonly { readonly x1: number; readonly x2: number; readonly y: number; readonly textX: number; readonly textY: number; readonly text: string; readonly anchor: string }[];
  readonly notes: readonly { readonly x: number; readonly y: number; readonly w: number; readonly textX: number; readonly textY: number; readonly text: string }[];
}

export interface SequenceView {
  readonly participants: readonly { readonly id: Actor; readonly label: string }[];
  readonly steps: readonly Step[];
  readonly svg: SequenceSvg;
}

const hex = (n: number) => `0x${n.toString(16)}`;

export function faultSequence(id: string, life: FaultLife, m: Mechanisms): SequenceView {
  const participants = [
    { id: 'T' as const, label: `guest task ${life.task}` },
    { id: 'V' as const, label: `vCPU ${life.vcpu}` },
    { id: 'H' as const, label: 'host (KVM)' },
    { id: 'S' as const, label: 'backing store' },
  ];
  const steps: Step[] = [];
  const events = life.events;
  const halted = events.some((e) => e.event === 'apf_lab_halt');
  let retries = 0;
  for (const [i, e] of events.entries()) {
    const at = `+${humanNs(Math.max(0, e.timeNs - life.startNs))}`;
    const add = (from: Actor, to: Actor, text: string) => steps.push({ from, to, note: from === to, text, at, source: e.event });
    switch (e.event) {
      case 'apf_lab_stage2_fault':
        steps.push({ from: 'T', to: 'V', note: false, text: `touches gfn ${hex(life.gfn)}`, at: '+0 ns', source: e.event });
        add('V', 'H', 'stage-2 fault: exit to the host');
        break;
      case 'apf_lab_guest_fault':
        steps.push({ from: 'T', to: 'V', note: false, text: `touches gfn ${hex(life.gfn)}`, at: '+0 ns', source: e.event });
        add('V', 'V', 'the fault goes to the guest with no exit; its handler asks the host for the page');
        break;
      case 'kvm_try_async_get_page':
        if (retries === 0) add('H', 'S', 'read the page (async)');
        break;
      case 'kvm_async_pf_repeated_fault':
        add('H', 'H', 'repeated fault: the page is already on its way');
        break;
      case 'kvm_async_pf_not_present':
        if (!halted) {
          add('H', 'V', `not present, token ${hex(e.fields.token)}: ${m.notPresent}`);
          add('V', 'T', 'the guest puts the task to sleep and runs another');
        }
        break;
      case 'apf_lab_halt':
        add('V', 'V', 'not told: the vCPU halts until page ready');
        break;
      case 'apf_lab_retry':
        if (retries++ === 0) add('V', 'V', 'not told: re-enters the guest and faults again until the page is in');
        break;
      case 'apf_lab_sync_fault':
        add('H', 'S', 'read the page (sync)');
        add('V', 'V', 'blocked in the host: no interrupts until the page is in');
        break;
      case 'kvm_async_pf_completed':
        add('S', 'H', 'page read: on the done list');
        break;
      case 'kvm_async_pf_ready':
        add('H', 'V', `page ready, token ${hex(e.fields.token)}: ${m.ready}`);
        if (!halted) add('V', 'T', 'the guest wakes the task');
        break;
      case 'kvm_sdei_deliver':
        add('H', 'V', `SDEI event ${hex(e.fields.num)} dispatched at entry`);
        break;
      case 'kvm_sdei_complete':
        add('V', 'H', `SDEI_EVENT_COMPLETE${e.fields.resume ? '_AND_RESUME' : ''}: a hypercall exit`);
        break;
      case 'kvm_async_pf_ack':
        add('V', 'H', 'page ready acknowledged: an exit');
        break;
      case 'apf_lab_page_in':
        add('S', 'H', 'page read');
        add('H', 'V', 'mapped: the vCPU resumes');
        break;
      case 'apf_lab_access_done':
        add('V', 'T', `access done, ${humanNs(life.latencyNs)} after the fault`);
        break;
      default:
        if (i > 0) add('H', 'H', e.event);
    }
  }
  return { participants, steps, svg: sequenceSvg(id, participants.map((p) => p.label), steps) };
}

const COL = 180;
const X0 = 100;
const ROW = 34;
const TOP = 50;

function sequenceSvg(id: string, labels: readonly string[], steps: readonly Step[]): SequenceSvg {
  const xOf = (a: Actor) => X0 + 'TVHS'.indexOf(a) * COL;
  const arrows: SequenceSvg['arrows'][number][] = [];
  const notes: SequenceSvg['notes'][number][] = [];
  steps.forEach((s, i) => {
    const y = TOP + 30 + i * ROW;
    const text = `${s.at}  ${s.text}`;
    if (s.note) {
      const w = Math.min(3 * COL - 20, 40 + text.length * 6.2);
      const x = Math.max(10, Math.min(xOf(s.from) - w / 2, X0 + 3 * COL + 80 - w));
      notes.push({ x, y: y - 16, w, textX: x + w / 2, textY: y, text });
    } else {
      const x1 = xOf(s.from);
      const x2 = xOf(s.to);
      // Centred over the arrow, but kept inside the picture.
      const half = (text.length * 6.2) / 2;
      const textX = Math.round(Math.max(5 + half, Math.min(X0 * 2 + 3 * COL - 5 - half, (x1 + x2) / 2)));
      arrows.push({ x1, x2, y: y + 4, textX, textY: y - 2, text, anchor: 'middle' });
    }
  });
  const bottom = TOP + 30 + steps.length * ROW;
  return {
    id: id.replace(/[^A-Za-z0-9_-]/g, '_'),
    width: X0 * 2 + 3 * COL,
    height: bottom + 20,
    lifelines: labels.map((label, i) => ({ x: X0 + i * COL, label, bottom })),
    arrows,
    notes,
  };
}

