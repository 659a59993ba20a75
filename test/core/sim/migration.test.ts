/**
 * The scenario `migrate` event over whole runs (PROTOCOLS.md §2: "migration (a scenario event)
 * drops outstanding work and the destination's enable queues a wake-all"), and its validation.
 * Which designs get the wake-all is each backend's (test/arches/x86/migration.test.ts,
 * test/arches/arm64/migration.test.ts); here, what a run of each shows.
 */
import { describe, expect, it } from 'vitest';
import { findVariant, Harness, HARNESS_FIRST_MISSING_GFN, loadScenario, parseScenario, runVariant, ScenarioError } from '../../../index.js';
import { FREED_SLEEPER_HAZARD } from '../../../core/sim/guest-kernel.js';
import { smallScenario, TINY_SCENARIO_YAML } from '../../support/scenarios.js';

const migrated = smallScenario({ events: [{ atMs: 100, migrate: {} }] });

describe('a run with a migration', () => {
  // x86 and x86-pf restore EN, v4's designs SET_CONTROL, RFCv1 its register (KVM_SET_ONE_REG):
  // each vCPU gets one wake-all more than at boot.
  it.each(['x86', 'x86-pf', 'x86-ve', 'arm64-sdei', 'arm64-irq', 'arm64-s2', 'arm64-pvvec', 'arm64-impdef'])('%s: every sleeper is woken, every invariant holds, one more wake-all per vCPU', (id) => {
    const plain = runVariant(smallScenario(), findVariant(id));
    const r = runVariant(migrated, findVariant(id));
    expect(r.invariants.violations).toEqual([]);
    expect(r.metrics.apf.wakeupAll).toBe(plain.metrics.apf.wakeupAll + migrated.machine.vcpus);
  });

  // RFCv2 carries nothing to the destination, whose host is then disabled (no wake-all): the
  // tasks asleep at the switchover are never woken, and the run says so (invariant 7).
  it.each(['arm64-dabt'])('%s: the tasks asleep at the switchover sleep forever (invariant 7)', (id) => {
    const r = runVariant(migrated, findVariant(id));
    expect(r.invariants.violations.some((v) => v.invariant === 7 && /sleeps on token .* and nothing will wake it/.test(v.message))).toBe(true);
    expect(runVariant(smallScenario(), findVariant(id)).invariants.violations).toEqual([]);
  });

  it('the baselines and x86-halt keep every invariant', () => {
    for (const id of ['sync-x86', 'sync-arm64', 'x86-halt']) expect(runVariant(migrated, findVariant(id)).invariants.violations, id).toEqual([]);
  });
});

describe('a migration after an `until` window ended', () => {
  // The drain starts nothing new: the event does not happen, and the run does not wait for it.
  it('does not happen, and does not stretch the run to its time', () => {
    const base = {
      durationMs: 100,
      until: { tasks: ['t'] },
      tasks: [{ name: 't', passes: 2, program: [{ touch: { region: 'array', pages: 4 } }] }],
    };
    const plain = runVariant(smallScenario(base), findVariant('x86'));
    const late = runVariant(smallScenario({ ...base, events: [{ atMs: 90, migrate: {} }] }), findVariant('x86'));
    expect(plain.run.simulatedNs).toBeLessThan(90e6);
    expect(late.run.simulatedNs).toBe(plain.run.simulatedNs);
    expect(late.metrics.apf.wakeupAll).toBe(plain.metrics.apf.wakeupAll);
  });
});

