import type { TraceValue } from '../tracepoints.js';
import { WAKE_ALL } from '../guest/sleep-table.js';
import type { ApfTraceEvent } from './capture.js';

/**
 * The async page faults of a capture, rebuilt from the order KVM traces them (Linux 6.12, facts/anchors.md
 * §B; PROTOCOLS.md §2). On the vCPU thread, __kvm_faultin_pfn() (arch/x86/kvm/mmu/mmu.c) traces
 * kvm_try_async_get_page, then kvm_async_pf_repeated_fault when the gfn is already outstanding, or
 * kvm_async_pf_not_present from kvm_arch_async_page_not_present() when the work is set up — traced
 * whether it is then injected or the vCPU halts; nothing after the try means the fault fell back to
 * a synchronous one (64 outstanding, no work allocated). A kworker traces kvm_async_pf_completed
 * (virt/kvm/async_pf.c async_pf_execute(), by gva: it has no token) after it queued the work as
 * done, so the vCPU's kvm_async_pf_ready (x86.c kvm_arch_async_page_present(), on the vCPU
 * thread, by token; `~0` for a wake-all) may be stamped a little before it.
 */

export interface ApfLife {
  readonly pid: number;
  readonly token: TraceValue;
  readonly gva: TraceValue;
  /** From the kvm_try_async_get_page before it; null if that was not in the capture. */
  readonly gfn: TraceValue | null;
  readonly tryNs: number | null;
  readonly notPresentNs: number;
  completedNs: number | null;
  readyNs: number | null;
  /** kvm_async_pf_repeated_fault on its gfn while it was outstanding: the vCPU touched it again and halted. */
  repeatedFaults: number;
  /** Outstanding when its vCPU traced a wake-all, and no ready since: KVM most likely dropped its work. */
  covered: boolean;
  readonly line: number;
}

export interface ThreadCounts {
  readonly pid: number;
  /** The first name seen for the pid, or its first `CPU n/KVM` one (ftrace prints `<...>` when it lost the name). */
  task: string;
  /** From a QEMU thread name `CPU n/KVM`; null for another name or `<...>`. */
  vcpu: number | null;
  tries: number;
  notPresent: number;
  repeatedFaults: number;
  /** A try with neither a repeated fault nor a not-present after it: the fault was handled synchronously. */
  syncAfterTry: number;
  /** A try the capture ended after, before the thread traced anything else: how it went is not known. */
  undecidedAtEnd: number;
  ready: number;
  wakeAll: number;
  /**
   * Faults outstanding when the thread traced a wake-all that never got their own ready. A wake-all
   * follows the guest turning async PF off and on (or a vCPU reset): KVM then dropped the queued work
   * untraced (kvm_clear_async_pf_completion_queue()) and forgot the gfns (kvm_async_pf_hash_reset()).
   */
  coveredByWakeAll: number;
  /** The most async page faults outstanding at once (not-present traced, ready not yet). */
  maxOutstanding: number;
  inFlightAtEnd: number;
}

/** Something the capture shows that KVM's flow rules out (DESIGN.md "Invariants"), with where it is first seen. */
export interface TraceFinding {
  readonly invariant: number;
  readonly what: string;
  count: number;
  readonly firstLine: number;
}

export interface Lives {
  readonly lives: readonly ApfLife[];
  readonly threads: readonly ThreadCounts[];
  /** Threads that traced kvm_async_pf_completed (the async work's kworkers), with their counts. */
  readonly workers: readonly { readonly pid: number; readonly task: string; readonly completed: number }[];
  /** Events whose fault began before the capture did: a ready or completion with no not-present, a repeated fault on an unknown gfn. */
  readonly begunBefore: { ready: number; completed: number; repeatedFaults: number };
  /** Readies stamped before their work's kvm_async_pf_completed (the kworker traces after queuing it). */
  readyBeforeCompleted: number;
  readonly findings: readonly TraceFinding[];
}

const QEMU_VCPU_THREAD = /^CPU (\d+)\/KVM$/;

/**
 * The vCPU id in QEMU's name for a vCPU thread, or null for another name. A number QEMU cannot
 * write (`CPU -3/KVM`, or past 2^53 − 1, which would print rounded) makes it another name: no
 * kernel shows more than 15 characters of a thread's name (TASK_COMM_LEN), 7 digits here.
 */
