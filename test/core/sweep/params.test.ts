import { describe, expect, it } from 'vitest';
import { canonicalParamName, checkParamName, paramOverlap, pointScenario } from '../../../core/sweep/params.js';
import { smallScenario } from '../../support/scenarios.js';

const base = smallScenario();
const at = (assignments: { name: string; value: number | string | boolean }[]) => pointScenario(base, assignments, 'small with …');

describe('sweep parameters', () => {
  it('set a scenario field by dotted path, an array element by index or name', () => {
    const s = at([
      { name: 'backing.latency.us', value: 50 },
      { name: 'tasks.writer.count', value: 3 },
      { name: 'regions.0.mib', value: 32 },
      { name: 'machine.preemption', value: 'full' },
      { name: 'machine.hostHz', value: 1000 },
    ]);
    expect(s.backing.kind === 'swap' && s.backing.latency.us).toBe(50);
    expect(s.tasks.find((t) => t.name === 'writer')!.count).toBe(3);
    expect(s.regions[0].mib).toBe(32);
    expect(s.machine.preemption).toBe('full');
    expect(s.machine.hostHz).toBe(1000);
    expect(base.machine.hostHz).toBeUndefined(); // the base is not changed
  });

  it('costs.<arch>.<key> may name an architecture the scenario does not override yet', () => {
    expect(at([{ name: 'costs.x86.exitCycles', value: 2000 }]).costs).toEqual({ x86: { exitCycles: 2000 } });
  });

  it('tasksPerVcpu scales every unpinned group by the vCPUs, after a swept machine.vcpus', () => {
    const s = at([{ name: 'tasksPerVcpu', value: 3 }, { name: 'machine.vcpus', value: 4 }]);
    expect(s.tasks.map((t) => t.count)).toEqual([12, 12]);
  });

  it('residentShare sets the host limit as a share of guest memory', () => {
    expect(at([{ name: 'residentShare', value: 0.5 }]).machine.hostResidentMiB).toBe(32);
  });

  it('refuse a bad value through the scenario schema, naming the point and the field', () => {
    expect(() => at([{ name: 'backing.latency.us', value: -1 }])).toThrow('small with …: backing.latency.us: must not be negative');
    expect(() => at([{ name: 'machine.vcpus', value: 2.5 }])).toThrow('small with …: machine.vcpus: must be a whole number');
    expect(() => at([{ name: 'machine.vcpuz', value: 2 }])).toThrow('small with …: machine: unknown field(s): vcpuz');
    expect(() => at([{ name: 'tasksPerVcpu', value: 0 }])).toThrow(/tasksPerVcpu: must be a whole number of at least 1/);
    expect(() => at([{ name: 'residentShare', value: 2 }])).toThrow(/residentShare: must be a number above 0 and at most 1/);
  });

  it('refuse a path the scenario does not have, saying what it has', () => {
    expect(() => checkParamName(base, 'machne.vcpus')).toThrow(/no field "machne" \(it has: name, .*; or a named parameter: tasksPerVcpu, residentShare\)/);
    expect(() => checkParamName(base, 'tasks.reader.count')).toThrow(/tasks has no element "reader" \(give an index from 0 to 1, or a name: worker, writer\)/);
    expect(() => checkParamName(base, 'tasks.0')).toThrow(/names a whole element/);
    expect(() => checkParamName(base, 'machine.vcpus.x')).toThrow(/machine.vcpus is a value/);
    expect(() => checkParamName(base, '__proto__.x')).toThrow(/is not a field/);
    expect(() => checkParamName(base, 'machine..vcpus')).toThrow(/empty segment/);
    expect(() => checkParamName(base, 'tasksPerVcpu')).not.toThrow();
  });

  it('name the named parameters only at the top level, and a cost or knob no architecture has in the same words', () => {
    // tasks.worker.tasksPerVcpu is no parameter: the hint listed them at every depth.
    expect(() => checkParamName(base, 'machine.vcpuz')).toThrow(/^parameter "machine.vcpuz": machine has no field "vcpuz" \(it has: vcpus, [^;]*\)$/);
    const known = { arch: { x86: ['apicv', 'pvEoi'] }, costs: { x86: ['exitCycles'] } };
    expect(() => checkParamName(base, 'arch.x86.foo', known)).toThrow(/^parameter "arch.x86.foo": arch.x86 has no field "foo" \(it has: apicv, pvEoi\)$/);
    expect(() => checkParamName(base, 'costs.x86.foo', known)).toThrow(/^parameter "costs.x86.foo": costs.x86 has no field "foo" \(it has: exitCycles\)$/);
    expect(() => checkParamName(base, 'costs.x87.exitCycles', known)).toThrow(/^parameter "costs.x87.exitCycles": costs has no field "x87" \(it has: x86\)$/);
    expect(() => checkParamName(base, 'arch.x86.pvEoi', known)).not.toThrow();
  });

  it('refuse a last segment the schema does not have there, as a missing group is (foo=1 failed only at the first point)', () => {
    expect(() => checkParamName(base, 'foo')).toThrow(/^parameter "foo": the scenario has no field "foo" \(it has: name, .*; or a named parameter: tasksPerVcpu, residentShare\)$/);
    expect(() => checkParamName(base, 'machine.vcpuz')).toThrow(/^parameter "machine.vcpuz": machine has no field "vcpuz" \(it has: vcpus, /);
    expect(() => checkParamName(base, 'tasks.worker.foo')).toThrow(/^parameter "tasks.worker.foo": tasks.worker has no field "foo" \(it has: name, [^;]*\)$/);
    // Fields the scenario leaves out are fields all the same.
    for (const name of ['machine.hostHz', 'until', 'tasks.worker.vcpu']) expect(() => checkParamName(base, name), name).not.toThrow();
  });

  it('refuse two parameters that set the same field, naming both and the field (hostile-test repro-3)', () => {
    // tasksPerVcpu is applied last and would overwrite every swept count.
    expect(paramOverlap(base, ['tasks.writer.count', 'tasksPerVcpu'])).toMatch(/^parameters tasks.writer.count and tasksPerVcpu both set tasks.writer.count: /);
    expect(paramOverlap(base, ['residentShare', 'machine.hostResidentMiB'])).toMatch(/^parameters residentShare and machine.hostResidentMiB both set machine.hostResidentMiB: /);
    // One field spelled by index and by name.
    expect(paramOverlap(base, ['tasks.1.count', 'tasks.writer.count'])).toMatch(/^parameters tasks.1.count and tasks.writer.count both set tasks.writer.count: /);
  });

  it('let through parameters that only read what another sets, or set fields a named knob leaves alone', () => {
    expect(paramOverlap(base, ['machine.vcpus', 'tasksPerVcpu', 'machine.guestMemoryMiB', 'residentShare'])).toBeUndefined();
    expect(paramOverlap(base, ['tasks.writer.program.0.touch.pages', 'tasksPerVcpu'])).toBeUndefined();
    const pinned = smallScenario({ tasks: [...base.tasks, { name: 'pinned', count: 1, vcpu: 0, program: [{ compute: { us: 1 } }] }] });
    expect(paramOverlap(pinned, ['tasks.pinned.count', 'tasksPerVcpu'])).toBeUndefined();
  });

  it('name a field canonically, an element by its name where that name leads back to it (hostile-test sweep defect 6)', () => {
    for (const spelling of ['tasks.0.count', 'tasks.00.count', 'tasks.worker.count']) expect(canonicalParamName(base, spelling)).toBe('tasks.worker.count');
    expect(canonicalParamName(base, 'regions.0.mib')).toBe(`regions.${base.regions[0].name}.mib`);
    // Named knobs, plain fields and fields the base leaves out are their own canonical names.
    for (const name of ['tasksPerVcpu', 'backing.latency.us', 'costs.x86.exitCycles', 'machine.hostHz']) expect(canonicalParamName(base, name)).toBe(name);
    // A name a path would read as an index, or split at its dot, is not one to name the element by.
    const odd = smallScenario({ tasks: base.tasks.map((t, i) => ({ ...t, name: ['1', 'a.b'][i] })) });
    expect(canonicalParamName(odd, 'tasks.0.count')).toBe('tasks.0.count');
    expect(canonicalParamName(odd, 'tasks.01.count')).toBe('tasks.1.count');
    expect(paramOverlap(odd, ['tasks.0.count', 'tasksPerVcpu'])).toMatch(/^parameters tasks.0.count and tasksPerVcpu both set tasks.0.count: /);
  });
});

/**
 * Scheduler defaults follow each point's own scheduler and vCPU count (hostile round AB): a point
 * copied the base's filled-in slice, so a cfs point of an eevdf base ran with EEVDF's 2.1 ms and a
 * 1-vCPU point with the 4-vCPU slice; a cfs base switched to eevdf was refused for CFS knobs nobody
 * wrote.
 */
describe('pointScenario: the scheduler fields a base has at their defaults', () => {
  const base = smallScenario({ machine: { vcpus: 4, guestMemoryMiB: 64, hostResidentMiB: 16 } });
  const point = (b = base, ...set: [string, string | number][]) =>
    pointScenario(b, set.map(([name, value]) => ({ name, value })), 'p').machine;

  it('are the point\'s defaults for its vCPUs and its scheduler', () => {
    expect(base.machine.sliceUs).toBe(2100);
    expect(point(base, ['machine.vcpus', 1]).sliceUs).toBe(700);
    const cfs = point(base, ['machine.scheduler', 'cfs']);
    expect([cfs.sliceUs, cfs.wakeupGranularityUs, cfs.schedLatencyUs]).toEqual([4000, 3000, 18000]);
    const back = point(smallScenario({ machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 16, scheduler: 'cfs' } }), ['machine.scheduler', 'eevdf']);
    expect([back.sliceUs, back.wakeupGranularityUs]).toEqual([1400, undefined]);
  });

  it('a slice the base gives otherwise, or the point sets, stays', () => {
    const given = smallScenario({ machine: { vcpus: 4, guestMemoryMiB: 64, hostResidentMiB: 16, sliceUs: 3000 } });
    expect(point(given, ['machine.vcpus', 1]).sliceUs).toBe(3000);
    expect(point(base, ['machine.vcpus', 1], ['machine.sliceUs', 2100]).sliceUs).toBe(2100);
  });
});
