import type { PoppedEvent } from '../engine/event-queue.js';
import { EV_HOST_TICK, EV_IO_DONE, EV_IPI, EV_IPI_DONE, EV_MEASURE_END, EV_POSTCOPY_REQUEST, EV_POSTCOPY_SENT, EV_STEP, EV_TICK, EV_TIMER, EV_VM_EVENT } from './events.js';
import * as guest from './guest-kernel.js';
import * as sched from './guest-sched.js';
import type { Machine } from './machine.js';
import type { NotWork } from './not-work.js';
import type { SleepTimers } from './sleep-timers.js';
import { runVmEvent } from './vm-event.js';
import * as run from './vcpu-run.js';

/** What the engine (core/sim/simulation.ts) has beyond the Machine that its events need. */
export interface EventLoop extends Machine {
  readonly notWork: NotWork;
  readonly timers: SleepTimers;
  readonly hostTickNs: number | null;
  endMeasurement(t: number): void;
  /** The backing store finished reading `gfn` (async-pf-completion.ts onIoDone()); a test's subclass may watch it. */
  onIoDone(gfn: number): void;
}

/**
 * One event of the engine's queue, handed to the file that handles it where KVM or Linux would:
 * a vCPU's step to its run loop (vcpu-run.ts), a guest tick or timer to the guest scheduler
 * (guest-sched.ts), a read's end to the completion path (async-pf-completion.ts), a cross-call to
 * the guest's smp code (guest-kernel.ts), a post-copy message to its link (core/machine/postcopy.ts).
 * A host tick re-arms itself here, until the drain, which lets the last ones run out (not-work.ts).
 */
export function dispatch(sim: EventLoop, ev: PoppedEvent): void {
  switch (ev.kind) {
    case EV_STEP: {
      const v = sim.vcpus[ev.a];
      if (sim.notWork.popStep(v, ev.b)) run.onStep(sim, v);
      return;
    }
    case EV_TICK:
      if (sim.draining) sim.notWork.tickPopped();
      return sched.onTick(sim, sim.vcpus[ev.a]);
    case EV_VM_EVENT:
      sim.timers.fired();
      return runVmEvent(sim, sim.scenario.events![ev.a]);
    case EV_HOST_TICK:
      if (sim.draining) sim.notWork.tickPopped();
      else sim.queue.push(sim.now + sim.hostTickNs!, EV_HOST_TICK, ev.a, 0);
      return run.hostTick(sim, sim.vcpus[ev.a]);
    case EV_IO_DONE:
      return sim.onIoDone(ev.a);
    case EV_TIMER:
      sim.timers.fired();
      return sched.onTimer(sim, sim.tasks[ev.a]);
    case EV_MEASURE_END:
      if (!sim.draining && ev.time === sim.measureEnd) sim.endMeasurement(ev.time);
      return;
    case EV_IPI:
      return guest.onIpi(sim, ev.a);
    case EV_IPI_DONE:
      return guest.onCsdUnlocked(sim, ev.a);
    case EV_POSTCOPY_REQUEST:
      return sim.postcopy!.onRequestArrived(ev.a, ev.time);
    case EV_POSTCOPY_SENT:
      return sim.postcopy!.onSent(ev.a, ev.time);
  }
}
