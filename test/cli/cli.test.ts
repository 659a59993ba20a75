import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VARIANTS } from '../../arches/registry.js';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../cli/io.js';
import { COMMANDS } from '../../cli/commands/table.js';
import { runCli } from '../../cli/main.js';
import { progressText } from '../../cli/process.js';
import { TINY_SCENARIO_YAML } from '../support/scenarios.js';

/** The CLI in-process, with captured output (STYLE.md §4). */
async function cli(...argv: string[]) {
  return cliWith({}, ...argv);
}

/** The CLI with the hooks the process entry gives it (Ctrl-C flag, progress). */
async function cliWith(hooks: Pick<Io, 'progress' | 'signal'>, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t), ...hooks });
  return { code, out, err };
}

const workOf = async (...argv: string[]) => JSON.parse((await cli('compare', 'x86', '--no-baseline', '--json', ...argv)).out).variants[0].metrics.work;

describe('apf-lab CLI (in-process)', () => {
  it('compare --json has the documented fields, each architecture\'s baseline first', async () => {
    const r = await cli('compare', 'x86', 'arm64-sdei', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.scenario.name).toBe('overcommit');
    expect(doc.seed).toBe(1);
    expect(doc.variants.map((v: { id: string }) => v.id)).toEqual(['sync-x86', 'x86', 'sync-arm64', 'arm64-sdei']);
    for (const v of doc.variants) {
      expect(typeof v.metrics.work).toBe('number');
      expect(typeof v.metrics.apf.notPresentDelivered).toBe('number');
      expect(typeof v.metrics.apf.readyDelivered).toBe('number');
      expect(typeof v.metrics.apf.halts).toBe('number');
      expect(v.metrics.apf.syncFallbacks).toBeTypeOf('object');
      expect(v.metrics.exits).toBeTypeOf('object');
      expect(Object.keys(v.metrics.faultLatencyNs)).toEqual(expect.arrayContaining(['p50', 'p99', 'max']));
      expect(Array.isArray(v.invariants.violations)).toBe(true);
    }
  });

  it('--no-baseline leaves sync out; --seed changes the numbers', async () => {
    const a = JSON.parse((await cli('compare', 'x86', '--no-baseline', '--json', '--seed', '5')).out);
    expect(a.variants.map((v: { id: string }) => v.id)).toEqual(['x86']);
    expect(a.seed).toBe(5);
    const b = JSON.parse((await cli('compare', 'x86', '--no-baseline', '--json', '--seed', '6')).out);
    expect(a.variants[0].metrics.work).not.toBe(b.variants[0].metrics.work);
  });

  it('an unknown variant is bad input (exit 1) and lists the known ones', async () => {
    const r = await cli('compare', 'x86', 'arm64-nope');
    expect(r.code).toBe(1);
    expect(r.err).toBe('apf-lab: unknown variant "arm64-nope" (known: sync-x86, sync-arm64, x86, x86-halt, x86-pf, x86-ve, arm64-sdei, arm64-irq, arm64-dabt, arm64-impdef, arm64-pvvec, arm64-s2)\n');
    expect(r.out).toBe('');
  });

  it('an unknown flag is a usage error (exit 2) with usage, and prints nothing on stdout', async () => {
    const r = await cli('compare', 'x86', '--frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown argument: --frobnicate/);
    expect(r.err).toMatch(/apf-lab compare \[variants\.\.\]/);
    expect(r.out).toBe('');
  });

  it('no command is a usage error', async () => {
    expect((await cli()).code).toBe(2);
  });

  it('an option before the command is a usage error, not a silent no-op', async () => {
    // Only the first command word's module is loaded (cli/commands/table.ts); here that is `list`,
    // the value of --scenario, while yargs would run `compare`.
    const r = await cli('--scenario', 'list', 'compare', 'x86');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toBe('apf-lab: Unknown argument: --scenario');
  });

  it('a non-integer seed is a usage error', async () => {
    expect((await cli('run', 'x86', '--seed', '1.5')).code).toBe(2);
  });

  it('a malformed scenario is bad input naming file and field', async () => {
    const r = await cli('run', 'x86', '--scenario', 'test/fixtures/bad-region.yaml');
    expect(r.code).toBe(1);
    expect(r.err).toBe('apf-lab: test/fixtures/bad-region.yaml: tasks[0].program[0].touch.region: unknown region "b" (known: a)\n');
  });

  it('a bad override in a scenario names the key and the known ones', async () => {
    const r = await cli('run', 'x86', '--scenario', 'test/fixtures/bad-cost.yaml');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^apf-lab: test\/fixtures\/bad-cost\.yaml: costs\.x86\.exitCycle: unknown key \(known: .*exitCycles/);
  });

  it('list shows every variant and the built-in scenario', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    for (const id of ['sync', 'x86', 'arm64-sdei', 'overcommit']) expect(r.out).toContain(id);
  });

  it('list sets every variant title in one column, clear of the longest id (arm64-impdef ran into its title)', async () => {
    const r = await cli('list');
    const heads = r.out.split('\n').flatMap((l) => {
      const m = /^ {2}([a-z0-9-]+)( {2,})\S/.exec(l);
      return m ? [2 + m[1].length + m[2].length] : [];
    });
    expect(heads.length).toBe(VARIANTS.length);
    expect(new Set(heads).size).toBe(1);
    expect(r.out).toMatch(/^  arm64-impdef {2,}arm64 RFCv1/m);
  });
});

