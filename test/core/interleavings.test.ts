import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../arches/registry.js';
import { Harness, HARNESS_FIRST_MISSING_GFN } from '../../index.js';
import type { Variant } from '../../index.js';

/**
 * Every order of the vCPUs' protocol steps, not only the ones a scenario's run takes: with two tasks
 * per vCPU and two host-missing pages, each sequence of steps — a vCPU's current task faults on a
 * missing page, the backing store completes a read in flight, a vCPU enters the guest — is replayed
 * on a fresh harness, then drained (every read completed, every vCPU entered again). Each must leave
 * DESIGN.md's invariants unbroken (the monitor runs inside every step) and no task asleep (invariant
 * 7: no task sleeps forever). A vCPU faults again only after it entered the guest: a fault exits, and
 * the guest runs nothing before the next entry. One vCPU is walked 6 steps deep, two vCPUs (sharing
 * the pages, each with its own gfn hash) 4 deep. A bounded walk, in the spirit of the small
 * model-checked configurations of facts/anchors.md §C; DESIGN.md's `check` command would widen it.
 */
const WALKS = [
  { vcpus: 1, depth: 6 },
  { vcpus: 2, depth: 4 },
] as const;
const PAGES = [HARNESS_FIRST_MISSING_GFN, HARNESS_FIRST_MISSING_GFN + 1];

type Step = readonly ['fault', number, number] | readonly ['complete', number] | readonly ['enter', number];

function inFlight(h: Harness): number[] {
  return PAGES.filter((g) => h.sim.ioWaiters.get(g) !== undefined);
}

/** Whether vCPU `i`'s last step in `seq` was a fault, with no entry after it. */
function faultedLast(seq: readonly Step[], i: number): boolean {
  for (let k = seq.length - 1; k >= 0; k--) {
    const s = seq[k];
    if (s[0] === 'enter' && s[1] === i) return false;
    if (s[0] === 'fault' && s[2] === i) return true;
  }
  return false;
}

/** The steps the machine allows now: a fault needs a running vCPU with a task that entered since its last fault; an entry, a running vCPU. */
function steps(h: Harness, seq: readonly Step[]): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < h.sim.vcpus.length; i++) {
    const v = h.vcpu(i);
    if (v.mode === 'run' && v.current && !faultedLast(seq, i)) for (const g of PAGES) if (!h.sim.memory.isResident(g)) out.push(['fault', g, i]);
    if (v.mode === 'run') out.push(['enter', i]);
  }
  for (const g of inFlight(h)) out.push(['complete', g]);
  return out;
}

function replay(variant: Variant, vcpus: number, seq: readonly Step[]): Harness {
  const h = new Harness(variant, { vcpus });
  for (const s of seq) {
    if (s[0] === 'fault') h.fault(s[1], s[2]);
    else if (s[0] === 'complete') h.complete(s[1]);
    else h.enter(s[1]);
  }
  return h;
}

/** Every read completed and every running vCPU entered until nothing changes (a bounded number of rounds). */
function drain(h: Harness): void {
  for (let round = 0; round < 16; round++) {
    for (const g of inFlight(h)) h.complete(g);
    for (let i = 0; i < h.sim.vcpus.length; i++) if (h.vcpu(i).mode === 'run') h.enter(i);
  }
}

/** The walk: the number of sequences it ended, and the first that broke something, with what. */
function walk(variant: Variant, vcpus: number, depth: number): { leaves: number; broken: string | null } {
  let leaves = 0;
  let broken: string | null = null;
  const visit = (seq: Step[]) => {
    if (broken !== null) return;
    const h = replay(variant, vcpus, seq);
    const next = seq.length < depth ? steps(h, seq) : [];
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

for (const { vcpus, depth } of WALKS) {
  describe(`every order of fault, completion and entry, up to ${depth} steps on ${vcpus} vCPU${vcpus === 1 ? '' : 's'}`, () => {
    for (const variant of VARIANTS) {
      it(`${variant.id}: no invariant broken, no task left asleep`, () => {
        const { leaves, broken } = walk(variant, vcpus, depth);
        expect(broken).toBeNull();
        // The walk did branch: pages, their completions and entries give dozens of orders.
        expect(leaves).toBeGreaterThan(20);
      });
    }
  });
}
