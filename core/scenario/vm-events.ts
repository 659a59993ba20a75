import { ScenarioError } from './error.js';
import type { Scenario } from './schema.js';

/** The fields that say what a VM event does: exactly one is given. */
const KINDS = ['migrate', 'offline', 'online'] as const;

/**
 * A VM event happens inside the measured window and says one thing; a post-copy run starts at its
 * migration's switchover. A CPU goes down only while up and up only while down, in the order the
 * run takes the events (time, then their order in the file), and CPU 0 stays up: x86 Linux no
 * longer takes the boot CPU down, and a guest needs one CPU to run the rest.
 */
export function checkVmEvents(file: string, s: Scenario): void {
  const events = s.events ?? [];
  events.forEach((e, i) => {
    const given = KINDS.filter((k) => e[k] !== undefined);
    if (given.length !== 1) throw new ScenarioError(file, `events[${i}]`, `give exactly one of ${KINDS.join(', ')} (${given.length === 0 ? 'none' : given.join(' and ')} given)`);
    // Compared in the nanoseconds the run schedules it at: a time that rounds onto the end is not inside.
    if (Math.round(e.atMs * 1e6) >= Math.round(s.durationMs * 1e6)) throw new ScenarioError(file, `events[${i}].atMs`, `${e.atMs} ms is not inside the run (durationMs ${s.durationMs})`);
    if (e.migrate && s.backing.kind === 'postcopy') throw new ScenarioError(file, `events[${i}].migrate`, 'a backing postcopy run starts at its migration\'s switchover: a second migration of it is not modelled');
    const cpu = e.offline ?? e.online;
    if (cpu === undefined) return;
    const field = `events[${i}].${given[0]}.vcpu`;
    if (cpu.vcpu >= s.machine.vcpus) throw new ScenarioError(file, field, `vCPU ${cpu.vcpu} does not exist (machine.vcpus ${s.machine.vcpus})`);
    if (cpu.vcpu === 0) throw new ScenarioError(file, field, 'CPU 0 stays up: x86 Linux does not take the boot CPU down, and the lab keeps it so on every architecture');
  });
  const down = new Set<number>();
  const order = events.map((e, i) => ({ e, i, ns: Math.round(e.atMs * 1e6) })).sort((a, b) => a.ns - b.ns || a.i - b.i);
  for (const { e, i } of order) {
    if (e.offline) {
      if (down.has(e.offline.vcpu)) throw new ScenarioError(file, `events[${i}].offline`, `vCPU ${e.offline.vcpu} is already down at ${e.atMs} ms`);
      down.add(e.offline.vcpu);
    } else if (e.online) {
      if (!down.delete(e.online.vcpu)) throw new ScenarioError(file, `events[${i}].online`, `vCPU ${e.online.vcpu} is up at ${e.atMs} ms: only a CPU taken down comes back up`);
    }
  }
}