describe('command-line mistakes are usage errors (DESIGN.md "Outputs": exit 2)', () => {
  const usage: string[][] = [
    ['run'],
    ['run', 'x86', '--seed'],
    ['run', 'x86', '--scenario'],
    ['compare', 'x86', '-s'],
    ['run', 'x86', '--seed', '1', '--seed', '2'],
    ['run', 'x86', '--scenario', 'overcommit', '-s', 'overcommit'],
    ['run', 'x86', '--json=yes'],
    ['list', '--json=1'],
    ['compare', 'x86', '--baseline=no'],
    ['run', 'x86', '--seed='],
    ['run', 'x86', '--seed', '0x10'],
    ['run', 'x86', '--seed', '1e3'],
    ['run', 'x86', '--seed', '9007199254740993'],
  ];
  it.each(usage)('%j exits 2 with one message line and usage, nothing on stdout', async (...argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^apf-lab: [^\n]+\n\n/);
  });

  it('names the option that lacks a value or was repeated', async () => {
    expect((await cli('run', 'x86', '--seed')).err).toMatch(/^apf-lab: --seed needs a value/);
    expect((await cli('run')).err).toMatch(/^apf-lab: name a variant/);
    expect((await cli('run', 'x86', '--seed', '1', '--seed', '2')).err).toMatch(/^apf-lab: --seed was given more than once/);
    expect((await cli('run', 'x86', '--json=yes')).err).toMatch(/^apf-lab: --json takes no value \(or true or false\), got "--json=yes"/);
  });

  it('shows a variant name with control characters escaped, on one line', async () => {
    const r = await cli('run', 'x8\n6\u001b[2J\r');
    expect(r.code).toBe(1);
    expect(r.err).toBe('apf-lab: unknown variant "x8\\n6\\x1b[2J\\r" (known: sync-x86, sync-arm64, x86, x86-halt, x86-pf, x86-ve, arm64-sdei, arm64-irq, arm64-dabt, arm64-impdef, arm64-pvvec, arm64-s2)\n');
  });
});

describe('seeds use all their bits on the command line', () => {
  it('--seed 1 and --seed 4294967297 give different runs', async () => {
    expect(await workOf('--seed', '1')).not.toBe(await workOf('--seed', String(2 ** 32 + 1)));
  });
});

describe('scenario errors from the CLI name the file', () => {
  it('a hostile value, an override key and a knob the backend refuses all name the file and field', async () => {
    const r = await cli('run', 'x86', '--scenario', 'test/fixtures/hostile/proto-key.yaml');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^apf-lab: test\/fixtures\/hostile\/proto-key\.yaml: costs\.x86\.__proto__: unknown key \(known: /);
    const vcpus = await cli('compare', 'x86', '--scenario', 'test/fixtures/hostile/vcpus-1e6.yaml');
    expect(vcpus.err).toMatch(/^apf-lab: test\/fixtures\/hostile\/vcpus-1e6\.yaml: machine\.vcpus: must be at most 1024/);
    expect(vcpus.code).toBe(1);
  });
});

