import type { Variant } from '../backend.js';
import { BadInputError, InterruptedError } from '../errors.js';
import { Harness } from '../harness.js';
import type { TraceSink } from '../trace.js';
import { tracepointText } from '../tracepoints.js';
import { stateLine } from './state-line.js';
import { drain, problemsAtRest, type Problem, type ProblemKind } from './at-rest.js';
import { checkPages, FAULT_CONTEXTS, nextSteps, playStep, type CheckBounds, type CheckStep } from './steps.js';

/**
 * `apf-lab check <variant>`: every order of the protocol's steps up to a depth (core/check/steps.ts),
 * each replayed on a fresh protocol harness (core/harness.ts), brought to rest and judged
 * (core/check/at-rest.ts). The invariant monitor runs inside every step, as in a run. For each kind
 * of wrong found, the shortest order that shows it is kept and replayed once more with the
 * tracepoints on, so that it reads as a host's trace would. A bounded walk in the spirit of the small
 * model-checked configurations of facts/anchors.md §C — no state hashing: every order is replayed
 * from boot, and the bounds keep that small.
 */

export const CHECK_LIMITS = { vcpus: 3, pages: 4, depth: 10, maxOrders: 2_000_000 } as const;
export const CHECK_DEFAULTS: CheckBounds & { readonly maxOrders: number } = { vcpus: 1, pages: 2, depth: 6, contexts: FAULT_CONTEXTS, maxOrders: 200_000 };

/** Guest memory of each replayed machine: pages 0–255 resident, the walk's pages just above. */
const CHECK_GUEST_MIB = 2;

export interface TraceLine {
  /** The step (0-based) the event came from, or null for the drain after the last step. */
  readonly step: number | null;
  readonly vcpu: number;
  readonly event: string;
  readonly text: string;
}

export interface CheckFinding {
  readonly kind: ProblemKind;
  /** What was wrong at rest after the shortest order. */
  readonly problems: readonly string[];
  readonly steps: readonly CheckStep[];
  /** Orders that showed this kind (of those judged, when the walk was cut). */
  readonly orders: number;
  readonly trace: readonly TraceLine[];
  /** The machine after each step (core/check/state-line.ts), then at rest. */
  readonly states: readonly string[];
}

export interface CheckResult {
  readonly variant: string;
  readonly bounds: CheckBounds;
  /** Orders replayed and judged (every prefix counts: it is drained and judged too). */
  readonly orders: number;
  /** False when the walk stopped at maxOrders before it had seen every order. */
  readonly exhaustive: boolean;
  /** Every order of up to this many steps was judged (the depth when exhaustive; 0 when only the empty order was). */
  readonly completeDepth: number;
  /** Some orders one step longer than completeDepth were judged too (a walk cut inside that length). */
  readonly partlyBeyond: boolean;
  readonly findings: readonly CheckFinding[];
}

/** What a caller may follow and stop: the orders judged so far and the length of the level being walked. */
export interface CheckOptions {
  readonly onProgress?: (orders: number, level: number) => void;
  /** Read every few dozen orders: once set, the walk stops with an InterruptedError (Ctrl-C). */
  readonly signal?: { readonly aborted: boolean };
}

/** Orders between two looks at the caller's progress and stop flag: a few milliseconds of walking. */
const PROGRESS_ORDERS = 32;

/** The first order that showed each kind of wrong (a shortest one: the walk goes level by level), and how many showed it. */
type FirstSeen = Map<ProblemKind, { steps: readonly CheckStep[]; problems: Problem[]; orders: number }>;

/** A walk under way: its bounds, what it found, and how many orders it judged. */
interface Walk {
  readonly variant: Variant;
  readonly bounds: CheckBounds;
  readonly pages: readonly number[];
  readonly maxOrders: number;
  readonly options: CheckOptions;
  readonly first: FirstSeen;
  orders: number;
}

export function checkVariant(variant: Variant, bounds: CheckBounds, maxOrders: number = CHECK_DEFAULTS.maxOrders, options: CheckOptions = {}): CheckResult {
  checkBounds(bounds, maxOrders);
  const walk: Walk = { variant, bounds, pages: checkPages(bounds), maxOrders, options, first: new Map(), orders: 0 };
  // Level by level (iterative deepening): a walk cut at maxOrders has judged every order up to
  // some length, and the first order that shows a kind is a shortest one.
  let complete = -1;
  let partlyBeyond = false;
  for (let level = 0; level <= bounds.depth; level++) {
    const before = walk.orders;
    const judged = walkLevel(walk, level);
    if (judged === 'cut') {
      partlyBeyond = walk.orders > before;
      break;
    }
    // No order of this length: there is none longer either.
    complete = judged === 'none' ? bounds.depth : level;
    if (judged === 'none') break;
  }
  const findings = [...walk.first.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([kind, f]) => ({ kind, problems: f.problems.map((p) => p.message), steps: f.steps, orders: f.orders, ...traced(variant, bounds, f.steps) }));
  return { variant: variant.id, bounds, orders: walk.orders, exhaustive: complete === bounds.depth, completeDepth: complete, partlyBeyond, findings };
}

/**
 * Judge every order of exactly `level` steps: 'all' of them, 'none' (there is no such order), or
 * 'cut' at maxOrders. Depth first, children in the order nextSteps() gives them: the same walk on
 * every run, and a stack of at most depth x branching sequences. Orders shorter than the level are
 * replayed again only to reach the next ones, which costs a fraction of the level itself (each
 * order has several).
 */
