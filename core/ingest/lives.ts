import type { TraceValue } from '../tracepoints.js';
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
  readonly task: string;
  /** From a QEMU thread name `CPU n/KVM`; null for another name or `<...>`. */
  readonly vcpu: number | null;
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

/** The wake-all token: `~0` in a u32 (x86.c kvm_arch_async_page_present(); facts/anchors.md §B). */
export const WAKE_ALL_TOKEN = 0xffffffff;
/** ASYNC_PF_PER_VCPU (include/linux/kvm_host.h). */
const ASYNC_PF_PER_VCPU = 64;
const QEMU_VCPU_THREAD = /^CPU (\d+)\/KVM$/;

interface ThreadState {
  readonly counts: ThreadCounts;
  pendingTry: { gva: TraceValue; gfn: TraceValue; timeNs: number } | null;
  readonly outstanding: Map<TraceValue, ApfLife>;
  readonly byGfn: Map<TraceValue, ApfLife>;
  /** Tokens readied and not set up again since: a second ready for one is a lost or doubled wake. */
  readonly readied: Set<TraceValue>;
  /** Faults outstanding at a wake-all, by token: no longer counted as queued, still paired with a late ready. */
  readonly covered: Map<TraceValue, ApfLife>;
  /** Faults whose token a second not-present took over (invariant 1): no ready can be told to be theirs. */
  readonly hidden: ApfLife[];
  /** Of those, the ones since the last wake-all. */
  hiddenQueued: number;
}

/**
 * The faults of the events `forEach` hands over, which must come in time order (events of one
 * instant in the order recorded).
 */