function vcpuOfThread(task: string): number | null {
  const m = QEMU_VCPU_THREAD.exec(task);
  return m !== null && Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : null;
}

interface ThreadState {
  readonly counts: ThreadCounts;
  pendingTry: { gva: TraceValue; gfn: TraceValue; timeNs: number } | null;
  readonly outstanding: Map<TraceValue, ApfLife>;
  readonly byGfn: Map<TraceValue, ApfLife>;
  /** Tokens readied and not set up again since: a second ready for one is a lost or doubled wake. */
  readonly readied: Set<TraceValue>;
  /** Faults outstanding at a wake-all, by token: no longer counted as queued, still paired with a late ready. */
  readonly covered: Map<TraceValue, ApfLife>;
  /**
   * The same by gfn, for a repeated fault only: a fault started while async PF was off is covered
   * but not dropped, its gfn still in KVM's hash (kvm_pv_enable_async_pf() clears it only when
   * turning async PF off).
   */
  readonly coveredByGfn: Map<TraceValue, ApfLife>;
  /** Faults whose token a second not-present took over (invariant 1): no ready can be told to be theirs. */
  readonly hidden: ApfLife[];
  /** Of those, the ones since the last wake-all. */
  hiddenQueued: number;
}

/** A gva's faults in a list of its own: a completion names the gva, not the fault. */
function listed(map: Map<TraceValue, ApfLife[]>, life: ApfLife): ApfLife[] {
  let list = map.get(life.gva);
  if (list === undefined) map.set(life.gva, (list = []));
  return list;
}

function unlist(map: Map<TraceValue, ApfLife[]>, life: ApfLife): void {
  const list = map.get(life.gva);
  const at = list === undefined ? -1 : list.indexOf(life);
  if (at >= 0) list!.splice(at, 1);
  if (list !== undefined && list.length === 0) map.delete(life.gva);
}

/**
 * The faults of the events `forEach` hands over, which must come in time order (events of one
 * instant in the order recorded).
 */
export function rebuildLives(forEach: (visit: (e: ApfTraceEvent) => void) => void, asyncPfPerVcpu: number): Lives {
  const builder = new LifeBuilder(asyncPfPerVcpu);
  forEach((e) => builder.add(e));
  return builder.finish();
}

/** The faults of a capture as its events come, one method per tracepoint. */
class LifeBuilder {
  private readonly threads = new Map<number, ThreadState>();
  private readonly workers = new Map<number, { pid: number; task: string; completed: number }>();
  private readonly awaitingCompletion = new Map<TraceValue, ApfLife[]>();
  /** Faults paired with a completion and not ready yet, by gva: a completion names no VM, so the pairing is a guess until the ready. */
  private readonly completedUnready = new Map<TraceValue, ApfLife[]>();
  private readonly lives: ApfLife[] = [];
  private readonly findings = new Map<string, TraceFinding>();
  private readonly begunBefore = { ready: 0, completed: 0, repeatedFaults: 0 };
  private readyBeforeCompleted = 0;

  /** `asyncPfPerVcpu`: ASYNC_PF_PER_VCPU, an architecture's constant (arches/ingest-facts.ts). */
  constructor(private readonly asyncPfPerVcpu: number) {}

  add(e: ApfTraceEvent): void {
    if (e.event === 'kvm_async_pf_completed') return this.completed(e);
    const t = this.thread(e);
    // What followed the last try on this thread decides how that fault was handled.
    const tried = t.pendingTry;
    t.pendingTry = null;
    const fromTry = tried !== null && tried.gva === e.fields.gva && (e.event === 'kvm_async_pf_repeated_fault' || e.event === 'kvm_async_pf_not_present') ? tried : null;
    if (tried !== null && fromTry === null) t.counts.syncAfterTry++;
    switch (e.event) {
      case 'kvm_try_async_get_page':
        t.counts.tries++;
        t.pendingTry = { gva: e.fields.gva, gfn: e.fields.gfn, timeNs: e.timeNs };
        return;
      case 'kvm_async_pf_repeated_fault':
        return this.repeatedFault(t, e);
      case 'kvm_async_pf_not_present':
        return this.notPresent(t, e, fromTry);
      case 'kvm_async_pf_ready':
        return e.fields.token === WAKE_ALL ? this.wakeAll(t) : this.ready(t, e);
    }
  }

