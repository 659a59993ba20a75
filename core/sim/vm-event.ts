import type { Scenario } from '../scenario/schema.js';
import { cpuDown, cpuUp } from './cpu-hotplug.js';
import type { Machine } from './machine.js';
import { migrate } from './migration.js';

/** A scenario's VM event at its time (core/scenario/vm-events.ts checked it says one thing, and that it can happen). */
export function runVmEvent(sim: Machine, e: NonNullable<Scenario['events']>[number]): void {
  if (e.migrate) return migrate(sim);
  if (e.offline) return cpuDown(sim, sim.vcpus[e.offline.vcpu]);
  if (e.online) return cpuUp(sim, sim.vcpus[e.online.vcpu]);
}
