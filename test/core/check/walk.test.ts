import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VARIANTS, composeSpec, findVariant } from '../../../arches/registry.js';
import { parseYaml } from '../../../core/scenario/load.js';
import { CHECK_DEFAULTS, checkVariant } from '../../../core/check/walk.js';
import { checkPages, nextSteps, playStep, type CheckStep } from '../../../core/check/steps.js';
import { drain } from '../../../core/check/at-rest.js';
import { Harness } from '../../../core/harness.js';
import { BadInputError } from '../../../core/errors.js';
import { buildCheckView } from '../../../cli/views/check.js';

/**
 * `apf-lab check`'s walk (core/check/): every order of faults, completions and entries, each
 * drained and judged. What a design must leave behind at rest is nothing; the rules below are the
 * kernel's (facts/x86.md §2, §6).
 */
const SMALL = { ...CHECK_DEFAULTS, vcpus: 1, pages: 2, depth: 6 } as const;
// Two vCPUs sharing the pages, 4 steps deep; faults in user and kernel mode (a fault with
// interrupts off is synchronous in every design, which the one-vCPU walk already covers).
const TWO_VCPUS = { ...CHECK_DEFAULTS, vcpus: 2, pages: 2, depth: 4, contexts: ['user', 'kernel'] } as const;

describe('the 2010 page-ready leak (facts/x86.md §6, 2a18b7e7cd88)', () => {
  it('x86-pf: a kernel-mode fault halts, its page-ready #PF still goes out, and the guest keeps a dummy for good', () => {
    const r = checkVariant(findVariant('x86-pf'), SMALL);
    expect(r.exhaustive).toBe(true);
    expect(r.findings.map((f) => f.kind)).toEqual(['sleep-table-entry']);
    const [f] = r.findings;
    // The shortest order: one kernel-mode touch; the drain completes the read and enters.
    expect(f.steps).toEqual([{ kind: 'fault', vcpu: 0, gfn: 256, context: 'kernel' }]);
    expect(f.problems).toEqual(["vCPU 0's sleep table keeps token 0x0 (a dummy: a page-ready nobody waited for, never consumed)"]);
    // The trace shows it: a halt (no not-present reached the guest), then the page-ready for that token.
    expect(f.trace.filter((l) => l.step === 0).map((l) => l.event)).toContain('apf_lab_halt');
    expect(f.trace.filter((l) => l.step === null).map((l) => `${l.event}: ${l.text}`)).toContain('kvm_async_pf_ready: token 0 gva 0x100000');
  });

  it('x86 (5.8+): page-ready only where not-present was injected (kvm_arch_async_page_present(), x86.c): nothing left', () => {
    const r = checkVariant(findVariant('x86'), SMALL);
    expect(r.findings).toEqual([]);
    expect(r.exhaustive).toBe(true);
    expect(r.orders).toBeGreaterThan(200);
  });
});

describe('the zero-token hang (facts/x86.md §6, 6f3c1fc53d86)', () => {
  it('x86 before the fix (examples/variants/x86-zero-token.yaml): token 0 reads as a free slot, a second page-ready overwrites it, the task on token 0 sleeps for good', () => {
    const file = 'examples/variants/x86-zero-token.yaml';
    const r = checkVariant(composeSpec(parseYaml(readFileSync(file, 'utf8'), file), file), SMALL);
    expect(r.findings.map((f) => f.kind)).toEqual(['invariant-3', 'task-asleep']);
    const asleep = r.findings.find((f) => f.kind === 'task-asleep')!;
    // Two tasks fault in user mode in turn (the first sleeps on token 0, the second runs), then both reads complete.
    expect(asleep.steps.map((s) => s.kind)).toEqual(['fault', 'enter', 'fault']);
    expect(asleep.problems).toEqual(['task task/0 on vCPU 0 is still asleep on token 0x0 (invariant 7)']);
    expect(asleep.trace.filter((l) => l.event === 'kvm_async_pf_ready').map((l) => l.text)).toEqual(['token 0 gva 0x100000', 'token 0x1000 gva 0x101000']);
    // The machine after each step and at rest (core/check/state-line.ts): task/0 never wakes.
    expect(asleep.states).toEqual([
      'vCPU 0 runs task/0 (#PF pending); reading 0x100',
      'vCPU 0 runs task/1; task/0 asleep on 0x0; reading 0x100',
      'vCPU 0 runs task/1 (#PF pending); task/0 asleep on 0x0; reading 0x100, 0x101',
      'vCPU 0 runs task/1; task/0 asleep on 0x0',
    ]);
  });
});

