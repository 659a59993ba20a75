import { codeFrame, type CodePhase } from '../guest/code-layout.js';
import { rescaleForOnline } from '../guest/fair-class.js';
import * as guest from './guest-kernel.js';
import { checkPreemptWakeup, cpusUp, currentVruntime, fallbackCpu, moveTask } from './guest-sched.js';
import type { Machine } from './machine.js';
import { account } from './segment.js';
import type { Vcpu } from './vcpu.js';

/**
 * The guest taking one of its CPUs down and bringing it back (a scenario `offline` / `online`
 * event; kernel/cpu.c, as `echo 0|1 > /sys/devices/system/cpu/cpuN/online` drives it).
 *
 * Down: the hotplug thread is woken on the CPU and runs once the task there yields (the reschedule
 * IPI: at its next preemption point; a vCPU blocked in a synchronous fault only once its page is
 * in, one in the APF halt at its next tick). It then tears the CPU down in Linux's order:
 * sched_cpu_deactivate() (no wake picks the CPU any more), the CPUHP_AP_ONLINE_DYN callbacks — the
 * guest's async-PF one among them (Backend.guestCpuOffline()) — the call-function queue flushed
 * (smpcfd_dying_cpu()), and the runnable tasks moved to select_fallback_rq()'s pick, the
 * lowest-numbered CPU still up. The dead CPU idles for good (x86 hlt_play_dead(), arm64 PSCI
 * CPU_OFF): its time counts as idle.
 *
 * Up: the CPU is reset (INIT-SIPI, PSCI CPU_ON: Backend.vcpuReset()), the guest's CPU-up callbacks
 * run on it (Backend.guestCpuOnline()), and it idles until a wake or its newidle balance brings
 * it work. Not modelled: the hotplug's own time, the other CPUs' stop-machine pause, and the
 * periodic load balancing that would spread the moved tasks sooner.
 */

/** cpu_down(): ask the CPU's current task to yield to the hotplug thread. */
export function cpuDown(sim: Machine, v: Vcpu): void {
  // Up and down again before the first down finished: it stays down.
  if (v.upPending) {
    v.upPending = false;
    return;
  }
  v.goingDown = true;
  v.needResched = true;
  if (v.mode === 'idle') return sim.leaveWait(v);
  sim.interrupt(v);
}

/**
 * The hotplug thread runs on the CPU (called by the run loop where it would pick a task, with none
 * current): sched_cpu_deactivate() first, so that no wake picks the CPU from here on, then the
 * guest's CPU-down callback as a frame on the idle stack. What the callback does first
 * (Backend.guestCpuDownPrepare()) happens at once; its stretch before the disable (Backend
 * caps.offlineWindow, priced at the round trips of its exits) is a phase a completion's kick can
 * cut: the re-entry then sends the page-ready, which waits on the guest's mask (x86: IF=0) or on
 * its line (arm64 v4: disabled) and is taken only after the callback has disabled async PF.
 */
export function startCpuDown(sim: Machine, v: Vcpu): void {
  v.down = true;
  // sched_cpu_deactivate() → set_rq_offline() → rq_offline_fair() → update_sysctl(): the defaults
  // scaled for num_online_cpus(), which still counts this CPU: it leaves cpu_online_mask only later,
  // in take_cpu_down() (kernel/cpu.c) → __cpu_disable() (arch code: arch/x86/kernel/smpboot.c
  // native_cpu_disable(), arch/arm64/kernel/smp.c). A CPU going down
  // thus leaves the slice as it was; the next offline or online scales it for the CPUs then up.
  rescaleForOnline(v.sched, cpusUp(sim) + 1);
  const { exits, irqsMasked } = sim.backend.caps.offlineWindow;
  const cs = sim.backend.caps.codeLayout.contextSwitch;
  const window: CodePhase = {
    ...cs,
    name: `the CPU-down callback before its disable${irqsMasked ? ' (interrupts off)' : ''}`,
    ns: exits * sim.backend.costs.exitNs.hypercall,
    touches: null,
    nonReentrant: false,
    irqsMasked,
    rqLocked: false,
  };
  sim.backend.guestCpuDownPrepare(v);
  v.frames.push(codeFrame(exits > 0 ? [window] : [], () => sim.backend.guestCpuOffline(v)));
}

/** The callback has run and the CPU is idle again: tear it down (takedown_cpu(), sched_cpu_dying()). */
export function takeCpuDown(sim: Machine, v: Vcpu): void {
  v.goingDown = false;
  guest.flushCallSingleQueue(sim, v);
  const to = fallbackCpu(sim);
  // move_queued_task(): each task joins the fallback CPU's queue, then wakeup_preempt() looks at it.
  for (const t of v.runq.detachAll()) {
    moveTask(sim, t, v, to);
    to.runq.attachMigrated(t, currentVruntime(to));
    checkPreemptWakeup(sim, to, t);
  }
  v.mode = 'off';
  v.modeSince = v.cursor;
  sim.dropStep(v); // nothing scheduled for a dead CPU
  sim.idleVcpus.delete(v.id);
  if (v.upPending) {
    v.upPending = false;
    cpuUp(sim, v);
  }
}

/**
 * cpu_up(): the CPU starts again from reset and runs the guest's CPU-up callbacks. One still on its
 * way down (its task has not yielded yet) comes up once it is down: the sysfs write waits on the
 * hotplug lock that the down holds.
 */
export function cpuUp(sim: Machine, v: Vcpu): void {
  if (v.mode !== 'off') {
    v.upPending = true;
    return;
  }
  const t = Math.max(sim.now, v.modeSince);
  account(sim, 'idle', v.modeSince, t);
  v.down = false;
  rescaleForOnline(v.sched, cpusUp(sim));
  v.tickPending = false;
  // The vCPU thread runs again from here: the INIT reset is its own (kvm_vcpu_reset()), so a reset
  // that drops works still reading waits for them, as a disable does (cancelWorksSync()).
  v.mode = 'run';
  v.cursor = t;
  v.modeSince = t;
  sim.backend.vcpuReset(v);
  v.exited = true;
  sim.backend.guestCpuOnline(v);
  sim.schedule(v, v.cursor);
}
