import type { ExitKind } from '../backend.js';
import { codeFrame, topFrame } from '../guest/code-layout.js';
import type { Task } from '../guest/task.js';
import { addTime, type TimeCategory } from '../metrics.js';
import * as entry from './guest-entry.js';
import { faultLatencyDone } from './fault-latency.js';
import * as guest from './guest-kernel.js';
import * as mm from './guest-mm.js';
import * as host from './host-async-pf.js';
import type { Machine } from './machine.js';
import { SEGMENT_BATCH, type Segment, type Vcpu } from './vcpu.js';

/**
 * Where a vCPU's time goes: the segment of guest execution it is in (a compute burst, a batch of
 * touches, a csd_lock_wait() spin), its end or its preemption, and the accounting of user, kernel
 * and host time and of work, clipped to the measured window. The counterpart of Linux's
 * kernel/sched/cputime.c (account_user_time(), account_system_time()) and of the guest's own
 * execution between two exits, which the kernel does not have as code: a vCPU simply runs.
 */


/** Time accounting, clipped to the measured window. */
export function account(sim: Machine, cat: TimeCategory, from: number, to: number): void {
  const end = Math.min(to, sim.measureEnd);
  if (end > from && sim.metrics.measuring) addTime(sim.metrics.time, cat, end - from);
}

function addWork(sim: Machine, task: Task, from: number, ns: number): void {
  const clipped = Math.max(0, Math.min(from + ns, sim.measureEnd) - from);
  if (clipped <= 0 || !sim.metrics.measuring) return;
  sim.workNsByGroup.add(task.group, clipped);
  // The same work by slice of time: a segment spans one slice or two, rarely more.
  const bins = sim.workNsByInterval;
  const w = sim.workIntervalNs;
  for (let t = from, end = from + clipped; t < end; ) {
    const i = Math.floor(t / w);
    const next = Math.min(end, (i + 1) * w);
    bins[Math.min(i, bins.length - 1)] += next - t;
    t = next;
  }
}

/**
 * An exit of `kind` (DESIGN.md "Costs"): counted under `name` and priced at the backend's round
 * trip, plus `hostNs` of host work on it (a stage-2 fault's).
 */
export function hostExit(sim: Machine, v: Vcpu, name: string, kind: ExitKind, hostNs = 0): void {
  if (sim.metrics.measuring) sim.metrics.exits.add(name);
  // Every exit comes back through vcpu_enter_guest(), which acts on pending requests (page-ready).
  v.exited = true;
  charge(sim, v, 'host', sim.backend.costs.exitNs[kind] + hostNs);
}

/** Charge `ns` of vCPU time from its cursor. */
export function charge(sim: Machine, v: Vcpu, cat: TimeCategory, ns: number): void {
  account(sim, cat, v.cursor, v.cursor + ns);
  if (sim.chargedAhead !== null && sim.metrics.measuring) sim.chargedAhead.record(cat, v.cursor, v.cursor + ns, sim.now);
  v.cursor += ns;
}

function recordLatency(sim: Machine, v: Vcpu, task: Task, t: number): void {
  if (task.faultStart < 0) return;
  const lat = t - task.faultStart;
  faultLatencyDone(sim, task.faultStart, t);
  // Lab-only (not a KVM tracepoint): where a fault's life ends, for the report's sequence diagrams.
  if (sim.options.trace) sim.traceAt(t, v.id, 'apf_lab_access_done', { task: task.pid, latency: lat });
}

/** Task.touchDoneNs covers the touch's access: what is left of it is think time. */
function accessedBefore(sim: Machine, touchDoneNs: number): boolean {
  return touchDoneNs > 0 && touchDoneNs >= sim.touchNs;
}

/** ns from now until the task's next access is done: after what is left of a touch cut short. */
function accessDoneIn(sim: Machine, task: Task): number {
  const step = task.step;
  const ahead = task.touchDoneNs;
  if (step.kind !== 'touch' || !accessedBefore(sim, ahead)) return Math.max(0, sim.touchNs - ahead);
  // The rest of the cut touch, then the next one's access.
  const per = sim.touchNs + step.spec.thinkNs;
  return per - ahead + sim.touchNs;
}

