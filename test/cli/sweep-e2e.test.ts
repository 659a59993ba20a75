import { execFile, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { apfLab, BIN } from '../support/cli.js';

/** A sweep small enough to run in a second or two: the e2e tests are about what it writes, not what it measures. */
const SCENARIO = `name: tiny-sweep
durationMs: 20
machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 16 }
backing: { kind: swap, latency: { dist: lognormal, us: 300, sigma: 0.8, minUs: 36 }, queueDepth: 16 }
regions: [ { name: array, mib: 48 } ]
tasks:
  - { name: worker, count: 2, program: [ { compute: { us: 500 } } ] }
  - { name: writer, count: 2, program: [ { touch: { region: array, pages: 7, thinkNs: 2000 } }, { syscall: { region: array, pages: 1, thinkNs: 2000 } } ] }
`;

const FILES = ['chart.svg', 'runs.csv', 'summary.csv', 'sweep.json'];
const JOBS_WARNING = /^apf-lab: --jobs (\d+) is more than the (\d+) cores? here: the workers share them, so the sweep is no faster and takes more memory \(the results are the same\)\n$/;

describe('apf-lab sweep (built binary)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apf-lab-sweep-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const scenario = join(dir, 'tiny.yaml');
  writeFileSync(scenario, SCENARIO);
  const at = (...p: string[]) => join(dir, ...p);
  const sweep = ['sweep', '-s', scenario, '--param', 'backing.latency.us=50..1000:log:3', '--param', 'tasksPerVcpu=1,2', '--variants', 'x86,arm64-sdei', '--seeds', '2', '--metric', 'faultLatency.p99'];
  const files = (d: string) => Object.fromEntries(readdirSync(d).sort().map((f) => [f, readFileSync(join(d, f), 'utf8')]));

  it('writes the same files with --jobs 1 and --jobs 4, and three shards merged write them too', async () => {
    // Two or three processes at a time: the suite runs beside this file, on two cores.
    const [one, four] = await Promise.all([apfLab(...sweep, '--jobs', '1', '--out', at('jobs1')), apfLab(...sweep, '--jobs', '4', '--out', at('jobs4'))]);
    const shards = await Promise.all([1, 2, 3].map((i) => apfLab(...sweep, '--jobs', '1', '--shard', `${i}/3`, '--out', at('parts'))));
    for (const r of [one, four, ...shards]) {
      // No progress bar where stderr is not a terminal; --jobs 4 on fewer cores warns, and only that.
      expect(r.stderr.replace(JOBS_WARNING, '')).toBe('');
      expect(r.code).toBe(0);
    }
    expect(one.stdout).toContain('sweep of tiny-sweep: 6 points × 2 variants × 2 seeds = 24 runs\n');
    expect(one.stdout).toMatch(/\nfaultLatency\.p99, mean over the seeds and tasksPerVcpu \(ns\):\n\nbacking\.latency\.us +x86 +arm64-sdei\n50 /);
    expect(shards[0].stdout).toContain('= 24 runs (8 in this shard)\n');
    expect(readdirSync(at('parts')).sort()).toEqual(['part-1-of-3.json', 'part-2-of-3.json', 'part-3-of-3.json']);

    const merge = await apfLab('sweep', 'merge', at('parts', 'part-3-of-3.json'), at('parts', 'part-1-of-3.json'), at('parts', 'part-2-of-3.json'), '--out', at('merged'));
    expect(merge.stderr).toBe('');
    expect(merge.code).toBe(0);

    const reference = files(at('jobs1'));
    expect(Object.keys(reference)).toEqual(FILES);
    expect(files(at('jobs4'))).toEqual(reference);
    expect(files(at('merged'))).toEqual(reference);
    expect(reference['runs.csv'].split('\n')).toHaveLength(1 + 24 + 1);
    const doc = JSON.parse(reference['sweep.json']);
    expect(doc.runs.every((r: { metrics: { violations: number } }) => r.metrics.violations === 0)).toBe(true);
    // The variants of a point share its seeds (common random numbers); its runs have seeds of their own.
    const seeds = doc.runs.filter((r: { point: number }) => r.point === 0).map((r: { seed: number }) => r.seed);
    expect(seeds[0]).toBe(seeds[2]);
    expect(seeds[0]).not.toBe(seeds[1]);
  });

  it('merges the parts of windows that fall between two nanoseconds, as the simulator rounds them (hostile round Y)', async () => {
    // 1.0000005 ms runs 1,000,001 ns: merge compared measuredMs 1.000001 with the unrounded
    // durationMs and refused the genuine parts ("was the file edited?").
    const grid = ['sweep', '-s', scenario, '--param', 'durationMs=0.0000016,1.0000005', '--variants', 'x86', '--jobs', '1'];
    for (const i of [1, 2]) expect((await apfLab(...grid, '--shard', `${i}/2`, '--out', at('ns-parts'))).code).toBe(0);
    const merged = await apfLab('sweep', 'merge', at('ns-parts', 'part-1-of-2.json'), at('ns-parts', 'part-2-of-2.json'), '--json');
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    // And a window that is not zero does not print as one.
    const note = await apfLab(...grid);
    expect(note.stdout).toContain('durationMs is swept: 0.000002 to 1.000001 ms');
  });

  it.skipIf(!existsSync('/dev/stdin'))('the workers run the variant file the main process read, without reading it again (hostile-test sweep defect 4)', () => {
    // /dev/stdin reads differently the second time (empty, as a file made malformed mid-sweep): the
    // workers read it again and refused it, where they should run the variant the sweep checked.
    const spec = 'id: myx\narch: x86\ntitle: mine\norigin: a test\nmechanisms: { enable: msr-pv-en-int, notPresent: pf-cr2, ready: apic-vector, token: cr2, eligibility: user-mode-if, wake: irq-handler, ack: apic-vector-ack-msr }\nknobs: { apicv: 0 }\n';
    const args = ['-s', scenario, '--param', 'backing.latency.us=50,1000', '--variants', 'myx', '--jobs', '1', '--json'];
    writeFileSync(at('myx.yaml'), spec);
    // Through a pipe from cat: Node's own child stdin is a socket, which /dev/stdin cannot open.
    const r = spawnSync('sh', ['-c', `cat '${at('myx.yaml')}' | '${process.execPath}' ${BIN} sweep --variant-file /dev/stdin ${args.map((a) => `'${a}'`).join(' ')}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const fromFile = spawnSync(process.execPath, [BIN, 'sweep', '--variant-file', at('myx.yaml'), ...args], { encoding: 'utf8' });
    // The same variant, so the same runs (the file names only messages).
    expect(JSON.parse(r.stdout).runs).toEqual(JSON.parse(fromFile.stdout).runs);
    expect(JSON.parse(r.stdout).sweep.variants[0].knobs.apicv).toBe(0);
  });

  it('records the build in each part, and refuses to merge parts of different builds (hostile-test sweep defect 2)', async () => {
    // Two installs of the bundle, one with a chunk changed: both report version 0.1.0.
    const install = (name: string) => {
      const root = at(name);
      cpSync(dirname(BIN), join(root, 'dist', 'bin'), { recursive: true });
      cpSync('package.json', join(root, 'package.json'));
      symlinkSync(resolve('templates'), join(root, 'templates'));
      return join(root, BIN);
    };
    const [same, edited] = [install('same'), install('edited')];
    const chunk = readdirSync(dirname(edited)).find((f) => f.startsWith('chunk-'))!;
    appendFileSync(join(dirname(edited), chunk), '\n// another build\n');
    const shard = (bin: string, i: number, out: string) =>
      spawnSync(process.execPath, [bin, 'sweep', '-s', scenario, '--param', 'backing.latency.us=50,1000', '--variants', 'x86', '--jobs', '1', '--shard', `${i}/2`, '--out', at(out)], { encoding: 'utf8' });
    for (const r of [shard(BIN, 1, 'builds'), shard(same, 2, 'builds'), shard(edited, 2, 'other-build')]) expect(r.stderr).toBe('');
    const build = (f: string) => JSON.parse(readFileSync(f, 'utf8')).build as string;
    const [one, two, other] = [at('builds', 'part-1-of-2.json'), at('builds', 'part-2-of-2.json'), at('other-build', 'part-2-of-2.json')];
    expect(build(one)).toMatch(/^0\.1\.0\+[0-9a-f]{12}$/);
    // A copy of the same build is that build; a changed one is not.
    expect(build(two)).toBe(build(one));
    expect(build(other)).not.toBe(build(one));

    const refused = await apfLab('sweep', 'merge', one, other, '--json');
    expect(refused.stderr).toBe(`apf-lab: ${one} and ${other} were written by different apf-lab builds (${build(one)} and ${build(other)}): their figures need not agree; run every shard with one build\n`);
    expect(refused.code).toBe(1);
    const merged = await apfLab('sweep', 'merge', one, two, '--json');
    expect(merged.code).toBe(0);
    expect(JSON.parse(merged.stdout).build).toBe(build(one));
  });

  it('reports a run that stopped early, in runs.csv, sweep.json and the table\'s notes (hostile-test sweep defect 7)', async () => {
    // A 5 s swap read outlasts the drain's cap: `run` says "Runs that stopped early: drain timed out".
    const r = await apfLab('sweep', '--param', 'backing.latency.us=100,5000000', '--param', 'backing.latency.maxUs=6000000', '--variants', 'x86', '--duration-ms', '20', '--out', at('early'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '\n\n1 of 2 runs stopped early (drain timed out: 1): runs.csv and sweep.json say which, in stoppedEarly;\ntheir figures leave out what was still to happen when they stopped\n',
    );
    const csv = readFileSync(at('early', 'runs.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toMatch(/,violations,measuredMs,workPerSecond,stoppedEarly$/);
    expect(csv.slice(1).map((l) => l.slice(l.lastIndexOf(',') + 1))).toEqual(['', 'drain timed out']);
    const doc = JSON.parse(readFileSync(at('early', 'sweep.json'), 'utf8'));
    expect(doc.runs.map((run: { stoppedEarly: string | null }) => run.stoppedEarly)).toEqual([null, 'drain timed out']);
  });

  it('warns, in one line, of more --jobs than cores, and keeps the results (hostile-test sweep defect 10)', async () => {
    const args = ['sweep', '-s', scenario, '--param', 'backing.latency.us=50,1000', '--variants', 'x86', '--json'];
    const [many, one] = await Promise.all([apfLab(...args, '--jobs', '1024'), apfLab(...args, '--jobs', '1')]);
    expect(many.code).toBe(0);
    expect(many.stderr).toMatch(JOBS_WARNING);
    expect(JOBS_WARNING.exec(many.stderr)![1]).toBe('1024');
    expect(one.stderr).toBe('');
    expect(many.stdout).toBe(one.stdout);
  });

  // Hours of runs here if it ran first (8 points × 2 variants × 200 s each): a refusal must come at once.
  const long = ['sweep', '--param', 'tasksPerVcpu=1..8', '--variants', 'x86,arm64-sdei', '--duration-ms', '200000', '--allow-large'];

  it('refuses an --out it cannot make before it runs anything', async () => {
    writeFileSync(at('afile'), '');
    for (const out of [at('afile', 'x'), at('afile')]) {
      const r = await apfLab(...long, '--out', out);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`apf-lab: --out ${out}: cannot make the directory: ${at('afile')} is not a directory\n`);
      expect(r.code).toBe(1);
    }
  }, 20_000);

  it('refuses a file name in --out taken by a directory before it runs anything, as it did after every run (hostile sweep defect D1)', async () => {
    for (const [out, name, shard] of [[at('blocked'), 'runs.csv', []], [at('blocked-chart'), 'chart.svg', []], [at('pdir'), 'part-1-of-2.json', ['--shard', '1/2']]] as const) {
      mkdirSync(join(out, name), { recursive: true });
      // Killed after 10 s, as it would be if it ran first, rather than left running for hours.
      const r = await promisify(execFile)(process.execPath, [BIN, ...long, ...shard, '--out', out], { timeout: 10_000 }).then(
        (ok) => ({ ...ok, code: 0 }),
        (e: { code: number | null; stdout: string; stderr: string }) => e,
      );
      expect(r.stderr).toBe(`apf-lab: --out ${out}: cannot write the sweep: ${join(out, name)} is a directory\n`);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(readdirSync(out)).toEqual([name]);
    }
  }, 30_000);
});
