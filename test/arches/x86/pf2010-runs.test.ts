/**
 * `x86-pf` over whole scenarios: invariant-clean on the default scenario and on ipi-mix, and the
 * dummy-entry leak of facts/x86.md §6 ("Dummy-entry leak", fixed by 2a18b7e7cd88) accounted for
 * exactly: every leaked dummy is a page-ready #PF sent for a fault whose not-present never went
 * out (the vCPU was halted in kernel mode instead, seed 001's `get_cpl() == 0` branch).
 */
import { describe, expect, it } from 'vitest';
import {
  findVariant,
  loadScenario,
  PF2010_HAZARDS,
  runVariant,
  Simulation,
  x86PfVariant,
  type Pf2010VcpuState,
  type RunResult,
  type Scenario,
  type Vcpu,
} from '../../../index.js';

const overcommit = loadScenario('overcommit');
const ipiMix = loadScenario('ipi-mix');

/** The run as runVariant() makes it, kept open so a test can read each vCPU's state afterwards. */
function simulate(scenario: Scenario): Simulation {
  const backend = x86PfVariant.createBackend({
    costOverrides: { ...x86PfVariant.defaultCosts, ...scenario.costs.x86 },
    knobs: { ...x86PfVariant.knobs, ...scenario.arch.x86 },
    guestMemoryBytes: Math.round(scenario.machine.guestMemoryMiB * 1024 * 1024),
  });
  const sim = new Simulation(scenario, backend, { seed: scenario.seed });
  sim.run();
  return sim;
}

function clean(r: RunResult): void {
  expect(r.invariants.violations).toEqual([]);
  expect(r.invariants.inFlight).toBe(0);
  expect(r.run.stoppedEarly).toBeNull();
}

describe('x86-pf on the default scenario (overcommit)', () => {
  const pf = runVariant(overcommit, x86PfVariant);
  const x86 = runVariant(overcommit, findVariant('x86'));

  it('is invariant-clean and closes', () => clean(pf));

  it('delivers not-present and page-ready as #PF only: no ACK, no interrupt, no kick', () => {
    expect(pf.metrics.apf.notPresentDelivered).toBeGreaterThan(0);
    expect(pf.metrics.exits['MSR_WRITE(ASYNC_PF_ACK)']).toBeUndefined();
    expect(pf.metrics.exits['EXTERNAL_INTERRUPT']).toBeUndefined();
    expect(Object.keys(pf.metrics.injections)).toEqual(['#PF']);
  });

  it('leaks dummies where upstream x86 leaks none', () => {
    expect(pf.metrics.apf.leakedDummies).toBeGreaterThan(0);
    expect(x86.metrics.apf.leakedDummies).toBe(0);
  });

  it('every leaked dummy is a page-ready #PF for a fault never announced, on its own vCPU', () => {
    const sim = simulate(overcommit);
    for (const v of sim.vcpus as Vcpu<Pf2010VcpuState>[]) {
      expect(v.sleepTable.dummies).toBe(v.state.readyUnannounced);
    }
    const unannounced = sim.vcpus.reduce((n, v) => n + (v as Vcpu<Pf2010VcpuState>).state.readyUnannounced, 0);
    expect(unannounced).toBe(pf.metrics.apf.leakedDummies);
    // Never announced means the vCPU halted on it at CPL0 (seed 001: get_cpl() == 0 → KVM_REQ_APF_HALT).
    expect(pf.metrics.apf.haltReasons['kernel-mode']).toBeGreaterThan(0);
  });

  it('reports the CR2 window (page-ready #PF in kernel mode); no injection lands on an unread reason', () => {
    expect(pf.metrics.hazards[PF2010_HAZARDS.cr2Window]).toBeGreaterThan(0);
    // 2.6.38's guards hold in the model: one #PF per entry (event needs reinjection) and the guest
    // reads `reason` first thing in its handler, before IF=1.
    expect(pf.metrics.hazards[PF2010_HAZARDS.reasonClobbered]).toBeUndefined();
  });

  it('with kickOnCompletion (PROTOCOLS.md §4.2) a running vCPU is kicked for each completion', () => {
    const kicked = runVariant(overcommit, { ...x86PfVariant, createBackend: (ctx) => x86PfVariant.createBackend({ ...ctx, knobs: { ...ctx.knobs, kickOnCompletion: 1 } }) });
    clean(kicked);
    expect(kicked.metrics.exits['EXTERNAL_INTERRUPT']).toBeGreaterThan(0);
  });

  it('with sendAlways (fc5f06fac6fb) kernel-mode faults are announced and nothing leaks', () => {
    const always = runVariant(overcommit, { ...x86PfVariant, createBackend: (ctx) => x86PfVariant.createBackend({ ...ctx, knobs: { ...ctx.knobs, sendAlways: 1 } }) });
    clean(always);
    expect(always.metrics.apf.haltReasons['kernel-mode']).toBeUndefined();
    expect(always.metrics.apf.leakedDummies).toBe(0);
  });
});

describe('x86-pf on scenarios/ipi-mix.yaml', () => {
  const r = runVariant(ipiMix, x86PfVariant);

  it('is invariant-clean and closes', () => {
    clean(r);
    expect(r.metrics.ipi.count).toBeGreaterThan(0);
  });
});