/** Lays out the next piece of the current task; returns true once something is scheduled or the vCPU waits. */
export function startSegment(sim: Machine, v: Vcpu): boolean {
  const task = v.current!;
  // An access still waiting for its page goes on in the drain, as in the window: a vCPU that an
  // interrupt woke from its APF halt re-executes it and halts again (a repeated fault).
  const accessWaiting = task.faultStart >= 0 && task.nextPage >= 0 && !sim.memory.isResident(task.nextPage);
  if (sim.draining && !accessWaiting) {
    // The drain takes no new work, but a fault of the window whose page is in ends here: the task
    // was about to complete its access.
    if (task.nextPage >= 0) recordLatency(sim, v, task, v.cursor + accessDoneIn(sim, task));
    sim.deschedule(v);
    task.state = 'exited';
    return false;
  }
  if (task.finished) {
    // Fixed work done: the task exits (do_exit()) and its completion time is recorded.
    sim.deschedule(v);
    task.state = 'exited';
    sim.taskExited(task, v.cursor);
    return false;
  }
  const step = task.step;
  // The moment between two interrupts-off sections ends when the next one starts.
  v.irqWindow = false;
  if (step.kind === 'touch' && step.syscall && !task.inSyscall) {
    // SVC / SYSCALL: the entry code runs first (its frame), then the call's body.
    task.inSyscall = true;
    task.frames.push(codeFrame(sim.backend.caps.codeLayout.syscall, null));
    return false;
  }
  if (step.kind === 'compute') {
    const seg = v.beginSegment(v.cursor, step.ns - task.progress, 0, false, false, 0);
    sim.schedule(v, v.cursor + seg.planned);
    return true;
  }
  if (step.kind === 'ipi') return guest.callFunctionSingle(sim, v, task, step);
  if (step.kind === 'sleep') {
    sim.deschedule(v, true);
    task.state = 'timer';
    task.advance();
    sim.startTimer(task, v.cursor + step.ns);
    return false;
  }
  // The guest's fault on the task's own memory is under way: clear its new frame first.
  if (task.zeroingGfn >= 0) return mm.zeroPage(sim, v, task);
  if (step.leadNs > task.leadDoneNs) {
    // A segment of its own: a preemptoff section takes interrupts (ticks, cross-calls, page-ready)
    // in its lead as in its touches; charged at once, a 50 ms lead kept a cross-call waiting for
    // all of it (PROTOCOLS.md §3 "IPIs": the target answers when it runs with interrupts on).
    const seg = v.beginSegment(v.cursor, step.leadNs - task.leadDoneNs, 0, false, false, 0);
    seg.lead = true;
    sim.schedule(v, v.cursor + seg.planned);
    return true;
  }
  const per = sim.touchNs + step.spec.thinkNs;
  const ahead = task.touchDoneNs;
  const remaining = step.spec.pages - task.progress;
  // A touch cut after its access has only its think time left, on no page: its page was taken
  // (preempt() steps a sequential pass past it) and is not looked up again.
  let n = accessedBefore(sim, ahead) ? 1 : 0;
  let faultAtEnd = false;
  let guestFault = false;
  while (n < remaining && n < SEGMENT_BATCH) {
    let gfn = task.peekPage();
    // write() to a file page not yet cached: the call creates the page (core/sim/guest-mm.ts).
    if (gfn < 0 && step.region.file === true) gfn = mm.fileWritePage(sim, task);
    if (gfn < 0) {
      guestFault = true; // a page of the task's own memory with no frame yet
      break;
    }
    if (!sim.memory.isResident(gfn)) {
      faultAtEnd = true;
      break;
    }
    sim.memory.touch(gfn, step.spec.write);
    // The access is done at the end of its touchNs, before the think time that follows it.
    if (task.faultStart >= 0) recordLatency(sim, v, task, v.cursor + Math.max(0, n * per + sim.touchNs - ahead));
    v.batchDrawn[n] = task.drawnIndex;
    v.batchPages[n] = gfn;
    task.consumePage();
    n++;
  }
  if (n === 0 && guestFault) {
    mm.anonFault(sim, v, task);
    return false; // its entry code runs first (a frame)
  }
  if (n === 0 && faultAtEnd) {
    // stage2Fault() always either schedules the next step or puts the vCPU in a wait.
    host.stage2Fault(sim, v, task.nextPage);
    return true;
  }
  v.beginSegment(v.cursor, n, per, faultAtEnd, false, 0, ahead);
  sim.schedule(v, v.cursor + n * per - ahead);
  return true;
}