export function rebuildLives(forEach: (visit: (e: ApfTraceEvent) => void) => void): Lives {
  const threads = new Map<number, ThreadState>();
  const workers = new Map<number, { pid: number; task: string; completed: number }>();
  const awaitingCompletion = new Map<TraceValue, ApfLife[]>();
  /** Faults paired with a completion and not ready yet, by gva: a completion names no VM, so the pairing is a guess until the ready. */
  const completedUnready = new Map<TraceValue, ApfLife[]>();
  const listed = (map: Map<TraceValue, ApfLife[]>, life: ApfLife): ApfLife[] => {
    let list = map.get(life.gva);
    if (list === undefined) map.set(life.gva, (list = []));
    return list;
  };
  const unlist = (map: Map<TraceValue, ApfLife[]>, life: ApfLife) => {
    const list = map.get(life.gva);
    const at = list === undefined ? -1 : list.indexOf(life);
    if (at >= 0) list!.splice(at, 1);
    if (list !== undefined && list.length === 0) map.delete(life.gva);
  };
  const lives: ApfLife[] = [];
  const findings = new Map<string, TraceFinding>();
  const begunBefore = { ready: 0, completed: 0, repeatedFaults: 0 };
  let readyBeforeCompleted = 0;
  const find = (invariant: number, what: string, line: number) => {
    const f = findings.get(what);
    if (f) f.count++;
    else findings.set(what, { invariant, what, count: 1, firstLine: line });
  };
  const thread = (e: ApfTraceEvent): ThreadState => {
    let t = threads.get(e.pid);
    if (t === undefined) {
      const m = QEMU_VCPU_THREAD.exec(e.task);
      const counts: ThreadCounts = { pid: e.pid, task: e.task, vcpu: m ? Number(m[1]) : null, tries: 0, notPresent: 0, repeatedFaults: 0, syncAfterTry: 0, undecidedAtEnd: 0, ready: 0, wakeAll: 0, coveredByWakeAll: 0, maxOutstanding: 0, inFlightAtEnd: 0 };
      t = { counts, pendingTry: null, outstanding: new Map(), byGfn: new Map(), readied: new Set(), covered: new Map(), hidden: [], hiddenQueued: 0 };
      threads.set(e.pid, t);
    }
    return t;
  };

  /**
   * A ready shows its work done: async_pf_execute() (virt/kvm/async_pf.c) puts it on the done list
   * just before tracing completed, and kvm_check_async_pf_completion() takes it from there. A
   * completion of its gva already paired with a fault not ready yet (another VM's, or another
   * vCPU's, on the same gpa) is taken to be this one's; that fault waits for the next completion.
   * Not from a fault covered by a wake-all: its work was cleared, after running to its completion.
   */
  const takeCompletion = (life: ApfLife) => {
    const other = completedUnready
      .get(life.gva)
      ?.filter((l) => !l.covered)
      .at(-1);
    if (other === undefined) return;
    unlist(completedUnready, other);
    unlist(awaitingCompletion, life);
    life.completedNs = other.completedNs;
    other.completedNs = null;
    const queue = listed(awaitingCompletion, other);
    const at = queue.findIndex((l) => l.notPresentNs > other.notPresentNs);
    queue.splice(at < 0 ? queue.length : at, 0, other);
  };

  forEach((e) => {
    if (e.event === 'kvm_async_pf_completed') {
      const w = workers.get(e.pid) ?? { pid: e.pid, task: e.task, completed: 0 };
      workers.set(e.pid, w);
      w.completed++;
      // Work dropped at a wake-all never runs to its completion (kvm_clear_async_pf_completion_queue()
      // cancels it, or waits for it before the wake-all is queued): pair a fault not covered first.
      const queue = awaitingCompletion.get(e.fields.gva);
      const at = queue === undefined ? -1 : Math.max(0, queue.findIndex((l) => !l.covered));
      const life = at < 0 ? undefined : queue!.splice(at, 1)[0];
      if (queue !== undefined && queue.length === 0) awaitingCompletion.delete(e.fields.gva);
      if (life === undefined) begunBefore.completed++;
      else {
        life.completedNs = e.timeNs;
        if (life.readyNs !== null) readyBeforeCompleted++;
        else listed(completedUnready, life).push(life);
      }
      return;
    }
    const t = thread(e);
    const c = t.counts;
    // What followed the last try on this thread decides how that fault was handled.
    const tried = t.pendingTry;
    t.pendingTry = null;
    const fromTry = tried !== null && tried.gva === e.fields.gva && (e.event === 'kvm_async_pf_repeated_fault' || e.event === 'kvm_async_pf_not_present') ? tried : null;
    if (tried !== null && fromTry === null) c.syncAfterTry++;
    switch (e.event) {
      case 'kvm_try_async_get_page':
        c.tries++;
        t.pendingTry = { gva: e.fields.gva, gfn: e.fields.gfn, timeNs: e.timeNs };
        break;
      case 'kvm_async_pf_repeated_fault': {
        c.repeatedFaults++;
        const life = t.byGfn.get(e.fields.gfn);
        if (life === undefined) begunBefore.repeatedFaults++;
        else life.repeatedFaults++;
        break;
      }
      case 'kvm_async_pf_not_present': {
        const token = e.fields.token;
        const gfn = fromTry?.gfn ?? null;
        if (gfn !== null && t.byGfn.has(gfn)) find(6, 'a second token for a gfn already outstanding on the vCPU (kvm_find_async_pf_gfn() should have made it a repeated fault)', e.line);
        const before = t.outstanding.get(token);
        if (before !== undefined) {
          find(1, 'a not-present for a token still outstanding on the vCPU', e.line);
          t.hidden.push(before);
          t.hiddenQueued++;
        }
        const life: ApfLife = { pid: e.pid, token, gva: e.fields.gva, gfn, tryNs: fromTry?.timeNs ?? null, notPresentNs: e.timeNs, completedNs: null, readyNs: null, repeatedFaults: 0, covered: false, line: e.line };
        lives.push(life);
        t.outstanding.set(token, life);
        if (gfn !== null) t.byGfn.set(gfn, life);
        t.readied.delete(token);
        listed(awaitingCompletion, life).push(life);
        c.notPresent++;
        const queued = t.outstanding.size + t.hiddenQueued;
        c.maxOutstanding = Math.max(c.maxOutstanding, queued);
        if (queued > ASYNC_PF_PER_VCPU) find(5, `more than ASYNC_PF_PER_VCPU (${ASYNC_PF_PER_VCPU}) async page faults outstanding on one vCPU`, e.line);
        break;
      }
      case 'kvm_async_pf_ready': {
        const token = e.fields.token;
        if (token === WAKE_ALL_TOKEN) {
          // kvm_async_pf_wakeup_all() (virt/kvm/async_pf.c) is queued when the guest turns async PF
          // on (x86.c kvm_pv_enable_async_pf()); turning it off or resetting the vCPU before that
          // cleared the queue and the gfn hash, untraced. What is outstanding is covered
          // (DESIGN.md invariant 1) and no longer queued; a ready of its own may still come.
          c.wakeAll++;
          for (const life of t.hidden.slice(t.hidden.length - t.hiddenQueued)) life.covered = true;
          t.hiddenQueued = 0;
          for (const [covered, life] of t.outstanding) {
            life.covered = true;
            t.covered.set(covered, life);
          }
          t.outstanding.clear();
          t.byGfn.clear();
          break;
        }
        const life = t.outstanding.get(token) ?? t.covered.get(token);
        if (life === undefined) {
          if (t.readied.has(token)) find(1, 'a second page-ready for one token', e.line);
          else begunBefore.ready++;
          break;
        }
        if (life.completedNs === null) takeCompletion(life);
        else unlist(completedUnready, life);
        life.readyNs = e.timeNs;
        life.covered = false;
        t.outstanding.delete(token);
        t.covered.delete(token);
        if (life.gfn !== null && t.byGfn.get(life.gfn) === life) t.byGfn.delete(life.gfn);
        t.readied.add(token);
        c.ready++;
        break;
      }
    }
  });
  for (const t of threads.values()) {
    t.counts.inFlightAtEnd = t.outstanding.size + t.hiddenQueued;
    t.counts.undecidedAtEnd = t.pendingTry === null ? 0 : 1;
    t.counts.coveredByWakeAll = t.covered.size + t.hidden.length - t.hiddenQueued;
  }
  const byVcpu = (a: ThreadCounts, b: ThreadCounts) => (a.vcpu ?? Infinity) - (b.vcpu ?? Infinity) || a.pid - b.pid;
  return {
    lives,
    threads: [...threads.values()].map((t) => t.counts).sort(byVcpu),
    workers: [...workers.values()].sort((a, b) => a.pid - b.pid),
    begunBefore,
    readyBeforeCompleted,
    findings: [...findings.values()].sort((a, b) => a.firstLine - b.firstLine),
  };
}