for (const bounds of [SMALL, TWO_VCPUS]) {
  describe(`every design, every order up to ${bounds.depth} steps on ${bounds.vcpus} vCPU${bounds.vcpus === 1 ? '' : 's'}`, () => {
    for (const variant of VARIANTS) {
      // x86-pf is the 2010 design and has the leak above; every other one leaves nothing behind.
      const expected = variant.id === 'x86-pf' ? ['sleep-table-entry'] : [];
      it(`${variant.id}: ${expected.length === 0 ? 'no invariant broken, nothing left at rest' : 'only the 2010 leak'}`, () => {
        const r = checkVariant(variant, bounds);
        expect(r.findings.map((f) => `${f.kind}: ${f.problems.join('; ')}`).filter((k) => !expected.some((e) => k.startsWith(e)))).toEqual([]);
        expect(r.exhaustive).toBe(true);
        // The walk did branch: pages, contexts, completions and entries give hundreds of orders.
        expect(r.orders).toBeGreaterThan(100);
      });
    }
  });
}

describe('the walk itself', () => {
  it('starts after the guest took the wake-all its enabling queued, as a booted guest has', () => {
    // Without that first entry, a not-present before the wake-all is woken by it, and the
    // page-ready after it leaves a dummy: x86 would show a leak that no guest has.
    const r = checkVariant(findVariant('x86'), { ...SMALL, depth: 1, contexts: ['user'] });
    expect(r.findings).toEqual([]);
    expect(r.orders).toBe(4); // the empty order, a touch of either page, an entry
  });

  it('stops at maxOrders and says it is not exhaustive', () => {
    const r = checkVariant(findVariant('x86'), SMALL, 10);
    expect(r.orders).toBe(10);
    expect(r.exhaustive).toBe(false);
    // The empty order, then the 7 of one step (2 pages x 3 contexts, an entry): 1 step complete,
    // and the ninth and tenth are of two steps.
    expect(r.completeDepth).toBe(1);
    expect(r.partlyBeyond).toBe(true);
    // Cut exactly where the orders of one step end: none of two steps was judged.
    const at = checkVariant(findVariant('x86'), SMALL, 8);
    expect(at.completeDepth).toBe(1);
    expect(at.partlyBeyond).toBe(false);
    expect(buildCheckView(at).walked).toBe('8 orders, each brought to rest and judged; stopped at --max-orders: NOT every order within these bounds, only every order of up to 1 step');
  });

  it('counts every order of a small walk, as by hand', () => {
    // x86, one page, user mode: [] | f, e | f-e, f-c, e-f, e-e | then, after f-e (the first task
    // asleep, the second one switched in): its fault on the same gfn, an entry, the completion;
    // after f-c an entry; after e-f an entry or the completion; after e-e a fault or an entry.
    const one = { ...SMALL, pages: 1, contexts: ['user'] } as const;
    expect([1, 2, 3].map((depth) => checkVariant(findVariant('x86'), { ...one, depth }).orders)).toEqual([3, 7, 15]);
    // sync: a fault blocks the vCPU until its read completes, and no task sleeps.
    expect([1, 2, 3].map((depth) => checkVariant(findVariant('sync-x86'), { ...one, depth }).orders)).toEqual([3, 6, 10]);
  });

  it("runs a vCPU's second task once the first sleeps: it can fault while the first waits", () => {
    const h = new Harness(findVariant('x86'), { vcpus: 1, guestMemoryMiB: 2 });
    drain(h, []);
    const seq: CheckStep[] = [
      { kind: 'fault', vcpu: 0, gfn: 256, context: 'user' },
      { kind: 'enter', vcpu: 0 },
    ];
    for (const s of seq) playStep(h, s);
    expect(h.sim.tasks.map((t) => t.state)).toEqual(['sleeping', 'running']);
    expect(nextSteps(h, seq, { ...SMALL, contexts: ['user'] }, checkPages(SMALL))).toContainEqual({ kind: 'fault', vcpu: 0, gfn: 257, context: 'user' });
  });

  it('a vCPU halted in the guest touches nothing until it is woken', () => {
    // RFCv2 with SEND_ALWAYS (the rfcSendAlways knob): a kernel-mode not-present halts the task in
    // the guest's wfi() loop (kvm_async_pf_wait(), seed 003). A halted loop takes no stage-2 fault.
    const dabt = findVariant('arm64-dabt');
    const always = { ...dabt, knobs: { ...dabt.knobs, rfcSendAlways: 1 } };
    const h = new Harness(always, { vcpus: 1, guestMemoryMiB: 2 });
    drain(h, []);
    const seq: CheckStep[] = [
      { kind: 'fault', vcpu: 0, gfn: 256, context: 'kernel' },
      { kind: 'enter', vcpu: 0 },
    ];
    for (const s of seq) playStep(h, s);
    expect(h.vcpu(0).guestHalted).toBe(true);
    expect(nextSteps(h, seq, SMALL, checkPages(SMALL))).toEqual([{ kind: 'enter', vcpu: 0 }, { kind: 'complete', gfn: 256 }]);
  });

  it("two vCPUs' works on one page finish one at a time, in either order (each is its own work item)", () => {
    // virt/kvm/async_pf.c: every async PF is a work item of its own (async_pf_execute()); two vCPUs
    // faulting on one gfn each have theirs, each with its own token, and either may finish first.
    const h = new Harness(findVariant('x86'), { vcpus: 2, guestMemoryMiB: 2 });
    drain(h, []);
    const seq: CheckStep[] = [
      { kind: 'fault', vcpu: 0, gfn: 256, context: 'user' },
      { kind: 'fault', vcpu: 1, gfn: 256, context: 'user' },
    ];
    for (const s of seq) playStep(h, s);
    const completes = nextSteps(h, seq, { ...SMALL, vcpus: 2 }, checkPages(SMALL)).filter((s) => s.kind === 'complete');
    expect(completes).toEqual([
      { kind: 'complete', gfn: 256, vcpu: 0 },
      { kind: 'complete', gfn: 256, vcpu: 1 },
    ]);
    // vCPU 1's finishes first: the page is in, vCPU 1 has a completion to deliver, vCPU 0 still waits.
    playStep(h, completes[1]);
    expect(h.sim.memory.isResident(256)).toBe(true);
    expect([h.vcpu(0).apf.done.length, h.vcpu(1).apf.done.length]).toEqual([0, 1]);
    expect(h.waitingOn(256)).toEqual([0]);
    // Then vCPU 0's, alone now: a plain completion is what the walk offers.
    expect(nextSteps(h, [...seq, completes[1]], { ...SMALL, vcpus: 2 }, checkPages(SMALL)).filter((s) => s.kind === 'complete')).toEqual([{ kind: 'complete', gfn: 256 }]);
    h.complete(256);
    expect(h.vcpu(0).apf.done.length).toBe(1);
    expect(h.waitingOn(256)).toEqual([]);
  });

  it('a walk cut at maxOrders still gives the shortest order of what it found', () => {
    // Depth first, the first branch (vCPU 0's user-mode faults) alone is bigger than the cap, and
    // the 1-step kernel-mode fault of x86-pf's leak would be found only as a longer order.
    const r = checkVariant(findVariant('x86-pf'), { ...CHECK_DEFAULTS, vcpus: 3, pages: 4, depth: 10 }, 3000);
    expect(r.exhaustive).toBe(false);
    expect(r.completeDepth).toBe(2);
    expect(r.findings.map((f) => f.steps)).toEqual([[{ kind: 'fault', vcpu: 0, gfn: 256, context: 'kernel' }]]);
  });

  it('gives the same result twice', () => {
    const v = findVariant('x86-pf');
    expect(checkVariant(v, SMALL)).toEqual(checkVariant(v, SMALL));
  });

  it('refuses bounds it cannot walk, naming them', () => {
    const v = findVariant('x86');
    expect(() => checkVariant(v, { ...SMALL, vcpus: 0 })).toThrow(new BadInputError('check: vcpus must be a whole number from 1 to 3, got 0'));
    expect(() => checkVariant(v, { ...SMALL, depth: 11 })).toThrow(/depth must be a whole number from 1 to 10/);
    expect(() => checkVariant(v, { ...SMALL, contexts: [] })).toThrow(/at least one fault context/);
    expect(() => checkVariant(v, { ...SMALL, contexts: ['nmi' as never] })).toThrow(/unknown fault context "nmi"/);
    // From plain JavaScript: named, never a TypeError from inside the walk, never a walk counted twice.
    expect(() => checkVariant(v, null as never)).toThrow(new BadInputError('check: bounds must be an object (vcpus, pages, depth, contexts), got null'));
    expect(() => checkVariant(v, { vcpus: 1, pages: 1, depth: 1 } as never)).toThrow(/contexts must be an array/);
    expect(() => checkVariant(v, { ...SMALL, contexts: 'user' as never })).toThrow(/contexts must be an array/);
    expect(() => checkVariant(v, { ...SMALL, contexts: ['user', 'user'] })).toThrow(/fault context "user" named twice/);
  });
});

