import { topFrame } from '../guest/code-layout.js';
import type { Task } from '../guest/task.js';
import type { Machine } from './machine.js';

/**
 * The end of a run: who still waits, for the invariant monitor's last judgement (DESIGN.md
 * "Invariants" 1 and 7) — tasks asleep on a token, a task halted in the guest on its token (its
 * halt frame), vCPUs halted in the host with or without async-PF work to end the halt. Returns
 * the work still in flight, reported as such rather than as a violation; `settled`: the run ended
 * with nothing left to happen, so nothing is in flight.
 */
export function closeInvariants(sim: Machine, now: number, settled: boolean): number {
  // A task sleeps in the sleep table of the CPU that will wake it, which need not be the CPU it is
  // on now: v4's kvm_async_pf_add_task() enters it in the flagging CPU's table, and the task may
  // move before it sleeps at its return to user. That CPU's work decides whether its wake is still
  // to come. The table is the one returnToUser() (guest-sched.ts) chose: the flagger's where it
  // holds the entry, else the task's own CPU's.
  const tableOf = (t: Task) => {
    const flagger = sim.vcpus[t.flaggedOn];
    return flagger !== undefined && flagger.sleepTable.has(t.sleepToken, t.id) ? flagger.id : t.vcpu;
  };
  const sleeping = sim.tasks
    .filter((t) => t.state === 'sleeping')
    .map((t) => ({ vcpu: tableOf(t), task: t.name, token: t.sleepToken }));
  for (const v of sim.vcpus) {
    const top = topFrame(v.frames);
    if (top?.haltToken !== undefined && top.haltToken >= 0) sleeping.push({ vcpu: v.id, task: v.current?.name ?? 'idle', token: top.haltToken });
  }
  const halted = sim.vcpus
    .filter((v) => v.mode === 'halt')
    .map((v) => ({ vcpu: v.id, hasWork: v.apf.inFlight.size > 0 || v.apf.done.length > 0 }));
  // A wake the guest only marked (RFCv2's delayed wake) is done at that CPU's next return to user
  // or idle entry: in flight too while the run may go on (a drain cut short by its time limit).
  // So is a wake-all still on the vCPU's done list (an enable's after a migration or a CPU coming
  // back, taken at its next entry): it wakes every sleeper of that vCPU's table, whatever its token.
  // And so is one a CPU's coming back will queue: an online asked for while the CPU is still on
  // its way down (core/sim/cpu-hotplug.ts upPending, as a disable waits for its running reads)
  // brings it up, and the guest's enable on it queues a wake-all in every design.
  const inFlight = (vcpu: number, token: number) => {
    const v = sim.vcpus[vcpu];
    return v.apf.hasOutstandingToken(token) || v.apf.done.some((w) => w.wakeupAll) || v.upPending || sim.vcpus.some((o) => o.sleepTable.isMarked(token));
  };
  return sim.monitor.finish(now, sleeping, halted, inFlight, settled);
}
