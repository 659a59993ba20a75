import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BadInputError, loadScenario, parseScenario, runVariant, x86Variant, type Variant } from '../../../index.js';
import { MINIMAL, scenarioErrorOf } from './minimal.js';

const base = MINIMAL;
const errorOf = (text: string) => scenarioErrorOf(() => parseScenario(text, 'f.yaml'));

describe('scenario loading', () => {
  it('names the built-in that an unknown name differs from only in case (names are case-sensitive)', () => {
    expect(() => loadScenario('Overcommit')).toThrow(/^Overcommit: no such scenario file or built-in name \(did you mean overcommit\? scenario names are case-sensitive\) \(built-ins: /);
    expect(() => loadScenario('no-such-name')).toThrow(/^no-such-name: no such scenario file or built-in name \(built-ins: /);
  });

  it('loads the built-in default scenario', () => {
    const s = loadScenario();
    expect(s.name).toBe('overcommit');
    expect(s.machine.hostResidentMiB).toBeLessThan(s.machine.guestMemoryMiB);
  });

  it('names file, field and problem for a wrong type', () => {
    const e = errorOf(base.replace('vcpus: 2', 'vcpus: two'));
    expect(e.message).toMatch(/^f\.yaml: machine\.vcpus: /);
    expect(e.field).toBe('machine.vcpus');
  });

  it('refuses control characters and bidirectional overrides in names; a description may span lines (hostile-test regression)', () => {
    // An ESC in a scenario name reached the terminal and a Markdown report raw.
    expect(errorOf(base.replace('name: t', 'name: "t\\e[31mred"')).message).toBe('f.yaml: name: must not contain control characters, line breaks or bidirectional overrides');
    expect(errorOf(base.replace('name: w', 'name: "w\\u202eevil"')).field).toBe('tasks[0].name');
    expect(errorOf(base.replace('name: a,', 'name: "a\\nb",')).field).toBe('regions[0].name');
    expect(errorOf(base.replace('name: t', 'name: t\ndescription: "x\\x1bc"')).field).toBe('description');
    expect(parseScenario(base.replace('name: t', 'name: t\ndescription: >\n  two\n  lines\n'), 'f.yaml').description).toBe('two lines\n');
  });

  it('names an unknown field', () => {
    expect(errorOf(base.replace('durationMs: 10', 'durationMs: 10\nspeed: 3')).message).toBe('f.yaml: (top level): unknown field(s): speed');
  });

  it('names an unknown region with the known ones', () => {
    expect(errorOf(base.replace('region: a', 'region: b')).message).toBe(
      'f.yaml: tasks[0].program[0].touch.region: unknown region "b" (known: a)',
    );
  });

  it('gives the line of a YAML syntax error', () => {
    expect(errorOf('name: [x\n').message).toMatch(/^f\.yaml: line \d+, column \d+: YAML syntax/);
  });

  it('refuses two task groups of one name, as it refuses two regions of one name (hostile-test bug 8)', () => {
    // Merged, their metrics.tasks.w added up and a sweep's tasks.w.count set only the first.
    const twice = base.replace("tasks: [{ name: w, program: [{ touch: { region: a } }] }]", "tasks: [{ name: w, program: [{ touch: { region: a } }] }, { name: w, program: [{ compute: { us: 3 } }] }]");
    expect(twice).not.toBe(base);
    expect(errorOf(twice).message).toBe('f.yaml: tasks[1].name: duplicate task "w"');
    expect(errorOf(base.replace('regions: [{ name: a, mib: 16 }]', 'regions: [{ name: a, mib: 16 }, { name: a, mib: 1 }]')).message).toBe('f.yaml: regions[1].name: duplicate region "a"');
  });

  it('refuses regions that do not fit in guest memory', () => {
    expect(errorOf(base.replace('mib: 16', 'mib: 128')).field).toBe('regions');
  });

  it('does not depend on the key order of free-form maps', () => {
    const a = parseScenario(`${base}costs: { x86: { exitCycles: 1, apicv: 0 } }\n`, 'a');
    const b = parseScenario(`${base}costs: { x86: { apicv: 0, exitCycles: 1 } }\n`, 'b');
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('large files load in bounded time (hostile-test regression)', () => {
  // The yaml package's duplicate-key check is quadratic; the loader checks duplicates itself, linearly.
  it('30,000 unknown keys are refused quickly, and the message stays short', () => {
    const text = readFileSync('scenarios/overcommit.yaml', 'utf8') + Array.from({ length: 30_000 }, (_, i) => `u${i}: 1\n`).join('');
    // On the quadratic check this test runs for minutes and hits the test timeout.
    expect(() => parseScenario(text, 'keys.yaml')).toThrow(/^keys\.yaml: \(top level\): unknown field\(s\): u0, .*… \(30000 in all\)$/);
  });

  it('a key twice in one mapping is still refused, with its line', () => {
    expect(() => parseScenario('name: a\nname: b\n', 'dup.yaml')).toThrow('dup.yaml: line 2: YAML syntax: map keys must be unique ("name" twice)');
  });
});

describe('the library refuses hand-built bad input (hostile-test regression)', () => {
  it('parseScenario of a non-string is bad input, not a TypeError', () => {
    expect(() => parseScenario(null as unknown as string, 'x.yaml')).toThrow(BadInputError);
    expect(() => parseScenario(42 as unknown as string, 'x.yaml')).toThrow(/scenario text must be a string, got number/);
  });

  it('parseScenario without a file name labels its messages "(scenario text)", not "undefined" (hostile-test bug 13)', () => {
    expect(() => parseScenario('')).toThrow(/^\(scenario text\): \(top level\): /);
    expect(() => parseScenario(null as unknown as string)).toThrow('(scenario text): scenario text must be a string, got null');
    expect(parseScenario(base).name).toBe('t');
  });

  it('runVariant checks a scenario object as a file would be checked', () => {
    const s = loadScenario('overcommit');
    expect(() => runVariant({ ...s, durationMs: -1 }, x86Variant)).toThrow(/\(scenario object\): durationMs/);
    expect(() => runVariant({ ...s, machine: { ...s.machine, vcpus: 1e9 } }, x86Variant)).toThrow(BadInputError);
    expect(() => runVariant(s, null as unknown as Variant)).toThrow(/not a variant/);
  });
});

describe('job sets and a task’s own memory', () => {
  /** MINIMAL with its task `w` replaced: a job set with a 1 MiB heap. */
  const withTask = (task: string, extra = '') =>
    base.replace('tasks: [{ name: w, program: [{ touch: { region: a } }] }]', `tasks: [${task}]`) + extra;
  const JOBS = '{ name: j, jobs: { concurrent: 2, total: 4 }, memory: [{ name: heap, mib: 1 }], program: [{ touch: { region: heap } }] }';

  it('loads a job set whose program touches its own memory', () => {
    const s = parseScenario(withTask(JOBS, 'until: { tasks: [j] }\n'), 'f.yaml');
    expect(s.tasks[0].jobs).toEqual({ concurrent: 2, total: 4 });
    expect(s.tasks[0].memory).toEqual([{ name: 'heap', mib: 1, kind: 'anon' }]);
  });

  it('refuses what a job set or a process’s memory cannot mean, naming the field', () => {
    expect(errorOf(withTask(JOBS.replace('{ name: j,', '{ name: j, count: 2,'))).message).toMatch(/tasks\[0\]\.count: a job set runs jobs\.concurrent/);
    expect(errorOf(withTask(JOBS.replace('name: heap', 'name: a'))).message).toMatch(/tasks\[0\]\.memory\[0\]\.name: "a" is already a region/);
    expect(errorOf(withTask(JOBS.replace('program: [{ touch: { region: heap } }]', 'program: [{ irqoff: { touch: { region: heap } } }]'))).message).toMatch(
      /program\[0\]\.irqoff\.touch\.region: .*faults in on first touch, which may sleep/,
    );
    expect(errorOf(withTask(JOBS.replace(', total: 4', ''), 'until: { tasks: [j] }\n')).message).toMatch(/until\.tasks\[0\]: task "j" is a job set with no jobs\.total/);
    // 50 processes × 1 MiB and the 16 MiB region do not fit in 64 MiB of guest memory.
    expect(errorOf(withTask(JOBS.replace('concurrent: 2, total: 4', 'concurrent: 50'))).message).toMatch(/^f\.yaml: tasks: the tasks' own memory \(50 MiB/);
  });

  it('another task cannot touch a process’s memory: it is not a region', () => {
    const other = '{ name: o, program: [{ touch: { region: heap } }] }';
    expect(errorOf(withTask(`${JOBS}, ${other}`)).message).toMatch(/tasks\[1\]\.program\[0\]\.touch\.region: unknown region "heap"/);
  });
});

describe('a value of the wrong type, in the lab\'s words (fuzz round)', () => {
  it('says what the field must be and what it got, or that it is missing', async () => {
    const { parseScenario } = await import('../../../index.js');
    const base = 'durationMs: 10\nmachine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64 }\nbacking: { kind: swap, latency: { dist: fixed, us: 10 } }\nregions: [ { name: a, mib: 1 } ]\ntasks: [ { name: k, program: [ { compute: { us: 1 } } ] } ]\n';
    // They said "Invalid input: expected string, received undefined" and "… expected number, received NaN".
    expect(() => parseScenario(base, 'x.yaml')).toThrow('x.yaml: name: missing: a string is required');
    expect(() => parseScenario(`name: t\n${base.replace('vcpus: 1', 'vcpus: .nan')}`, 'x.yaml')).toThrow('x.yaml: machine.vcpus: must be a number, got NaN');
  });

  it('says a bound in words, not the schema library\'s "Too big: expected array to have <=1000 items" (hostile round)', async () => {
    const { parseScenario } = await import('../../../index.js');
    const base = 'name: t\ndurationMs: 10\nmachine: { vcpus: 4, guestMemoryMiB: 64, hostResidentMiB: 64 }\nbacking: { kind: swap, latency: { dist: fixed, us: 10 } }\nregions: [ { name: a, mib: 1 } ]\n';
    const task = (step: string) => `tasks: [ { name: k, program: [ ${step} ] } ]\n`;
    const compute = task('{ compute: { us: 1 } }');
    const event = '  - { atMs: 1, offline: { vcpu: 1 } }\n';
    expect(() => parseScenario(`${base}${compute}events: []\n`, 'x.yaml')).toThrow('x.yaml: events: must list at least one event (leave `events` out for none)');
    expect(() => parseScenario(`${base}${compute}events:\n${event.repeat(1001)}`, 'x.yaml')).toThrow('x.yaml: events: must list at most 1000 events (a lab bound)');
    const hot = (f: string) => task(`{ touch: { region: a, pattern: hotcold, ${f} } }`);
    expect(() => parseScenario(`${base}${hot('hotShare: 1.5')}`, 'x.yaml')).toThrow('x.yaml: tasks[0].program[0].touch.hotShare: must be a share from 0 to 1');
    expect(() => parseScenario(`${base}${hot('hotFraction: 0')}`, 'x.yaml')).toThrow(/touch\.hotFraction: must be a share above 0/);
    expect(() => parseScenario(`${base}${task('{ ipi: { target: 2000, handlerUs: 1 } }')}`, 'x.yaml')).toThrow(/ipi\.target: must be a vCPU of the machine \(the lab allows at most 1024 vCPUs, 0–1023\)/);
    // A bound with no message of its own, in the lab's words.
    expect(() => parseScenario(`${base}tasks: []\n`, 'x.yaml')).toThrow('x.yaml: tasks: must list at least 1 item');
    expect(() => parseScenario(`${base}${task('{ touch: { region: "" } }')}`, 'x.yaml')).toThrow('x.yaml: tasks[0].program[0].touch.region: must be at least 1 character long');
    // A value with alternatives says each, not "not a valid step" (hostile round).
    expect(() => parseScenario(`${base}${task('{ ipi: { target: 1.5, handlerUs: 1 } }')}`, 'x.yaml')).toThrow('x.yaml: tasks[0].program[0].ipi.target: must be a whole number, or "next"; got 1.5');
    expect(() => parseScenario(`${base}${task('{ ipi: { target: prev, handlerUs: 1 } }')}`, 'x.yaml')).toThrow('x.yaml: tasks[0].program[0].ipi.target: must be a number, or "next"; got "prev"');
    // A step whose key is no kind named the kinds but not the key; a case slip is the usual one (hostile round).
    const kinds = 'a step is exactly one of compute, touch, syscall, irqoff, preemptoff, sleep, ipi';
    expect(() => parseScenario(`${base}${task('{ Compute: { us: 10 } }')}`, 'x.yaml')).toThrow(`x.yaml: tasks[0].program[0]: unknown step kind "Compute" (did you mean compute? step kinds are lower case): ${kinds}`);
    expect(() => parseScenario(`${base}${task('{ spin: { us: 10 } }')}`, 'x.yaml')).toThrow(`x.yaml: tasks[0].program[0]: unknown step kind "spin": ${kinds}`);
    expect(() => parseScenario(`${base}${task('{}')}`, 'x.yaml')).toThrow(`x.yaml: tasks[0].program[0]: an empty mapping: ${kinds}`);
    // The library's "record" is a mapping.
    expect(() => parseScenario(`${base}${compute}costs: 7\n`, 'x.yaml')).toThrow('x.yaml: costs: must be a mapping, got 7');
  });
});