  finish(): Lives {
    for (const t of this.threads.values()) {
      t.counts.inFlightAtEnd = t.outstanding.size + t.hiddenQueued;
      t.counts.undecidedAtEnd = t.pendingTry === null ? 0 : 1;
      t.counts.coveredByWakeAll = t.covered.size + t.hidden.length - t.hiddenQueued;
    }
    const byVcpu = (a: ThreadCounts, b: ThreadCounts) => (a.vcpu ?? Infinity) - (b.vcpu ?? Infinity) || a.pid - b.pid;
    return {
      lives: this.lives,
      threads: [...this.threads.values()].map((t) => t.counts).sort(byVcpu),
      workers: [...this.workers.values()].sort((a, b) => a.pid - b.pid),
      begunBefore: this.begunBefore,
      readyBeforeCompleted: this.readyBeforeCompleted,
      findings: [...this.findings.values()].sort((a, b) => a.firstLine - b.firstLine),
    };
  }

  private find(invariant: number, what: string, line: number): void {
    const f = this.findings.get(what);
    if (f) f.count++;
    else this.findings.set(what, { invariant, what, count: 1, firstLine: line });
  }

  private thread(e: ApfTraceEvent): ThreadState {
    let t = this.threads.get(e.pid);
    if (t === undefined) {
      const counts: ThreadCounts = { pid: e.pid, task: e.task, vcpu: vcpuOfThread(e.task), tries: 0, notPresent: 0, repeatedFaults: 0, syncAfterTry: 0, undecidedAtEnd: 0, ready: 0, wakeAll: 0, coveredByWakeAll: 0, maxOutstanding: 0, inFlightAtEnd: 0 };
      t = { counts, pendingTry: null, outstanding: new Map(), byGfn: new Map(), readied: new Set(), covered: new Map(), coveredByGfn: new Map(), hidden: [], hiddenQueued: 0 };
      this.threads.set(e.pid, t);
    } else if (t.counts.vcpu === null && e.task !== t.counts.task) {
      // A name learnt later (after `<...>`) that says which vCPU the thread is.
      const vcpu = vcpuOfThread(e.task);
      if (vcpu !== null) {
        t.counts.task = e.task;
        t.counts.vcpu = vcpu;
      }
    }
    return t;
  }

  /** A kworker's async_pf_execute() (virt/kvm/async_pf.c): the page is in, traced by gva. */
  private completed(e: ApfTraceEvent): void {
    const w = this.workers.get(e.pid) ?? { pid: e.pid, task: e.task, completed: 0 };
    this.workers.set(e.pid, w);
    w.completed++;
    // Work dropped at a wake-all never runs to its completion (kvm_clear_async_pf_completion_queue()
    // cancels it, or waits for it before the wake-all is queued): pair a fault not covered first.
    const queue = this.awaitingCompletion.get(e.fields.gva);
    const at = queue === undefined ? -1 : Math.max(0, queue.findIndex((l) => !l.covered));
    const life = at < 0 ? undefined : queue!.splice(at, 1)[0];
    if (queue !== undefined && queue.length === 0) this.awaitingCompletion.delete(e.fields.gva);
    if (life === undefined) this.begunBefore.completed++;
    else {
      life.completedNs = e.timeNs;
      if (life.readyNs !== null) this.readyBeforeCompleted++;
      else listed(this.completedUnready, life).push(life);
    }
  }

  private repeatedFault(t: ThreadState, e: ApfTraceEvent): void {
    t.counts.repeatedFaults++;
    const life = t.byGfn.get(e.fields.gfn) ?? t.coveredByGfn.get(e.fields.gfn);
    if (life === undefined) this.begunBefore.repeatedFaults++;
    else life.repeatedFaults++;
  }