function walkLevel(w: Walk, level: number): 'all' | 'none' | 'cut' {
  let any = false;
  const stack: (readonly CheckStep[])[] = [[]];
  while (stack.length > 0) {
    const seq = stack.pop()!;
    const h = replay(w.variant, w.bounds, seq);
    if (seq.length < level) {
      const next = nextSteps(h, seq, w.bounds, w.pages);
      for (let i = next.length - 1; i >= 0; i--) stack.push([...seq, next[i]]);
      continue;
    }
    if (w.orders === w.maxOrders) return 'cut';
    any = true;
    drain(h, w.pages);
    if (++w.orders % PROGRESS_ORDERS === 0) {
      w.options.onProgress?.(w.orders, level);
      if (w.options.signal?.aborted) throw new InterruptedError();
    }
    for (const [kind, problems] of byKind(problemsAtRest(h))) {
      const seen = w.first.get(kind);
      if (seen === undefined) w.first.set(kind, { steps: seq, problems, orders: 1 });
      else seen.orders++;
    }
  }
  return any ? 'all' : 'none';
}

function replay(variant: Variant, bounds: CheckBounds, seq: readonly CheckStep[]): Harness {
  const h = booted(variant, bounds);
  for (const s of seq) playStep(h, s);
  return h;
}

/**
 * A machine as the walk starts from: booted, and every vCPU entered once since, as a guest that
 * enabled async PF has been before its tasks run. Enabling queues a wake-all (facts/x86.md §2,
 * kvm_pv_enable_async_pf()); a real guest takes it at the entry after its enabling write, before
 * any task of its can fault, so a walk that let a fault come first would find a leak no guest has.
 */
function booted(variant: Variant, bounds: CheckBounds, trace?: TraceSink): Harness {
  const h = new Harness(variant, { vcpus: bounds.vcpus, guestMemoryMiB: CHECK_GUEST_MIB, trace });
  drain(h, []);
  return h;
}

function byKind(problems: readonly Problem[]): Map<ProblemKind, Problem[]> {
  const out = new Map<ProblemKind, Problem[]>();
  for (const p of problems) out.set(p.kind, [...(out.get(p.kind) ?? []), p]);
  return out;
}

/** The order replayed with the tracepoints on: each event with the step it came from. */
function traced(variant: Variant, bounds: CheckBounds, steps: readonly CheckStep[]): { trace: TraceLine[]; states: string[] } {
  const lines: TraceLine[] = [];
  const states: string[] = [];
  const pages = checkPages(bounds);
  let step: number | null = null;
  const h = booted(variant, bounds, (_t, vcpu, event, fields) => void lines.push({ step, vcpu, event, text: tracepointText(event, fields) }));
  // What boot did (the guest's enable, the wake-all it queued) is not part of the order.
  lines.length = 0;
  steps.forEach((s, i) => {
    step = i;
    playStep(h, s);
    states.push(stateLine(h, pages));
  });
  step = null;
  drain(h, pages);
  states.push(stateLine(h, pages));
  return { trace: lines, states };
}

function checkBounds(b: CheckBounds, maxOrders: number): void {
  // Library input: a plain-JS caller gets the mistake named, not a TypeError from inside the walk.
  if (typeof b !== 'object' || b === null) throw new BadInputError(`check: bounds must be an object (vcpus, pages, depth, contexts), got ${b === null ? 'null' : typeof b}`);
  const whole = (name: string, n: number, lo: number, hi: number) => {
    if (!Number.isInteger(n) || n < lo || n > hi) throw new BadInputError(`check: ${name} must be a whole number from ${lo} to ${hi}, got ${String(n)}`);
  };
  whole('vcpus', b.vcpus, 1, CHECK_LIMITS.vcpus);
  whole('pages', b.pages, 1, CHECK_LIMITS.pages);
  whole('depth', b.depth, 1, CHECK_LIMITS.depth);
  whole('maxOrders', maxOrders, 1, CHECK_LIMITS.maxOrders);
  if (!Array.isArray(b.contexts)) throw new BadInputError(`check: contexts must be an array of ${FAULT_CONTEXTS.join(', ')}`);
  if (b.contexts.length === 0) throw new BadInputError(`check: name at least one fault context (${FAULT_CONTEXTS.join(', ')})`);
  const unknown = b.contexts.find((c) => !FAULT_CONTEXTS.includes(c));
  if (unknown !== undefined) throw new BadInputError(`check: unknown fault context ${JSON.stringify(unknown)}: one of ${FAULT_CONTEXTS.join(', ')}`);
  // A context named twice would walk every fault in it twice, and count those orders twice.
  const twice = b.contexts.find((c, i) => b.contexts.indexOf(c) !== i);
  if (twice !== undefined) throw new BadInputError(`check: fault context ${JSON.stringify(twice)} named twice`);
  if (b.migrate !== undefined && typeof b.migrate !== 'boolean') throw new BadInputError(`check: migrate must be true or false, got ${JSON.stringify(b.migrate)}`);
  if (b.hotplug !== undefined && typeof b.hotplug !== 'boolean') throw new BadInputError(`check: hotplug must be true or false, got ${JSON.stringify(b.hotplug)}`);
  // CPU 0 stays up (x86: arch_cpu_is_hotpluggable(), e59e74dc48a3): a CPU to take down needs a second one.
  if (b.hotplug === true && b.vcpus < 2) throw new BadInputError('check: hotplug needs at least 2 vCPUs (CPU 0 cannot go offline)');
}