describe('scenario events', () => {
  it('a migration at or after durationMs is refused, naming the field', () => {
    expect(() => parseScenario(`${TINY_SCENARIO_YAML}events: [ { atMs: 10, migrate: {} } ]\n`, 'm.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(`${TINY_SCENARIO_YAML}events: [ { atMs: 10, migrate: {} } ]\n`, 'm.yaml')).toThrow(/m\.yaml: events\[0\]\.atMs: 10 ms is not inside the run \(durationMs /);
  });

  it('a time that rounds onto durationMs in nanoseconds is not inside the run', () => {
    expect(() => parseScenario(`${TINY_SCENARIO_YAML}events: [ { atMs: 9.9999999996, migrate: {} } ]\n`, 'm.yaml')).toThrow(/events\[0\]\.atMs/);
    expect(() => parseScenario(`${TINY_SCENARIO_YAML}events: [ { atMs: 9.999999, migrate: {} } ]\n`, 'm.yaml')).not.toThrow();
  });

  it('an event kind other than migrate is refused', () => {
    expect(() => parseScenario(`${TINY_SCENARIO_YAML}events: [ { atMs: 1, reboot: {} } ]\n`, 'm.yaml')).toThrow(/events\.0|events\[0\]/);
  });

  it('examples/scenarios/migrate.yaml is overcommit with one migration, as the README says', () => {
    const { name, description, events, ...rest } = loadScenario('examples/scenarios/migrate.yaml');
    const { name: n, description: d, ...overcommit } = loadScenario('overcommit');
    expect([name, description, n, d].every((x) => x.length > 0)).toBe(true);
    expect(rest).toEqual(overcommit);
    expect(events).toEqual([{ atMs: 1000, migrate: {} }]);
  });

  it('a scenario without events reads back without the key (its --json is what it was)', () => {
    expect('events' in smallScenario()).toBe(false);
  });
});

/**
 * The guest takes any sleep-table entry for a not-present's token for a dummy and frees it
 * (arch/x86/kernel/kvm.c kvm_async_pf_queue_task()). After a migration the destination's token
 * counter starts again; where a new not-present reaches the guest before the enable's wake-all,
 * a token a task still sleeps on comes back: its on-stack node is freed and it is never woken.
 */
describe('a token handed out again while its sleeper sleeps (hostile round)', () => {
  it('x86-ve: counted as a hazard, the sleeper left asleep (invariant 7), not silently replaced', () => {
    const r = runVariant(loadScenario('test/fixtures/migrate-token-reuse.yaml'), findVariant('x86-ve'));
    expect(Object.keys(r.metrics.hazards)).toContain(FREED_SLEEPER_HAZARD);
    // Not invariant 1: the earlier life's work was dropped by the migration's queue clear, and it is
    // owed only the wake-all, so the destination may hand its token out again (core/invariants.ts
    // onQueued()); the harm is the guest's: the freed sleeper (the hazard, invariant 7).
    expect(r.invariants.violations.map((v) => v.invariant)).toEqual([7]);
    expect(r.invariants.violations[0].message).toMatch(/sleeps on token 0x1000 and nothing will wake it/);
  });
});

/**
 * A stall in reclaim is the source's vCPU thread's, inside its fault (core/sim/host-async-pf.ts
 * stallInReclaim()): the switchover waits for it, and the source chooses async or sync with its
 * own token counter; the work goes with the source, and the destination's fresh vCPU runs the
 * access again after its first entry, which takes the enable's wake-all first. Hostile round: the
 * choice was made when the stall ended, on the destination with its counter started again and no
 * entry between, so x86 handed out 0x1031 (vCPU 49's first token) while a task still slept on the
 * source's 0x1031, before the wake-all, and that task slept for good (arch/x86/kernel/kvm.c kvm_async_pf_queue_task():
 * an entry with the token is taken for a dummy). Found at 128 vCPUs; the fixture is it shrunk.
 */
describe('a switchover while a vCPU waits in reclaim (hostile round)', () => {
  it('x86: the stalled access runs again on the destination, after the wake-all: every sleeper is woken', () => {
    const r = runVariant(loadScenario('test/fixtures/migrate-reclaim-stall.yaml'), findVariant('x86'));
    expect(r.metrics.swap.writebackStalls).toBeGreaterThan(0);
    expect(r.invariants.violations).toEqual([]);
    expect(Object.keys(r.metrics.hazards)).not.toContain(FREED_SLEEPER_HAZARD);
  });
});

/**
 * The switchover cancels the vCPU's stall (core/sim/reclaim-stall.ts cancel()): its
 * choice, not its turn. The source's thread sleeps uninterruptibly for its allocation
 * (block/blk-mq-tag.c blk_mq_get_tag(): TASK_UNINTERRUPTIBLE, then io_schedule()) and the pause
 * waits for it, so the allocation keeps its place in the throttle's FIFO and its `pending` count,
 * and its read goes out in its turn; only the async-or-sync choice, made on the source with the
 * source's tokens (f83eeae), is not made again on the destination.
 */
describe('a switchover cancels a vCPU\'s stall in reclaim: its choice, not its turn (harness)', () => {
  const g = HARNESS_FIRST_MISSING_GFN;
  function stalled(migrated: boolean): { h: Harness; order: string[] } {
    const h = new Harness(findVariant('x86'));
    const order: string[] = [];
    h.sim.reclaim.wait({ proceed: () => order.push('ahead') });
    h.fault(g);
    h.sim.reclaim.wait({ proceed: () => order.push(h.sim.swap!.isReading(g) ? 'behind, after the read' : 'behind, before the read') });
    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.reclaim.pending).toBe(3);
    if (migrated) h.migrate();
    expect(h.sim.reclaim.pending).toBe(3);
    expect(h.vcpu().mode).toBe('sync');
    h.sim.reclaim.release(() => false);
    return { h, order };
  }

  it('x86: the read goes out and the vCPU goes on in its FIFO turn, and nothing is chosen', () => {
    const { h, order } = stalled(true);
    expect(order).toEqual(['ahead', 'behind, after the read']);
    expect(h.vcpu().mode).toBe('run');
    expect(h.sim.swap!.isReading(g)).toBe(true);
    expect(h.vcpu().apf.gfns.has(g)).toBe(false);
    expect(h.sim.metrics.faults).toBe(0); // counted when the access faults again on the destination
  });

  it('x86, no switchover: the same turn, and KVM chooses at its end', () => {
    const { h, order } = stalled(false);
    expect(order).toEqual(['ahead', 'behind, after the read']);
    expect(h.vcpu().apf.gfns.has(g)).toBe(true);
    expect(h.sim.metrics.faults).toBe(1);
  });
});
