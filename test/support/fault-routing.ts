/**
 * Shared arrange steps for the tests of designs whose faults reach the guest with no exit
 * (x86-ve, arm64-s2): the scenarios their whole runs are checked on, and the guest scheduler's
 * next pick after the faulting task slept. Public API only (index.ts).
 */
import { readFileSync } from 'node:fs';
import { loadScenario, parseScenario, type Harness, type Scenario } from '../../index.js';

/** The default scenario and scenarios/ipi-mix.yaml. */
export function routingScenarios(): Scenario[] {
  return [loadScenario('overcommit'), parseScenario(readFileSync('scenarios/ipi-mix.yaml', 'utf8'), 'scenarios/ipi-mix.yaml')];
}

/** The guest scheduler puts the next runnable task on vCPU 0 (after the current one slept). */
export function runNextTask<S>(h: Harness<S>): void {
  const v = h.vcpu();
  const t = v.runq.pickNext();
  if (!t) throw new Error('runNextTask: no runnable task');
  t.state = 'running';
  v.current = t;
}

/**
 * The current task of vCPU 0 faults on `gfn` and the guest takes what the fault raised (its
 * handler asks the host for the page): the task, and the token the host allocated (-1: none).
 */
export function faultAndEnter<S>(h: Harness<S>, gfn: number): { task: NonNullable<ReturnType<Harness<S>['vcpu']>['current']>; token: number } {
  const v = h.vcpu();
  const task = v.current;
  if (!task) throw new Error('faultAndEnter: no current task');
  h.fault(gfn);
  h.enter();
  return { task, token: v.apf.gfns.get(gfn)?.token ?? -1 };
}
