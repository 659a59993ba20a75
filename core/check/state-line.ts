import type { Harness } from '../harness.js';
import { guestHaltToken, hex, readsInFlight } from './steps.js';

/**
 * The machine in one line, as a counterexample shows it after each step: what each vCPU is doing,
 * which tasks sleep on which token, what else the sleep tables hold, the reads in flight and the
 * completions not yet delivered, so that a reader sees what an entry changed even where no
 * tracepoint fires.
 */
export function stateLine(h: Harness, pages: readonly number[]): string {
  const parts: string[] = [];
  for (const v of h.sim.vcpus) {
    const halt = guestHaltToken(v);
    let what: string;
    if (v.mode === 'halt') what = 'halted in the host';
    else if (v.mode === 'sync') what = 'blocked in the host (synchronous fault)';
    else if (v.mode === 'idle') what = 'idle in the host';
    else if (v.mode === 'off') what = 'offline';
    else if (halt >= 0) what = `halted in the guest on ${hex(halt)}`;
    else what = v.current ? `runs ${v.current.name}` : 'runs no task';
    const done = v.apf.done.length;
    const extra = [v.injected ? `${v.injected.name} pending` : null, done > 0 ? `${done} completion${done === 1 ? '' : 's'} to deliver` : null].filter((x) => x !== null);
    if (v.goingDown) extra.unshift(v.down ? 'CPU-down callback to run' : 'going offline');
    parts.push(`vCPU ${v.id} ${what}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`);
  }
  for (const t of h.sim.tasks) if (t.state === 'sleeping') parts.push(`${t.name} asleep on ${hex(t.sleepToken)}`);
  // What else the guest's sleep tables hold: a dummy a wake left, a task flagged to sleep later.
  for (const v of h.sim.vcpus) {
    for (const e of v.sleepTable.list()) {
      if (e.kind === 'dummy' || e.kind === 'flagged') parts.push(`vCPU ${v.id}'s sleep table: ${e.kind} ${hex(e.token)}`);
    }
  }
  const reads = readsInFlight(h, pages);
  if (reads.length > 0) parts.push(`reading ${reads.map(hex).join(', ')}`);
  return parts.join('; ');
}