describe('--migrate: a live migration once, anywhere in an order (core/sim/migration.ts)', () => {
  const MIGRATE = { ...SMALL, migrate: true } as const;

  it('x86 and arm64-sdei restore their enable on the destination, whose wake-all leaves nothing behind', () => {
    for (const id of ['x86', 'arm64-sdei']) {
      const r = checkVariant(findVariant(id), MIGRATE);
      expect(r.exhaustive, id).toBe(true);
      expect(r.findings, id).toEqual([]);
    }
  });

  it('arm64-dabt (RFCv2): a user-mode fault, then the migration, leave the task asleep for good (no ioctl carries its state)', () => {
    const r = checkVariant(findVariant('arm64-dabt'), MIGRATE);
    const f = r.findings.find((x) => x.kind === 'task-asleep')!;
    expect(f.steps).toEqual([{ kind: 'fault', vcpu: 0, gfn: 256, context: 'user' }, { kind: 'migrate' }]);
  });

  it('the migration is offered once per order, and a migrated vCPU touches nothing before its next entry', () => {
    const h = new Harness(findVariant('x86'), { vcpus: 1, guestMemoryMiB: 16 });
    drain(h, []);
    const pages = checkPages(MIGRATE);
    expect(nextSteps(h, [], MIGRATE, pages)).toContainEqual({ kind: 'migrate' });
    const seq: CheckStep[] = [{ kind: 'migrate' }];
    playStep(h, seq[0]);
    const next = nextSteps(h, seq, MIGRATE, pages);
    expect(next.map((s) => s.kind).sort()).toEqual(['enter']);
  });

  it('no touch with interrupts on comes while an interrupt is pending on its vCPU (it is taken at the unmask)', () => {
    const h = new Harness(findVariant('x86'), { vcpus: 1, guestMemoryMiB: 16 });
    drain(h, []);
    h.vcpu().raiseIrq(0x30, 'other', false);
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    const faults = nextSteps(h, [], SMALL, checkPages(SMALL)).filter((s) => s.kind === 'fault');
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.every((s) => s.kind === 'fault' && s.context === 'irqs-off')).toBe(true);
  });
});
