import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { HostMemory } from '../../../core/machine/memory.js';
import { checkScenarioSize, type KnownOverrides } from '../../../core/scenario/bounds.js';
import { estimateEvents } from '../../../core/scenario/estimate.js';
import { HARD, SIZE } from '../../../core/scenario/limits.js';
import { loadScenario, parseScenario, ScenarioError, VARIANTS } from '../../../index.js';
import { MINIMAL, scenarioErrorOf } from './minimal.js';

/** The keys the registered variants accept, as the CLI passes them in (core never imports arches/). */
const known: KnownOverrides = {
  costs: Object.fromEntries(VARIANTS.map((v) => [v.arch, Object.keys(v.defaultCosts)])),
  arch: Object.fromEntries(VARIANTS.map((v) => [v.arch, Object.keys(v.knobs)])),
};

const base = MINIMAL;
const errorOf = scenarioErrorOf;
const parseError = (text: string) => errorOf(() => parseScenario(text, 'f.yaml', { known }));
const fixtureError = (name: string) => errorOf(() => loadScenario(`test/fixtures/hostile/${name}.yaml`, { known }));

describe('hostile scenario values are bad input naming file, field and reason', () => {
  // Each fixture is one case from the attack on the loader; the message must name the file and field.
  const cases: [string, string, RegExp][] = [
    ['duration-1e12', 'durationMs', /at most 86400000 ms/],
    ['latency-1e300', 'backing.latency.us', /at most 3600000000 µs/],
    ['sigma-tail', 'backing.latency', /longest possible draw .* set maxUs/],
    ['cost-1e300', 'costs.x86.exitCycles', /0 to 1e\+9 cycles/],
    ['clock-zero', 'costs.x86.clockMHz', /1 to 100000 MHz/],
    ['memory-1e18', 'machine.guestMemoryMiB', /at most 4194304 MiB/],
    ['vcpus-1e6', 'machine.vcpus', /at most 1024/],
    ['hz-1e9', 'machine.hz', /at most 10000/],
    ['count-1e9', 'tasks[0].count', /at most 1000000/],
    ['pages-1e12', 'tasks[0].program[0].touch.pages', /at most 1000000000/],
    ['resident-below-page', 'machine.hostResidentMiB', /at least one 4 KiB page/],
    ['arch-typo', 'costs.x68', /unknown architecture \(known: .*x86/],
    ['proto-key', 'costs.x86.__proto__', /unknown key \(known: .*exitCycles/],
    ['proto-arch', 'arch.__proto__', /unknown architecture/],
    ['constructor-key', 'arch.x86.constructor', /unknown key \(known: .*vector/],
    ['tostring-key', 'costs.x86.toString', /unknown key/],
    ['enum-typo', 'tasks[0].program[1].touch.pattern', /^expected one of random, sequential, hotcold, got "seq"$/],
    ['seed-fraction', 'seed', /integer from -9007199254740991/],
    ['seed-unsafe', 'seed', /integer from -9007199254740991/],
    ['no-time', 'tasks[0].program', /takes no simulated time/],
  ];
  it.each(cases)('%s → %s', (name, field, problem) => {
    const e = fixtureError(name);
    expect(e.file).toBe(`test/fixtures/hostile/${name}.yaml`);
    expect(e.field).toBe(field);
    expect(e.problem).toMatch(problem);
    expect(e.message).not.toContain('\n');
  });

  it('refuses every memory amount that rounds to no page, and accepts one page', () => {
    for (const mib of [0.001, 0.0019, 1e-9]) expect(parseError(base.replace('hostResidentMiB: 32', `hostResidentMiB: ${mib}`)).field).toBe('machine.hostResidentMiB');
    expect(parseError(base.replace('mib: 16', 'mib: 0.001')).problem).toMatch(/one 4 KiB page/);
    expect(parseScenario(base.replace('hostResidentMiB: 32', 'hostResidentMiB: 0.00390625'), 'f').machine.hostResidentMiB).toBe(0.00390625);
  });

  it('refuses a fixed latency outside its own minUs/maxUs, which would be served as the bound instead', () => {
    const fixed = (extra: string) => parseError(base.replace('us: 100 }', `us: 100, ${extra} }`));
    expect(fixed('minUs: 5000')).toMatchObject({ field: 'backing.latency', problem: expect.stringMatching(/^the fixed latency us 100 is below minUs 5000: every read would take the bound instead/) });
    expect(fixed('maxUs: 50')).toMatchObject({ field: 'backing.latency', problem: expect.stringMatching(/is above maxUs 50/) });
    expect(parseScenario(base.replace('us: 100 }', 'us: 100, minUs: 100, maxUs: 100 }'), 'f').backing).toMatchObject({ latency: { us: 100 } });
  });

  it('refuses a drawn latency whose bound lies past its median, which most reads would take instead', () => {
    // A lognormal with median 36 µs and maxUs 1 ran, every read 1 µs (mean 1,000 ns; hostile
    // round of 2026-12-03), where the same bound on a fixed latency is refused (above).
    const drawn = (latency: string) => parseError(base.replace('{ dist: fixed, us: 100 }', latency));
    expect(drawn('{ dist: lognormal, us: 36, maxUs: 1 }')).toMatchObject({ field: 'backing.latency', problem: expect.stringMatching(/^maxUs 1 is below the lognormal latency's median \(us\) 36 µs: more than half the reads would take maxUs instead/) });
    expect(drawn('{ dist: lognormal, us: 36, minUs: 100 }').problem).toMatch(/^minUs 100 is above the lognormal latency's median \(us\) 36 µs/);
    // An exponential's median is its mean × ln 2: 69.3 µs for a mean of 100.
    expect(drawn('{ dist: exponential, us: 100, maxUs: 60 }').problem).toMatch(/^maxUs 60 is below the exponential latency's median \(us × ln 2\) 69.3147 µs/);
    expect(drawn('{ dist: exponential, us: 100, minUs: 70 }').problem).toMatch(/^minUs 70 is above/);
    expect(parseScenario(base.replace('{ dist: fixed, us: 100 }', '{ dist: exponential, us: 100, minUs: 69, maxUs: 70 }'), 'f').backing).toMatchObject({ latency: { maxUs: 70 } });
    expect(parseScenario(base.replace('{ dist: fixed, us: 100 }', '{ dist: lognormal, us: 36, minUs: 36, maxUs: 36 }'), 'f').backing).toMatchObject({ latency: { us: 36 } });
  });

  it('prints the longest draw with enough digits to see it is past the hour', () => {
    // 98,000,000 µs × 36.74 (the largest exponential deviate) = 3.6005e9 µs: "3.60e+9" looked like the limit itself.
    const e = parseError(base.replace('dist: fixed, us: 100', 'dist: exponential, us: 98000000'));
    expect(e.problem).toMatch(/^the longest possible draw is 3\.6005e\+9 µs, more than 3600000000 µs/);
  });

  // Every backend's guest puts its per-vCPU APF areas at 1 MiB (AREA_BASE in arches/x86/mechanisms.ts,
  // arches/arm64/mechanisms.ts): a 1 MiB guest had KVM refuse the enable and ran with no APF at all.
  it('refuses a guest smaller than 2 MiB, which could not hold its own kernel data', () => {
    for (const mib of [0.001, 1, 1.99609375]) {
      const e = parseError(base.replace('guestMemoryMiB: 64', `guestMemoryMiB: ${mib}`).replace('hostResidentMiB: 32', 'hostResidentMiB: 0.5').replace('mib: 16', 'mib: 0.5'));
      expect(e.field).toBe('machine.guestMemoryMiB');
      expect(e.problem).toMatch(/at least 2 MiB: the guest kernel's own data, with its APF areas at 1 MiB, lies in its RAM/);
    }
    expect(parseScenario(base.replace('guestMemoryMiB: 64', 'guestMemoryMiB: 2').replace('hostResidentMiB: 32', 'hostResidentMiB: 1').replace('mib: 16', 'mib: 1'), 'f').machine.guestMemoryMiB).toBe(2);
  });

  it('refuses a guest too small for a 4 KiB page of per-CPU data per vCPU above 1.5 MiB (x86-ve\'s #VE pages)', () => {
    const sized = (vcpus: number, mib: number) => base.replace('guestMemoryMiB: 64', `guestMemoryMiB: ${mib}`).replace('hostResidentMiB: 32', 'hostResidentMiB: 1').replace('mib: 16', 'mib: 0.5').replace(/vcpus: \d+/, `vcpus: ${vcpus}`);
    expect(parseScenario(sized(128, 2), 'f').machine.vcpus).toBe(128);
    const e = parseError(sized(130, 2));
    expect(e.field).toBe('machine.guestMemoryMiB');
    expect(e.problem).toBe("2 MiB cannot hold the guest kernel's per-CPU data of 130 vCPUs (a 4 KiB page each above 1.5 MiB): at least 2.0078125 MiB");
    expect(parseScenario(sized(130, 2.0078125), 'f').machine.vcpus).toBe(130);
  });

  it('refuses the same problems under any architecture and key, and a fractional nanosecond', () => {
    expect(parseError(`${base}arch: { arm64: { hasOwnProperty: 1 } }`).field).toBe('arch.arm64.hasOwnProperty');
    expect(parseError(`${base}costs: { arm64: { clockMHz: 1e6 } }`).field).toBe('costs.arm64.clockMHz');
    expect(parseError(`${base}costs: { x86: { stage2FaultCycles: -1 } }`).field).toBe('costs.x86.stage2FaultCycles');
    expect(parseError(base.replace('region: a }', 'region: a, thinkNs: 0.5 }')).problem).toMatch(/whole number of ns/);
    expect(parseError(base.replace('dist: fixed', 'dist: lognorm')).problem).toMatch(/^expected one of lognormal, exponential, fixed/);
    expect(parseError(base.replace('{ touch: { region: a } }', '{ irqoff: { touch: { region: a, pattern: x } } }')).field).toBe('tasks[0].program[0].irqoff.touch.pattern');
  });

  it('a CPU event\'s vCPU that is not a whole number is named in the lab\'s words ("must be a int" was the library\'s)', () => {
    const e = parseError(`${base}events: [ { atMs: 5, offline: { vcpu: 1.5 } } ]\n`);
    expect([e.field, e.problem]).toEqual(['events[0].offline.vcpu', 'must be a whole number, got 1.5']);
  });

  it('refuses a run or a duration that rounds to no nanosecond, and accepts 1 ns (hostile-test bug 9)', () => {
    const runs: [string, string][] = [
      [base.replace('durationMs: 10', 'durationMs: 0.0000001'), 'durationMs'],
      [`${base}drain: { enabled: true, maxMs: 0.0000004 }\n`, 'drain.maxMs'],
    ];
    for (const [text, field] of runs) {
      const e = parseError(text);
      expect([e.field, e.problem]).toEqual([field, 'must be at least 0.000001 ms (1 ns): shorter rounds to no time at all']);
    }
    expect(parseScenario(base.replace('durationMs: 10', 'durationMs: 0.000001'), 'f').durationMs).toBe(0.000001);
    const spans: [string, string][] = [
      [base.replace('us: 100 }', 'us: 100, minUs: 0.0005 }'), 'backing.latency.minUs'],
      [base.replace('hostResidentMiB: 32', 'hostResidentMiB: 32, scheduler: cfs, wakeupGranularityUs: 0.0005'), 'machine.wakeupGranularityUs'],
      [base.replace('hostResidentMiB: 32', 'hostResidentMiB: 32, scheduler: cfs, schedLatencyUs: 0.0005'), 'machine.schedLatencyUs'],
      [base.replace('hostResidentMiB: 32', 'hostResidentMiB: 32, hugeClearUs: 0.0005'), 'machine.hugeClearUs'],
    ];
    for (const [text, field] of spans) {
      const e = parseError(text);
      expect([e.field, e.problem]).toEqual([field, 'must be 0 or at least 0.001 µs (1 ns): shorter rounds to no time at all']);
      expect(() => parseScenario(text.replace('0.0005', '0'), 'f')).not.toThrow();
    }
  });

  it('names both kinds of a step that has two', () => {
    const e = parseError(base.replace('{ touch: { region: a } }', '{ touch: { region: a }, compute: { us: 1 } }'));
    expect(e.message).toBe('f.yaml: tasks[0].program[0]: a step is exactly one of compute, touch, syscall, irqoff, preemptoff, sleep, ipi; this one has touch, compute');
  });

  it('any number in any numeric field is accepted or refused as bad input, never a crash', () => {
    const fields: string[][] = [
      ['durationMs'], ['seed'], ['machine', 'vcpus'], ['machine', 'guestMemoryMiB'], ['machine', 'hostResidentMiB'],
      ['machine', 'hz'], ['machine', 'sliceUs'], ['machine', 'touchNs'], ['backing', 'latency', 'us'],
      ['backing', 'queueDepth'], ['regions', '0', 'mib'], ['tasks', '0', 'count'],
    ];
    const numbers = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 1e-9, 1e300, 2 ** 53, 2 ** 32 + 1, 1e18));
    fc.assert(
      fc.property(fc.constantFrom(...fields), numbers, (path, value) => {
        const doc = parse(base) as Record<string, unknown>;
        let at = doc as Record<string, unknown>;
        for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
        at[path[path.length - 1]] = value;
        try {
          parseScenario(stringify(doc), 'f.yaml', { known });
        } catch (e) {
          expect(e).toBeInstanceOf(ScenarioError);
          expect((e as Error).message.startsWith('f.yaml: ')).toBe(true);
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('without the known keys still refuses names every object inherits', () => {
    const e = errorOf(() => parseScenario(`${base}costs: { x86: { constructor: 1 } }`, 'f.yaml'));
    expect(e.field).toBe('costs.x86.constructor');
  });

  it('the built-in scenario stays within every limit', () => {
    const s = loadScenario('overcommit', { known });
    expect(() => checkScenarioSize(s, 'overcommit', 'raise')).not.toThrow();
  });
});

describe('scenario files are read within a size limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apf-lab-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const loadError = (path: string) => errorOf(() => loadScenario(path, { known }));

  it('a directory, a missing file, /dev/zero and an oversized file are one line each', () => {
    expect(loadError('test/fixtures').problem).toBe('is a directory, not a scenario file');
    expect(loadError(join(dir, 'none.yaml')).problem).toBe('cannot open: no such file');
    expect(loadError('/dev/zero').problem).toMatch(/larger than the 1 MiB limit/);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(HARD.fileBytes)}\n`);
    expect(loadError(big).problem).toMatch(/larger than the 1 MiB limit/);
  });

  it('an unreadable file is refused (skipped where the tests run as root, who reads anyway)', () => {
    const locked = join(dir, 'locked.yaml');
    writeFileSync(locked, base);
    chmodSync(locked, 0o000);
    if (process.getuid?.() === 0) return; // chmod does not stop root: nothing to test honestly
    expect(loadError(locked).problem).toBe('cannot open: permission denied');
  });

  it('an alias bomb and an undefined alias are refused, not expanded or crashed on', () => {
    expect(fixtureError('alias-bomb').problem).toMatch(/YAML aliases expand too far/);
    expect(fixtureError('undefined-alias').problem).toMatch(/^YAML: Unresolved alias/);
  });

  it('YAML nested deeper than the lab reads is refused at its line, the same on every thread (1,000 levels overflowed the stack in `sweep`, not in `run`)', () => {
    // The file's top-level mapping is one level: `frob:` and n collections inside make n + 1.
    const lines = base.split('\n').length;
    const flow = (n: number) => `${base}frob: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`;
    const refused = 'YAML mappings and sequences nested more than 64 deep: deeper than a scenario needs';
    expect(parseError(flow(HARD.yamlDepth))).toMatchObject({ field: `line ${lines}`, problem: refused });
    // At the cap the reader goes on, and the schema names the unknown field.
    expect(parseError(flow(HARD.yamlDepth - 1)).problem).toMatch(/unknown field\(s\): frob/);
    // Block sequences on one line (`- - - 1`) and block mappings by indentation are levels too.
    const seq = (n: number) => `${base}frob:\n${'- '.repeat(n)}1\n`;
    expect(parseError(seq(HARD.yamlDepth)).problem).toBe(refused);
    expect(parseError(seq(HARD.yamlDepth - 1)).problem).toMatch(/unknown field\(s\): frob/);
    const map = (n: number) => `${base}frob:\n${Array.from({ length: n }, (_, i) => `${'  '.repeat(i + 1)}b:`).join('\n')} 1\n`;
    expect(parseError(map(HARD.yamlDepth)).problem).toBe(refused);
    expect(parseError(map(HARD.yamlDepth - 1)).problem).toMatch(/unknown field\(s\): frob/);
  });

  it('brackets in text are not nesting: quotes, comments, block scalars, plain values with an apostrophe (a scanner took "Gleb\'s" for a quote and missed 20,000 levels after it; a folded description of "[0, 1)" lines was refused)', () => {
    const text = [
      `# ${'['.repeat(100)}`,
      `description: >`,
      ...Array.from({ length: 70 }, () => '  interval [0, 1) and {a, b}'),
      `frob: "${'{'.repeat(100)}"`,
      `frab: it's ${'['.repeat(100)}`,
      `frib: |`,
      `  ${' '.repeat(300)}indented far inside a block scalar`,
      '',
    ].join('\n');
    expect(parseError(`${base.replace(/^description:.*$/m, '')}${text}`).problem).toMatch(/unknown field\(s\): (frab, frib, frob|frob, frab, frib)/);
    // And an apostrophe does not hide real nesting after it.
    const apos = `${base}frab: it's\nfrob: ${'['.repeat(1000)}1${']'.repeat(1000)}\n`;
    expect(parseError(apos).problem).toBe('YAML mappings and sequences nested more than 64 deep: deeper than a scenario needs');
  });

  it('a file of several YAML documents says so in the user\'s words (it gave the yaml package\'s advice, "please use YAML.parseAllDocuments()")', () => {
    expect(parseError(`${base}---\nname: b\n`).problem).toBe('more than one YAML document (a `---` line starts one, a `...` line ends one): one per file');
    // Hostile round I: a `...` then more text has no `---`, and the message named only that.
    expect(parseError(`${base}...\nname: b\n`).problem).toBe('more than one YAML document (a `---` line starts one, a `...` line ends one): one per file');
  });
});

describe('size limits a laptop can run', () => {
  it('refuses a scenario whose expected events exceed the limit, saying how to raise it', () => {
    const s = loadScenario('test/fixtures/hostile/too-large.yaml', { known });
    expect(estimateEvents(s)).toBeGreaterThan(SIZE.expectedEvents);
    const e = errorOf(() => checkScenarioSize(s, 'f.yaml', 'pass --allow-large'));
    expect(e.message).toMatch(/events expected, more than the 1e\+9 .*pass --allow-large$/);
  });

  it('refuses too many vCPUs, tasks or guest pages', () => {
    const s = parseScenario(base, 'f');
    const size = (patch: object) => errorOf(() => checkScenarioSize({ ...s, ...patch } as typeof s, 'f', 'raise')).field;
    expect(size({ machine: { ...s.machine, vcpus: SIZE.vcpus + 1 } })).toBe('machine.vcpus');
    expect(size({ tasks: [{ ...s.tasks[0], count: SIZE.tasks + 1 }] })).toBe('tasks');
    expect(size({ machine: { ...s.machine, guestMemoryMiB: 65 * 1024 } })).toBe('machine.guestMemoryMiB');
  });

  it('estimates the default scenario within an order of magnitude above its real event count', () => {
    // 29,334 events in the README's x86 run; the estimate may run high, never far below.
    const e = estimateEvents(loadScenario());
    expect(e).toBeGreaterThan(29_334);
    expect(e).toBeLessThan(29_334 * 100);
  });
});

describe('the expected events of fixed work and of runs that end at `until`', () => {
  /** 4 looping compute workers and `blips` one-touch tasks that run `passes` times, measured until the blips have exited. */
  const blips = (count: number, passes: number) =>
    parseScenario(
      `name: blip
durationMs: 60000
machine: { vcpus: 4, guestMemoryMiB: 2048, hostResidentMiB: 512 }
backing: { kind: swap, latency: { dist: lognormal, us: 818, sigma: 1.2, minUs: 36.2, maxUs: 55700 }, queueDepth: 32 }
regions: [{ name: array, mib: 1024 }]
tasks:
  - { name: worker, count: 4, program: [{ compute: { us: 10000 } }] }
  - { name: blip, count: ${count}, passes: ${passes}, program: [{ touch: { region: array, pattern: random, pages: 1, thinkNs: 0 } }] }
until: { tasks: [blip] }
`,
      'blip.yaml',
      { known },
    );
  /** A task that touches one resident page in a loop on every vCPU, beside a fixed `once` task that ends the run. */
  const spin = (computeUs: number, passes: number) =>
    parseScenario(
      `name: spin
durationMs: 600000
machine: { vcpus: 4, guestMemoryMiB: 256, hostResidentMiB: 256 }
backing: { kind: swap, latency: { dist: fixed, us: 100 } }
regions: [{ name: a, mib: 16 }]
tasks:
  - { name: spin, count: 4, program: [{ touch: { region: a, pages: 1, thinkNs: 0 } }] }
  - { name: once, count: 4, passes: ${passes}, program: [{ compute: { us: ${computeUs} } }] }
until: { tasks: [once] }
`,
      'spin.yaml',
      { known },
    );

  it('bounds a task with passes by its passes, not by durationMs', () => {
    // 10,000 one-pass blips took 46,132 events (x86, seed 1) and were refused as "about 2.4e+9".
    const s = blips(10_000, 1);
    expect(() => checkScenarioSize(s, 'blip.yaml', 'raise')).not.toThrow();
    expect(estimateEvents(s)).toBeGreaterThan(46_132);
    expect(estimateEvents(s)).toBeLessThan(46_132 * 100);
  });

  it('still refuses fixed work that really is huge', () => {
    // 10^5 passes each under a day's cap: the swap device serves its queue's worth of faults per
    // read, ~38,000 a second at half the mean read, for the whole day. (Under the minute's cap the
    // device bounds them to ~2 M faults, which is accepted.)
    const day = { ...blips(10_000, 100_000), durationMs: 86_400_000 };
    // (9.0e9 since round M: a random touch of the array misses in the share the host cannot hold,
    // half; 9.3e9 since round O: the half of the array the host cannot hold at the start is read
    // once, by whichever task touches a page first.)
    expect(errorOf(() => checkScenarioSize(day, 'blip.yaml', 'raise')).message).toMatch(/about 9\.3e\+9 events expected/);
    expect(() => checkScenarioSize(blips(10_000, 100_000), 'blip.yaml', 'raise')).not.toThrow();
  });

  it('ends a looping task\'s count when the `until` tasks are done, if that comes before durationMs', () => {
    // The spinners would step 10^7 times a second for 600 s; the run ended after 9 ms, at 319,881 events.
    const s = spin(1000, 1);
    expect(() => checkScenarioSize(s, 'spin.yaml', 'raise')).not.toThrow();
    expect(estimateEvents(s)).toBeGreaterThan(319_881);
  });

  it('keeps counting the looping task when the `until` tasks take long', () => {
    // A minute of compute for each `once` task: the spinners step for that minute and more.
    expect(errorOf(() => checkScenarioSize(spin(1000, 60_000), 'spin.yaml', 'raise')).message).toMatch(/about .* events expected/);
    // Without `until`, a looping task counts for the whole of durationMs, as before.
    const { until: _until, ...unbounded } = spin(1000, 1);
    expect(errorOf(() => checkScenarioSize(unbounded, 'spin.yaml', 'raise')).message).toMatch(/events expected/);
  });
});

/**
 * A looping task's faults (a hostile run: 4 writers over 4,000 MiB in 16 MiB, 1 µs reads, were
 * estimated at 389 events and took 172,769 in 200 ms; at 256 vCPUs and 5,000,000 ms the guard
 * let through ~50 hours of simulation): each touch faults with the share of the regions the host
 * cannot hold, a pass waits for them, and the device bounds how many there are a second.
 */
describe('a run that ends at `until` over post-copy', () => {
  it('ends its count when the `until` task\'s pages can have come over the link (it was counted for the whole day-long cap: 1.8e9)', () => {
    // A hostile run: refused as "about 1.8e+9 events"; with --allow-large it took 520 events and 8 ms.
    const s = parseScenario(
      `name: pcsmall
durationMs: 86400000
machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64 }
backing: { kind: postcopy, rttUs: 100, bandwidthMBps: 671, push: true, dirtyShare: 0.02 }
regions: [{ name: a, mib: 32 }]
tasks:
  - { name: once, passes: 1, program: [{ touch: { region: a, pattern: sequential, pages: 64, thinkNs: 100 } }] }
  - { name: spin, count: 2, program: [{ compute: { us: 100 } }] }
until: { tasks: [once] }
drain: { enabled: false }
`,
      'pcsmall.yaml',
      { known },
    );
    expect(() => checkScenarioSize(s, 'pcsmall.yaml', 'raise')).not.toThrow();
    expect(estimateEvents(s)).toBeGreaterThan(520);
  });
});

describe('the expected events of looping tasks\' faults', () => {
  const writers = (vcpus: number, durationMs: number) =>
    parseScenario(
      `name: writers
durationMs: ${durationMs}
machine: { vcpus: ${vcpus}, guestMemoryMiB: 4096, hostResidentMiB: 16, hz: 100 }
backing: { kind: swap, latency: { dist: fixed, us: 1 }, queueDepth: 256 }
regions: [{ name: big, mib: 4000 }]
tasks: [{ name: w, count: ${vcpus}, program: [{ touch: { region: big, pattern: random, pages: 256, thinkNs: 10000 } }] }]
drain: { enabled: false }
`,
      'writers.yaml',
      { known },
    );

  it('counts them: above the 172,769 events of 4 writers × 200 ms, not 389', () => {
    expect(estimateEvents(writers(4, 200))).toBeGreaterThan(172_769);
    expect(estimateEvents(writers(4, 200))).toBeLessThan(172_769 * 100);
  });

  it('refuses 256 such writers for 5,000,000 ms, and still accepts the bench\'s 256 vCPUs × 200 s of the default scenario (101 M events)', () => {
    expect(errorOf(() => checkScenarioSize(writers(256, 5_000_000), 'writers.yaml', 'raise')).message).toMatch(/events expected/);
    const d = loadScenario();
    const wide = { ...d, durationMs: 200_000, machine: { ...d.machine, vcpus: 256 }, tasks: d.tasks.map((t) => ({ ...t, count: 256 })) };
    expect(estimateEvents(wide)).toBeGreaterThan(101_000_000);
    expect(() => checkScenarioSize(wide, 'wide.yaml', 'raise')).not.toThrow();
  });
});

describe('HostMemory refuses a resident limit of no page', () => {
  it('throws instead of silently not limiting', () => {
    expect(() => new HostMemory(100, 0)).toThrow(/at least one page/);
    expect(() => new HostMemory(100, 1)).not.toThrow();
  });
});

describe('the expected events of a long post-copy run', () => {
  it('counts each page still on the source as one fault at most (a 200 s run was refused at 1.0e9 events; it took 31.4 M)', () => {
    // A hostile run: 4 writers over a 512 MiB guest, half of it dirty, on a 1 TB/s link: every
    // page is over within a millisecond, and nothing faults after; the estimate counted a fault
    // on half of every pass's touches for 200 s. With --allow-large it took 31,409,679 events.
    const s = parseScenario(
      `name: pc2
durationMs: 200000
seed: 5
machine: { vcpus: 4, guestMemoryMiB: 512, hostResidentMiB: 512, hz: 100 }
backing: { kind: postcopy, rttUs: 0, bandwidthMBps: 1000000, push: true, dirtyShare: 0.5 }
regions: [ { name: test, mib: 256 } ]
tasks:
  - { name: memory, count: 4, program: [ { touch: { region: test, pattern: random, pages: 16, thinkNs: 100 } }, { sleep: { us: 100 } } ] }
  - { name: calc, count: 2, program: [ { compute: { us: 1000 } } ] }
drain: { enabled: true, maxMs: 10 }
`,
      'pc2.yaml',
      { known },
    );
    expect(() => checkScenarioSize(s, 'pc2.yaml', 'raise')).not.toThrow();
    expect(estimateEvents(s)).toBeGreaterThan(31_409_679);
    expect(estimateEvents(s)).toBeLessThan(31_409_679 * 10);
  });
});

describe('the expected events of sleepers and of the post-copy push (hostile round C)', () => {
  it('many tasks that sleep between short steps: the vCPU steps them all, not one task\'s rate (1,000 sleepers: 248,462 events, estimated at 525)', () => {
    const s = parseScenario(
      `name: sl1
durationMs: 100
machine: { vcpus: 1, guestMemoryMiB: 1024, hostResidentMiB: 1024 }
backing: { kind: swap, latency: { dist: lognormal, us: 818, sigma: 1.2, minUs: 36.2, maxUs: 55700 }, queueDepth: 32 }
regions: [ { name: a, mib: 64 } ]
tasks: [ { name: s, count: 1000, program: [ { sleep: { us: 1000 } }, { compute: { us: 0.1 } } ] } ]
`,
      'sl1.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(248_462);
    // 50,000 of them on 256 vCPUs for 700 s (about 10^11 events, 11 hours) were let through.
    const big = { ...s, durationMs: 700_000, machine: { ...s.machine, vcpus: 256 }, tasks: [{ ...s.tasks[0], count: 50_000 }] };
    expect(errorOf(() => checkScenarioSize(big, 'sl.yaml', 'raise')).message).toMatch(/events expected/);
  });

  it('the post-copy push: a send and an arrival per page on the source (a 4 GiB guest pushed whole: 2,054,004 events, estimated at 2,500)', () => {
    const s = parseScenario(
      `name: pc2
durationMs: 2000
machine: { vcpus: 1, guestMemoryMiB: 4096, hostResidentMiB: 4096, hostHz: 250 }
backing: { kind: postcopy, rttUs: 10, bandwidthMBps: 100000, push: true, dirtyShare: 1 }
regions: [ { name: a, mib: 4000 } ]
tasks: [ { name: c, program: [ { compute: { us: 1000 } } ] } ]
`,
      'pc2.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(2_054_004);
    expect(estimateEvents(s)).toBeLessThan(2_054_004 * 10);
  });
});

describe('the expected events of host ticks, job processes\' memory, cross-calls (hostile round D)', () => {
  const at = (name: string, body: string) =>
    parseScenario(
      `name: ${name}
seed: 1
backing: { kind: swap, latency: { dist: fixed, us: 100 }, queueDepth: 32 }
regions: [ { name: r, mib: 1 } ]
${body}`,
      `${name}.yaml`,
      { known },
    );

  it('counts the host\'s ticks (machine.hostHz): 256 idle vCPUs at 10 kHz took 5,121,597 events, estimated at 592', () => {
    const s = at('hosthz', 'durationMs: 2000\nmachine: { vcpus: 256, guestMemoryMiB: 64, hostResidentMiB: 64, hz: 1, hostHz: 10000 }\ntasks: [ { name: s, program: [ { sleep: { us: 100000 } } ] } ]\n');
    expect(estimateEvents(s)).toBeGreaterThan(5_121_597);
    expect(errorOf(() => checkScenarioSize({ ...s, durationMs: 86_400_000 }, 'hosthz.yaml', 'raise')).message).toMatch(/events expected/);
  });

  it('counts each job process\'s first touches of its own memory: 2,108,275 events, estimated at 39,300', () => {
    const s = at('jobs', `durationMs: 1000
machine: { vcpus: 1, guestMemoryMiB: 256, hostResidentMiB: 256, hz: 250 }
tasks: [ { name: j, jobs: { concurrent: 4 }, passes: 1, memory: [ { name: m, mib: 1 } ], program: [ { touch: { region: m, pattern: sequential, pages: 256 } } ] } ]
`);
    expect(estimateEvents(s)).toBeGreaterThan(2_108_275);
    expect(estimateEvents(s)).toBeLessThan(2_108_275 * 10);
  });

  it('a cross-call to another vCPU with no handler time still takes an exit: 23,466,065 events in 1 s, refused at 1.2e10', () => {
    const pinned = [0, 1, 2, 3].map((v) => `  - { name: s${v}, vcpu: ${v}, program: [ { ipi: { target: next, handlerUs: 0 } } ] }`).join('\n');
    const s = at('ipi', `durationMs: 1000\nmachine: { vcpus: 4, guestMemoryMiB: 64, hostResidentMiB: 64, hz: 250 }\ntasks:\n${pinned}\n`);
    expect(() => checkScenarioSize(s, 'ipi.yaml', 'raise')).not.toThrow();
    expect(estimateEvents(s)).toBeGreaterThan(23_466_065);
  });

  it('a cross-call that may be local runs its handler in place, one event a call of at least CALL_FLOOR_NS: 1,998,988 events in 200 ms (199,738,127 at a nanosecond a call), estimated 43x low with the exit\'s floor', () => {
    const s = at('ipiself', 'durationMs: 200\nmachine: { vcpus: 4, guestMemoryMiB: 1024, hostResidentMiB: 1024, hz: 1000 }\ntasks: [ { name: self, vcpu: 0, program: [ { ipi: { target: 0, handlerUs: 0 } } ] } ]\n');
    expect(estimateEvents(s)).toBeGreaterThan(1_998_988);
    // The same over 4,000 s started without --allow-large.
    expect(errorOf(() => checkScenarioSize({ ...s, durationMs: 4_000_000 }, 'ipiself.yaml', 'raise')).message).toMatch(/events expected/);
  });

  it('an `until` task\'s cross-call to a vCPU blocked in a synchronous fault waits behind the reads queued ahead (32 vCPUs, a queue of 1: 2,782,416 events)', () => {
    const faulting = Array.from({ length: 31 }, (_, i) => `  - { name: f${i + 1}, vcpu: ${i + 1}, program: [ { irqoff: { us: 0, touch: { region: r, pattern: random, pages: 1 } } } ] }`).join('\n');
    const s = parseScenario(
      `name: untilq
durationMs: 600000
seed: 1
machine: { vcpus: 32, guestMemoryMiB: 2048, hostResidentMiB: 16, hz: 1000, hostHz: 10000 }
backing: { kind: swap, latency: { dist: fixed, us: 5000 }, queueDepth: 1 }
regions: [ { name: r, mib: 1024, onSwap: true } ]
tasks:
  - { name: caller, vcpu: 0, passes: 100, program: [ { ipi: { target: 1, handlerUs: 1 } } ] }
${faulting}
until: { tasks: [caller] }
`,
      'untilq.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(2_782_416);
  });

  it('an `until` task\'s cross-calls wait for their target\'s interrupts-off sections: 200 of them took 10 s and 71,313 events, estimated as 16 ms', () => {
    const s = at('until-ipi', `durationMs: 86400000
machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64, hz: 1000 }
tasks:
  - { name: u, vcpu: 0, passes: 200, program: [ { ipi: { target: 1, handlerUs: 1 } } ] }
  - { name: blocker, vcpu: 1, program: [ { irqoff: { us: 100000 } } ] }
until: { tasks: [u] }
`);
    expect(estimateEvents(s)).toBeGreaterThan(71_313);
  });
});

describe('the expected events of cross-calls to a CPU that may go down, and of an until task waiting on a faulting section (hostile round F)', () => {
  it('a target that may be offline takes CALL_FLOOR_NS a call, whatever the handler: 395,607 events in 20 ms (9,985,800 at a nanosecond a call), estimated at 200', () => {
    const s = parseScenario(
      `name: offbig
durationMs: 20
machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64, hz: 1000 }
backing: { kind: swap, latency: { dist: fixed, us: 100 }, queueDepth: 32 }
regions: [ { name: r, mib: 16 } ]
tasks: [ { name: s, vcpu: 0, program: [ { ipi: { target: 1, handlerUs: 1000 } }, { compute: { us: 0.001 } } ] } ]
events: [ { atMs: 0.001, offline: { vcpu: 1 } } ]
`,
      'offbig.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(395_607);
    expect(errorOf(() => checkScenarioSize({ ...s, durationMs: 60_000_000 }, 'offbig.yaml', 'raise')).message).toMatch(/events expected/);
  });

  it('an until task\'s cross-call waits for the target\'s section to fault in its pages: 1,131,617 events, estimated 38x low', () => {
    const s = parseScenario(
      `name: untilpc
durationMs: 600000
machine: { vcpus: 3, guestMemoryMiB: 2048, hostResidentMiB: 2048, hz: 1000 }
backing: { kind: postcopy, rttUs: 1000, bandwidthMBps: 10000, push: false }
regions: [ { name: r, mib: 1024 } ]
tasks:
  - { name: caller, vcpu: 0, passes: 20, program: [ { ipi: { target: 1, handlerUs: 1 } } ] }
  - { name: f, vcpu: 1, program: [ { irqoff: { us: 0, touch: { region: r, pattern: random, pages: 1000 } } } ] }
  - { name: spin, vcpu: 2, program: [ { compute: { us: 10 } } ] }
until: { tasks: [caller] }
`,
      'untilpc.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(1_131_617);
  });
});

describe('an IPI that may go any way is counted at its most events over its least time (hostile round G)', () => {
  const base = `machine: { vcpus: 4, guestMemoryMiB: 64, hostResidentMiB: 64, hz: 100 }
backing: { kind: swap, latency: { dist: fixed, us: 100 }, queueDepth: 32 }
regions: [ { name: r, mib: 16 } ]
`;
  it('fixed work: a CPU taken down elsewhere does not make each call one event (600,392 events, estimated 100,302)', () => {
    const s = parseScenario(
      `name: downfix\ndurationMs: 1000\n${base}tasks: [ { name: s, vcpu: 0, passes: 100000, program: [ { ipi: { target: 1, handlerUs: 0 } } ] } ]\nevents: [ { atMs: 999, offline: { vcpu: 2 } } ]\n`,
      'downfix.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(600_392);
  });

  it('an until window: a call may take its remote handler\'s time (10,010,784 events, estimated 12x low as a nanosecond a call)', () => {
    const s = parseScenario(
      `name: downuntil\ndurationMs: 600000\n${base}tasks:\n  - { name: u, vcpu: 0, passes: 100, program: [ { ipi: { target: 1, handlerUs: 100000 } } ] }\n  - { name: spin, vcpu: 2, program: [ { compute: { us: 1 } } ] }\nuntil: { tasks: [u] }\nevents: [ { atMs: 599999, offline: { vcpu: 3 } } ]\n`,
      'downuntil.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(10_010_784);
  });
});

describe('how long an `until` window lasts, high, against what else runs (hostile round H)', () => {
  const head = `machine: { vcpus: 3, guestMemoryMiB: 64, hostResidentMiB: 64 }
backing: { kind: swap, latency: { dist: fixed, us: 100 } }
regions: [ { name: a, mib: 1 } ]
`;
  it('another task\'s cross-calls spinning on the until task\'s vCPU hold it off (100,052,992 events, estimated 135x low)', () => {
    const s = parseScenario(
      `name: u2\ndurationMs: 20000\n${head}tasks:
  - { name: u, vcpu: 0, passes: 20, program: [ { compute: { us: 1000 } } ] }
  - { name: f, vcpu: 0, count: 10, passes: 1000, program: [ { ipi: { target: 1, handlerUs: 0 } } ] }
  - { name: s, vcpu: 1, program: [ { irqoff: { us: 10000 } } ] }
  - { name: l, vcpu: 2, program: [ { compute: { us: 0.2 } } ] }
until: { tasks: [u] }
drain: { enabled: false }
`,
      'u2.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(100_052_992);
  });

  it('a CPU taken down sends the until task onto another, perhaps the busiest (3,240,845 events, estimated 4x low)', () => {
    const s = parseScenario(
      `name: h1\ndurationMs: 100000\n${head.replace('vcpus: 3', 'vcpus: 2')}tasks:
  - { name: u, vcpu: 1, passes: 200, program: [ { compute: { us: 10000 } } ] }
  - { name: l, count: 8, vcpu: 0, program: [ { compute: { us: 5 } } ] }
until: { tasks: [u] }
events: [ { atMs: 0.001, offline: { vcpu: 1 } } ]
`,
      'h1.yaml',
      { known },
    );
    expect(estimateEvents(s)).toBeGreaterThan(3_240_845);
  });
});
