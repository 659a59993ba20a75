import * as completion from './async-pf-completion.js';
import type { Machine } from './machine.js';

/**
 * A live migration's switchover (a scenario `migrate` event; PROTOCOLS.md §2, facts/x86.md §2
 * "Disable, reset, migration"). The guest does not see the blackout: its clock (kvmclock, the
 * arm64 counter offset) is migrated, so the switchover takes no guest time here. Each vCPU leaves
 * behind what only the source's kernel held for it, and the VMM restores the rest on a fresh
 * destination vCPU (Backend.vcpuMigrated()). The host's resident pages stay as they were: the
 * destination is assumed to hold what the source held (README "Scenarios", `events`).
 */
export function migrate(sim: Machine): void {
  for (const v of sim.vcpus) {
    // QEMU stops every vCPU: one in guest mode exits. Its pause is the migration's, not the protocol's: not counted.
    if (v.mode === 'run') {
      if (v.segment) {
        sim.preempt(v, sim.now);
        sim.schedule(v, v.cursor);
      }
      v.exited = true;
    }
    // The source's vCPU is destroyed with its queue (kvm_clear_async_pf_completion_queue()), and
    // a request is in-kernel state no ioctl saves.
    completion.clearCompletionQueue(sim, v);
    v.apf.readyRequested = false;
    sim.monitor.onVcpuMigrated(v.id);
    // A fault stalled in reclaim chooses nothing on the destination (ReclaimStall.cancel()).
    v.reclaimStall?.cancel();
    // apf.halted is kept apart from mp_state so that it does not migrate (v7 cover, quoted in
    // 20101018153402.GA2067@amt.cnet): the destination runs the vCPU, whose access faults anew.
    if (v.mode === 'halt') sim.leaveWait(v);
    sim.backend.vcpuMigrated(v);
    // What the destination's kvm_arch_vcpu_runnable() reads (v4's pending flags) starts afresh.
    sim.endIdleSpin(v);
  }
}