describe('-s NAME without "/" or .yaml is a built-in name, even where a file of that name exists', () => {
  it('says so and suggests ./NAME (it said only "no such scenario file or built-in name")', async () => {
    const r = await cli('run', 'x86', '-s', 'package.json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^apf-lab: package\.json: taken as a built-in scenario name, since it has no "\/" and does not end in \.yaml, and there is no such built-in \(built-ins: [^)]*overcommit\); for the file, give \.\/package\.json\n$/);
    const none = await cli('run', 'x86', '-s', 'no-such-name');
    expect(none.err).toMatch(/^apf-lab: no-such-name: no such scenario file or built-in name \(built-ins: /);
  });
});

describe('long runs: size limits, progress and Ctrl-C', () => {
  it('refuses a scenario above the laptop limits, saying how to raise it', async () => {
    const r = await cli('run', 'x86', '--scenario', 'test/fixtures/hostile/too-large.yaml');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/events expected, more than the 1e\+9 a laptop runs in minutes; pass --allow-large/);
  });

  it('--allow-large lets it start; Ctrl-C stops it at once with exit 130 and no output', async () => {
    const r = await cliWith({ signal: { aborted: true } }, 'run', 'x86', '--allow-large', '--scenario', 'test/fixtures/hostile/too-large.yaml');
    expect(r.code).toBe(130);
    expect(r.out).toBe('');
    expect(r.err).toBe('apf-lab: interrupted; nothing was written\n');
  });

  it('reports progress through the hook, in simulated time of the latest end', async () => {
    const seen: [number, number][] = [];
    const r = await cliWith({ progress: (d, t) => void seen.push([d, t]) }, 'run', 'sync-x86');
    expect(r.code).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0][1]).toBe(4_000_000_000); // 2 s measured + 2 s drain
    expect(progressText(1.25e9, 4e9)).toBe('apf-lab: simulated 1.250 s of at most 4.000 s (31 %); Ctrl-C stops');
  });
});

describe('arguments yargs would drop (hostile-test regression)', () => {
  it.each([
    ['compare', 'x86', '--', 'arm64-sdei'],
    ['compare', '-'],
    ['compare', '-', 'x86'],
  ])('%s %s … is a usage error, not a silently shorter comparison', async (...argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toMatch(/is not accepted/);
  });
});

describe('--version', () => {
  it("prints package.json's version and exits 0 (it said \"name a command\", exit 2)", async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await cli('--version')).toEqual({ code: 0, out: `${version}\n`, err: '' });
    expect((await cli('--help')).out).toContain('--version');
  });

  it("is apf-lab's own option, not each command's: `run x86 --version` is a usage error, and no command's help lists it", async () => {
    const r = await cli('run', 'x86', '--version');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('apf-lab: Unknown argument: --version');
    for (const command of ['run', 'compare', 'check', 'sweep']) expect((await cli(command, '--help')).out, command).not.toContain('--version');
  });
});

describe('-h is --help', () => {
  it('prints the usage and exits 0', async () => {
    const r = await cli('-h');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^apf-lab <command>/);
  });

  it('lists every command of the table, each with its positionals', async () => {
    const { out } = await cli('--help');
    for (const { command } of Object.values(COMMANDS)) expect(out).toContain(`apf-lab ${command}`);
  });

  it("a command's own help has its options: its module was loaded", async () => {
    const { out, code } = await cli('compare', '--help');
    expect(code).toBe(0);
    expect(out).toMatch(/--scenario/);
    expect(out).toMatch(/--no-baseline|--baseline/);
  });
});

describe('compare with no fault at all', () => {
  it('prints — for exits and injections per fault, not 0.00 beside a count of exits (a hostile test)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-lab-nofault-'));
    try {
      const file = join(dir, 'tiny.yaml');
      writeFileSync(file, TINY_SCENARIO_YAML);
      const r = await cli('compare', 'x86', '-s', file);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/\n {2}faults +0 +0\n/);
      expect(r.out).toMatch(/\n {2}exits per fault +— +—\n/);
      expect(r.out).toMatch(/\n {2}injections per fault +— +—\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
