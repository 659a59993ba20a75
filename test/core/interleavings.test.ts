import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../arches/registry.js';
import { Harness, HARNESS_FIRST_MISSING_GFN } from '../../index.js';
import type { Variant } from '../../index.js';

/**
 * Every order of a vCPU's protocol steps, not only the ones a scenario's run takes: on one vCPU with
 * two tasks and two host-missing pages, each sequence of up to DEPTH steps — the current task faults
 * on a missing page, the backing store completes a read in flight, the vCPU enters the guest — is
 * replayed on a fresh harness, then drained (every read completed, the vCPU entered again). Each must
 * leave DESIGN.md's invariants unbroken (the monitor runs inside every step) and no task asleep
 * (invariant 7: no task sleeps forever). A bounded walk, in the spirit of the small model-checked
 * configurations of facts/anchors.md §C; DESIGN.md's `check` command would widen it.
 */
const DEPTH = 6;
const PAGES = [HARNESS_FIRST_MISSING_GFN, HARNESS_FIRST_MISSING_GFN + 1];

type Step = readonly ['fault' | 'complete', number] | readonly ['enter'];

function inFlight(h: Harness): number[] {
  return PAGES.filter((g) => h.sim.ioWaiters.get(g) !== undefined);
}

/** The steps the machine allows now: a fault needs a running vCPU with a task; an entry, a running vCPU. */
function steps(h: Harness): Step[] {
  const v = h.vcpu(0);
  const out: Step[] = [];
  if (v.mode === 'run' && v.current) for (const g of PAGES) if (!h.sim.memory.isResident(g)) out.push(['fault', g]);
  for (const g of inFlight(h)) out.push(['complete', g]);
  if (v.mode === 'run') out.push(['enter']);
  return out;
}

function replay(variant: Variant, seq: readonly Step[]): Harness {
  const h = new Harness(variant);
  for (const s of seq) {
    if (s[0] === 'fault') h.fault(s[1]);
    else if (s[0] === 'complete') h.complete(s[1]);
    else h.enter();
  }
  return h;
}

/** Every read completed and the vCPU entered until nothing changes (a bounded number of rounds). */
function drain(h: Harness): void {
  for (let round = 0; round < 16; round++) {
    for (const g of inFlight(h)) h.complete(g);
    if (h.vcpu(0).mode === 'run') h.enter();
  }
}

/** The walk: the number of sequences it ended, and the first that broke something, with what. */
function walk(variant: Variant): { leaves: number; broken: string | null } {
  let leaves = 0;
  let broken: string | null = null;
  const visit = (seq: Step[]) => {
    if (broken !== null) return;
    const h = replay(variant, seq);
    const next = seq.length < DEPTH ? steps(h) : [];
    if (next.length > 0) {
      for (const s of next) visit([...seq, s]);
      return;
    }
    leaves++;
    drain(h);
    const asleep = h.sim.tasks.filter((t) => t.state === 'sleeping').map((t) => t.name);
    const violations = h.sim.monitor.violations.map((v) => `invariant ${v.invariant}: ${v.message}`);
    if (violations.length > 0 || asleep.length > 0) {
      broken = `${seq.map((s) => s.join(' ')).join(', ')} → ${[...violations, ...(asleep.length ? [`asleep after the drain: ${asleep.join(', ')}`] : [])].join('; ')}`;
    }
  };
  visit([]);
  return { leaves, broken };
}

describe(`every order of fault, completion and entry, up to ${DEPTH} steps on one vCPU`, () => {
  for (const variant of VARIANTS) {
    it(`${variant.id}: no invariant broken, no task left asleep`, () => {
      const { leaves, broken } = walk(variant);
      expect(broken).toBeNull();
      // The walk did branch: two pages, their completions and entries give dozens of orders.
      expect(leaves).toBeGreaterThan(20);
    });
  }
});