/** The scheduled end of a segment: credit it and move the task on; true if it ended in a fault. */
export function finishSegment(sim: Machine, v: Vcpu): boolean {
  const seg = v.segment!;
  v.segment = null;
  if (seg.phase) {
    phaseDone(sim, v, seg, seg.planned);
    return false;
  }
  const task = v.current!;
  const step = task.step;
  if (seg.lead) {
    account(sim, 'kernel', seg.start, seg.start + seg.planned);
    task.leadDoneNs += seg.planned;
    return false;
  }
  if (step.kind === 'compute') {
    creditCompute(sim, v, task, seg.start, seg.planned);
    task.progress += seg.planned;
    if (task.progress >= step.ns) advance(sim, v, task);
    return false;
  }
  if (step.kind !== 'touch') return false;
  creditTouches(sim, v, task, seg, seg.planned);
  task.progress += seg.planned;
  task.touchDoneNs = 0;
  if (task.progress >= step.spec.pages) {
    advance(sim, v, task);
    return false;
  }
  if (!seg.faultAtEnd || task.nextPage < 0) return false;
  host.stage2Fault(sim, v, task.nextPage);
  return true;
}

/**
 * The current task's next step; leaving an interrupts-off section opens an interrupt window, and
 * a system call returns to user through the exit code (its frame, then the return's checks).
 */
export function advance(sim: Machine, v: Vcpu, task: Task): void {
  const step = task.step;
  if (step.kind !== 'sleep' && step.irqsMasked) v.irqWindow = true;
  // preempt_enable() at the end of a preemptoff section, or put_cpu() after a cross-call: a
  // preemption point under `full`, taken by the run loop's next check (onStep(), maybeResched()).
  if (step.kind !== 'sleep' && step.preemptDisabled && !step.irqsMasked) v.preemptEnabled = true;
  if (step.kind === 'touch' && step.syscall && task.inSyscall) {
    task.inSyscall = false;
    task.frames.push(entry.exitFrame(sim, v, 'user'));
  }
  task.advance();
}

/**
 * Kernel time of exception code: `ran` ns of the segment's phases (the top frame's, up to
 * seg.phaseEnd) are done, so the frame moves on through them; a phase cut short keeps its time.
 */
function phaseDone(sim: Machine, v: Vcpu, seg: Segment, ran: number): void {
  account(sim, 'kernel', seg.start, seg.start + ran);
  const stack = v.frames;
  const f = topFrame(stack);
  if (!f) return;
  let rem = ran;
  while (f.idx < seg.phaseEnd) {
    const left = f.phases[f.idx].ns - f.doneNs;
    if (rem < left) {
      f.doneNs += rem;
      f.touched = true;
      return;
    }
    rem -= left;
    f.idx++;
    f.doneNs = 0;
    // The segment touched the pages of all its phases when it started.
    f.touched = f.idx < seg.phaseEnd;
  }
}

/** User compute is work; an interrupts-off kernel section is kernel time, not work. */
function creditCompute(sim: Machine, v: Vcpu, task: Task, start: number, ns: number): void {
  const step = task.step;
  const user = step.kind === 'compute' && step.privilege === 'user';
  account(sim, user ? 'user' : 'kernel', start, start + ns);
  if (user) addWork(sim, task, start, ns);
}

/**
 * The segment's first `done` touches are done: their time, and their think time as work. Each
 * touch is its access (touchNs), then its think time; the first had `firstDoneNs` run before.
 */
