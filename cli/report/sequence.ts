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

/**
 * What a diagram needs of the design beyond its words: whether page-ready goes only to faults the
 * guest was told of (Backend.caps.readyOnlyIfNotPresentInjected; x86 since 2a18b7e7cd88), or to
 * every completed fault, as 2.6.38 sent it (facts/x86.md §2 "2010 ready path", §6 "Dummy-entry leak").
 */
export interface SequenceDesign {
  readonly readyOnlyIfNotPresentInjected: boolean;
}

export function faultSequence(id: string, life: FaultLife, m: Mechanisms, design: SequenceDesign): SequenceView {
  const participants = [
    { id: 'T' as const, label: `guest task ${life.task}` },
    { id: 'V' as const, label: `vCPU ${life.vcpu}` },
    { id: 'H' as const, label: 'host (KVM)' },
    { id: 'S' as const, label: 'backing store' },
  ];
  const steps: Step[] = [];
  const events = life.events;
  const halted = events.some((e) => e.event === 'apf_lab_halt');
  const retried = events.some((e) => e.event === 'apf_lab_retry');
  // Told: the guest took this fault's not-present (not a halt or a retry the host chose instead).
  const told = events.some((e) => e.event === 'kvm_async_pf_not_present') && !halted && !retried;
  // A fault the hardware gave the guest with no exit (#VE, a stage-2 fault at EL1): the guest's
  // handler asks for the page with a hypercall, and the token is the host's answer to it.
  const guestFault = events.some((e) => e.event === 'apf_lab_guest_fault');
  // An SDEI not-present: the handler only flags the task, which sleeps once the event completes and
  // the guest returns to user (facts/arm64.md §4, do_sdei_event(); §1 v1 TIF_ASYNC_PF).
  const sdei = events.some((e) => e.event === 'kvm_sdei_deliver');
  // Where a handler flags the task (SDEI, James Morse's PPI), the traced sleep at its return to user.
  const flaggedSleep = events.some((e) => e.event === 'apf_lab_flagged_sleep');
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
        if (told) {
          if (guestFault) {
            add('V', 'H', 'the guest handler\'s hypercall asks for the page: an exit');
            add('H', 'S', 'read the page (async)');
            add('H', 'V', `token ${hex(e.fields.token)} returned to the guest: ${m.notPresent}`);
          } else {
            add('H', 'V', `not present, token ${hex(e.fields.token)}: ${m.notPresent}`);
          }
          if (flaggedSleep && !sdei) add('V', 'V', 'the guest\'s handler flags the task, to sleep at its return to user');
          else if (!sdei) add('V', 'T', 'the guest puts the task to sleep and runs another');
        }
        break;
      case 'apf_lab_halt':
        // x86.c kvm_arch_async_page_not_present(): KVM_REQ_APF_HALT; an interrupt still runs the
        // guest, and the access, re-executed, faults again (facts/x86.md §2 "Synthetic halt").
        add('V', 'V', 'not told: the host halts the vCPU until the page is in (an interrupt may run the guest meanwhile)');
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
        if (told) {
          add('H', 'V', `page ready, token ${hex(e.fields.token)}: ${m.ready}`);
          add('V', 'T', 'the guest wakes the task');
        } else if (design.readyOnlyIfNotPresentInjected) {
          // kvm_arch_async_page_present(): no page-ready without an injected not-present; the
          // halt is cleared either way (facts/x86.md §2 "Completion").
          add('H', 'V', halted ? 'page in: the halt is cleared; no page-ready, the guest was never told' : 'page in: no page-ready, the guest was never told');
        } else {
          add('H', 'V', `page ready, token ${hex(e.fields.token)}, for a fault the guest was never told of: ${m.ready}`);
          add('V', 'V', 'no sleeper has the token: the guest leaves a dummy entry nobody consumes');
        }
        break;
      case 'kvm_sdei_deliver':
        add('H', 'V', `SDEI event ${hex(e.fields.num)} dispatched at entry: the handler flags the task`);
        break;
      case 'kvm_sdei_complete':
        add('V', 'H', `SDEI_EVENT_COMPLETE${e.fields.resume ? '_AND_RESUME' : ''}: a hypercall exit`);
        if (told && e.fields.resume) add('H', 'V', 'KVM enters the guest\'s IRQ vector, as if an IRQ had been taken');
        // Its sleep is drawn where it was traced; untraced (the task went on elsewhere), said here.
        if (told && !flaggedSleep) add('V', 'T', e.fields.resume ? 'at the return to user the flagged task sleeps on the token; another runs' : 'the flagged task sleeps at a later return to user');
        break;
      case 'apf_lab_flagged_sleep':
        if (told) add('V', 'T', 'at the return to user the flagged task sleeps on the token; another runs');
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
/** Width of one character of the 11 px sans-serif text, as the layout reckons it. */
const CHAR = 6.2;

function sequenceSvg(id: string, labels: readonly string[], steps: readonly Step[]): SequenceSvg {
  const xOf = (a: Actor) => X0 + 'TVHS'.indexOf(a) * COL;
  // Wide enough for the longest step: a mechanism's words can run past the four lifelines, and an
  // SVG clips what falls outside its viewBox.
  const width = Math.max(X0 * 2 + 3 * COL, Math.ceil(Math.max(0, ...steps.map((s) => `${s.at}  ${s.text}`.length * CHAR)) + 40));
  const arrows: SequenceSvg['arrows'][number][] = [];
  const notes: SequenceSvg['notes'][number][] = [];
  steps.forEach((s, i) => {
    const y = TOP + 30 + i * ROW;
    const text = `${s.at}  ${s.text}`;
    if (s.note) {
      const w = Math.min(width - 20, 40 + text.length * CHAR);
      const x = Math.max(10, Math.min(xOf(s.from) - w / 2, width - 10 - w));
      notes.push({ x, y: y - 16, w, textX: x + w / 2, textY: y, text });
    } else {
      const x1 = xOf(s.from);
      const x2 = xOf(s.to);
      // Centred over the arrow, but kept inside the picture.
      const half = (text.length * CHAR) / 2;
      const textX = Math.round(Math.max(5 + half, Math.min(width - 5 - half, (x1 + x2) / 2)));
      arrows.push({ x1, x2, y: y + 4, textX, textY: y - 2, text, anchor: 'middle' });
    }
  });
  const bottom = TOP + 30 + steps.length * ROW;
  return {
    id: id.replace(/[^A-Za-z0-9_-]/g, '_'),
    width,
    height: bottom + 20,
    lifelines: labels.map((label, i) => ({ x: X0 + i * COL, label, bottom })),
    arrows,
    notes,
  };
}

