import type { ProblemKind } from '../../core/check/at-rest.js';
import { checkPages, describeStep, hex, type FaultContext } from '../../core/check/steps.js';
import type { CheckFinding, CheckResult, TraceLine } from '../../core/check/walk.js';
import { INVARIANT_NAMES } from '../../core/invariants.js';
import { count, plural } from './format.js';

/**
 * The view-model of templates/text/check.text.hbs and of the report's "Protocol check" section
 * (cli/report/protocol-check.ts): both say the same words, so they come from here.
 */
export interface CheckView {
  readonly variant: string;
  readonly bounds: string;
  readonly walked: string;
  /** What a walk that found nothing says; null when it found something. */
  readonly clean: string | null;
  readonly findings: readonly FindingView[];
}

interface FindingView {
  readonly heading: string;
  readonly steps: readonly { readonly line: string; readonly trace: readonly string[]; readonly state: string }[];
  /** What the drain after the last step does (core/check/at-rest.ts drain()), before its trace. */
  readonly atRest: string;
  readonly drain: readonly string[];
  /** The machine at rest, in one line. */
  readonly rest: string;
  readonly problems: readonly string[];
}

const NOTHING_WRONG =
  "Nothing wrong: DESIGN.md's invariants held at every step, and at rest no task slept, no vCPU waited, no work or event was left and the guest's sleep tables were empty.";
const AT_REST = 'then at rest (every read completes, the guest is back in user mode with interrupts on, every vCPU enters):';

const CONTEXT_WORDS: Readonly<Record<FaultContext, string>> = { user: 'user mode', kernel: 'kernel mode', 'irqs-off': 'kernel mode with interrupts off' };

const KIND_WORDS: Readonly<Record<Exclude<ProblemKind, `invariant-${number}`>, string>> = {
  'task-asleep': 'a task asleep for good',
  'vcpu-waiting': 'a vCPU waiting for good',
  'sleep-table-entry': "an entry left in the guest's sleep table",
  'work-undelivered': 'async-PF work never delivered',
  'event-pending': 'an event never injected',
};

export function buildCheckView(r: CheckResult): CheckView {
  const pages = checkPages(r.bounds);
  const range = pages.length === 1 ? hex(pages[0]) : `${hex(pages[0])}–${hex(pages[pages.length - 1])}`;
  return {
    variant: r.variant,
    bounds:
      `${plural(r.bounds.vcpus, 'vCPU')} (two tasks${r.bounds.vcpus === 1 ? '' : ' on each'}), ${plural(r.bounds.pages, 'host-missing page')} (gfn ${range}), ` +
      `every order of up to ${plural(r.bounds.depth, 'step')}; faults in ${r.bounds.contexts.map((c) => CONTEXT_WORDS[c]).join(', ')}` +
      (r.bounds.migrate === true ? '; a live migration once, anywhere' : '') +
      (r.bounds.hotplug === true ? '; a CPU other than 0 offline once, anywhere, and online once after' : ''),
    walked: r.exhaustive
      ? `${judged(r.orders)}: every order within these bounds`
      : `${judged(r.orders)}; stopped at --max-orders: NOT every order within these bounds, ${cutAt(r.completeDepth, r.partlyBeyond)}`,
    clean: r.findings.length === 0 ? NOTHING_WRONG : null,
    findings: r.findings.map((f) => findingView(f, r.orders)),
  };
}

function judged(orders: number): string {
  return `${plural(orders, 'order')}, ${orders === 1 ? '' : 'each '}brought to rest and judged`;
}

/** How far a cut walk got: it goes level by level, so every order up to some length was judged. */
function cutAt(complete: number, partlyBeyond: boolean): string {
  if (complete < 1) return 'not even every order of 1 step';
  return `only every order of up to ${plural(complete, 'step')}${partlyBeyond ? ` and some of ${complete + 1}` : ''}`;
}

function findingView(f: CheckFinding, orders: number): FindingView {
  const kind = f.kind.startsWith('invariant-') ? `invariant ${f.kind.slice(10)}: ${INVARIANT_NAMES[Number(f.kind.slice(10))]}` : KIND_WORDS[f.kind as keyof typeof KIND_WORDS];
  const shortest = f.steps.length === 0 ? 'with no step at all' : `the shortest, ${plural(f.steps.length, 'step')}`;
  return {
    heading: `${kind}: in ${count(f.orders)} of ${count(orders)} orders; ${shortest}`,
    steps: f.steps.map((s, i) => ({ line: `${i + 1}. ${describeStep(s)}`, trace: f.trace.filter((l) => l.step === i).map(traceLine), state: f.states[i] })),
    atRest: AT_REST,
    drain: f.trace.filter((l) => l.step === null).map(traceLine),
    rest: f.states[f.steps.length],
    problems: f.problems,
  };
}

function traceLine(l: TraceLine): string {
  return `vCPU ${l.vcpu}  ${l.event}${l.text === '' ? '' : `: ${l.text}`}`;
}