function creditTouches(sim: Machine, v: Vcpu, task: Task, seg: Segment, done: number): void {
  const step = task.step;
  if (step.kind !== 'touch' || done === 0) return;
  const ns = done * seg.perTouch - seg.firstDoneNs;
  account(sim, step.privilege === 'user' ? 'user' : 'kernel', seg.start, seg.start + ns);
  const think = step.spec.thinkNs;
  if (think === 0 || inSection(step)) return;
  // The first touch's think time that ran before this segment was credited then.
  const before = Math.max(0, seg.firstDoneNs - sim.touchNs);
  // Only a batch that straddles the end of the window needs its think time clipped touch by touch.
  if (seg.start + ns <= sim.measureEnd) return addWork(sim, task, seg.start, done * think - before);
  for (let i = 0; i < done; i++) {
    const thinkStart = seg.start + i * seg.perTouch - seg.firstDoneNs + sim.touchNs;
    addWork(sim, task, i === 0 ? thinkStart + before : thinkStart, i === 0 ? think - before : think);
  }
}

/**
 * An interrupts-off or preemptoff section is kernel time, not work, its think time included (README
 * "Work"); a system call's think time is the task's work.
 */
function inSection(step: { readonly irqsMasked: boolean; readonly preemptDisabled: boolean }): boolean {
  return step.irqsMasked || step.preemptDisabled;
}

/** Work of a touch cut short: its think time within [from, to) ns of the touch, which began at `touchStart`. */
function creditPartialThink(sim: Machine, task: Task, touchStart: number, from: number, to: number): void {
  const step = task.step;
  if (step.kind === 'touch' && inSection(step)) return;
  const a = Math.max(from, sim.touchNs);
  if (to > a) addWork(sim, task, touchStart + a, to - a);
}

/** Cut the running segment short at `t` (tick, kick, interrupt): credit what was done. */
export function preempt(sim: Machine, v: Vcpu, t: number): void {
  const seg = v.segment;
  if (!seg) return;
  v.segment = null;
  const at = Math.max(t, seg.start);
  const elapsed = at - seg.start;
  if (seg.phase) {
    phaseDone(sim, v, seg, Math.min(elapsed, seg.planned));
    v.cursor = at;
    return;
  }
  const task = v.current!;
  const step = task.step;
  if (seg.lead) {
    const done = Math.min(elapsed, seg.planned);
    account(sim, 'kernel', seg.start, seg.start + done);
    task.leadDoneNs += done;
  } else if (step.kind === 'compute') {
    const done = Math.min(elapsed, seg.planned);
    creditCompute(sim, v, task, seg.start, done);
    task.progress += done;
    if (task.progress >= step.ns) advance(sim, v, task);
  } else if (step.kind === 'touch') {
    // Touches that take no time (touchNs and thinkNs 0) are all done the instant they start.
    const ran = elapsed + seg.firstDoneNs;
    const done = seg.perTouch === 0 ? seg.planned : Math.min(seg.planned, Math.floor(ran / seg.perTouch));
    creditTouches(sim, v, task, seg, done);
    // The touch under way keeps what it ran: the next segment goes on from there.
    const cutStart = done * seg.perTouch - seg.firstDoneNs;
    account(sim, step.privilege === 'user' ? 'user' : 'kernel', seg.start + Math.max(0, cutStart), at);
    if (done < seg.planned) {
      const into = ran - done * seg.perTouch;
      // A touch cut after its access keeps its page: a sequential pass goes on after it. One cut
      // during its access goes on with the same page, looked up again.
      const accessed = accessedBefore(sim, into);
      task.rewind(seg.planned - done - (accessed ? 1 : 0));
      if (!accessed && step.spec.pattern !== 'sequential') task.resumePage(v.batchDrawn[done], v.batchPages[done]);
      creditPartialThink(sim, task, seg.start + cutStart, done === 0 ? seg.firstDoneNs : 0, into);
      task.touchDoneNs = into;
    } else task.touchDoneNs = 0;
    task.progress += done;
    if (task.progress >= step.spec.pages) advance(sim, v, task);
  } else if (step.kind === 'ipi') {
    account(sim, 'kernel', seg.start, at); // csd_lock_wait(): kernel time, not work
  }
  v.cursor = at;
}