  private notPresent(t: ThreadState, e: ApfTraceEvent, fromTry: ThreadState['pendingTry']): void {
    const c = t.counts;
    const token = e.fields.token;
    const gfn = fromTry?.gfn ?? null;
    if (gfn !== null && t.byGfn.has(gfn)) this.find(6, 'a second token for a gfn already outstanding on the vCPU (kvm_find_async_pf_gfn() should have made it a repeated fault)', e.line);
    const before = t.outstanding.get(token);
    if (before !== undefined) {
      this.find(1, 'a not-present for a token still outstanding on the vCPU', e.line);
      t.hidden.push(before);
      t.hiddenQueued++;
    }
    const life: ApfLife = { pid: e.pid, token, gva: e.fields.gva, gfn, tryNs: fromTry?.timeNs ?? null, notPresentNs: e.timeNs, completedNs: null, readyNs: null, repeatedFaults: 0, covered: false, line: e.line };
    this.lives.push(life);
    t.outstanding.set(token, life);
    if (gfn !== null) t.byGfn.set(gfn, life);
    t.readied.delete(token);
    listed(this.awaitingCompletion, life).push(life);
    c.notPresent++;
    const queued = t.outstanding.size + t.hiddenQueued;
    c.maxOutstanding = Math.max(c.maxOutstanding, queued);
    if (queued > this.asyncPfPerVcpu) this.find(5, `more than ASYNC_PF_PER_VCPU (${this.asyncPfPerVcpu}) async page faults outstanding on one vCPU`, e.line);
  }

  /**
   * kvm_async_pf_wakeup_all() (virt/kvm/async_pf.c) is queued when the guest turns async PF on
   * (x86.c kvm_pv_enable_async_pf()); turning it off or resetting the vCPU before that cleared the
   * queue and the gfn hash, untraced. What is outstanding is covered (DESIGN.md invariant 1) and no
   * longer queued; a ready of its own may still come.
   */
  private wakeAll(t: ThreadState): void {
    t.counts.wakeAll++;
    for (const life of t.hidden.slice(t.hidden.length - t.hiddenQueued)) life.covered = true;
    t.hiddenQueued = 0;
    for (const [covered, life] of t.outstanding) {
      life.covered = true;
      t.covered.set(covered, life);
    }
    t.outstanding.clear();
    for (const [gfn, life] of t.byGfn) t.coveredByGfn.set(gfn, life);
    t.byGfn.clear();
  }

  /** kvm_arch_async_page_present() on the vCPU thread (x86.c): the work taken off the done list, by token. */
  private ready(t: ThreadState, e: ApfTraceEvent): void {
    const token = e.fields.token;
    const life = t.outstanding.get(token) ?? t.covered.get(token);
    if (life === undefined) {
      if (t.readied.has(token)) this.find(1, 'a second page-ready for one token', e.line);
      else this.begunBefore.ready++;
      return;
    }
    if (life.completedNs === null) this.takeCompletion(life);
    else unlist(this.completedUnready, life);
    life.readyNs = e.timeNs;
    life.covered = false;
    t.outstanding.delete(token);
    t.covered.delete(token);
    if (life.gfn !== null && t.byGfn.get(life.gfn) === life) t.byGfn.delete(life.gfn);
    if (life.gfn !== null && t.coveredByGfn.get(life.gfn) === life) t.coveredByGfn.delete(life.gfn);
    t.readied.add(token);
    t.counts.ready++;
  }

  /**
   * A ready shows its work done: async_pf_execute() (virt/kvm/async_pf.c) puts it on the done list
   * just before tracing completed, and kvm_check_async_pf_completion() takes it from there. A
   * completion of its gva already paired with a fault not ready yet (another VM's, or another
   * vCPU's, on the same gpa) is taken to be this one's; that fault waits for the next completion.
   * Not from a fault covered by a wake-all: its work was cleared, after running to its completion;
   * nor one stamped before this fault's not-present, whose work could not have been this one's.
   */
  private takeCompletion(life: ApfLife): void {
    const other = this.completedUnready
      .get(life.gva)
      ?.filter((l) => !l.covered && l.completedNs! >= life.notPresentNs)
      .at(-1);
    if (other === undefined) return;
    unlist(this.completedUnready, other);
    unlist(this.awaitingCompletion, life);
    life.completedNs = other.completedNs;
    other.completedNs = null;
    const queue = listed(this.awaitingCompletion, other);
    const at = queue.findIndex((l) => l.notPresentNs > other.notPresentNs);
    queue.splice(at < 0 ? queue.length : at, 0, other);
  }
}
