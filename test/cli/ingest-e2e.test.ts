import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, scenarioSchema } from '../../index.js';
import { apfLab, BIN } from '../support/cli.js';

/**
 * `apf-lab ingest` on the built binary, fed what `apf-lab trace` prints: the lab's own ftrace
 * lines stand in for a host's, and what ingest rebuilds from them must agree with the run.
 */
describe('apf-lab ingest (built binary)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apf-ingest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const traced = async (variant: string) => {
    const r = await apfLab('trace', variant);
    expect(r.code, r.stderr).toBe(0);
    const file = join(dir, `${variant}.trace`);
    writeFileSync(file, r.stdout);
    const j = await apfLab('trace', variant, '--json');
    return { file, events: (JSON.parse(j.stdout) as { events: { event: string }[] }).events };
  };

  it("reads back x86's trace: the run's events counted, every fault paired, invariants clean, the swap latency fitted back", async () => {
    const { file, events } = await traced('x86');
    const r = await apfLab('ingest', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    for (const [name, n] of Object.entries(report.events)) expect(n, name).toBe(events.filter((e) => e.event === name).length);
    expect(report.threads.map((t: { vcpu: number }) => t.vcpu)).toEqual([0, 1, 2, 3]);
    expect(report.faults.ready + report.faults.inFlightAtEnd).toBe(report.faults.asyncPageFaults);
    expect(report.findings).toEqual([]);
    expect(report.tokenLayouts[0].matching).toBe(report.faults.asyncPageFaults);
    // The scenario's swap device (overcommit.yaml: lognormal, median 818 µs, σ 1.2) comes back
    // from the not-present → completed times, within the sampling error of some 4,100 faults.
    const backing = loadScenario().backing;
    if (backing.kind !== 'swap') throw new Error('the default scenario swaps');
    const latency = backing.latency;
    expect(Math.abs(report.latencyFit.us / latency.us - 1)).toBeLessThan(0.08);
    expect(Math.abs(report.latencyFit.sigma - latency.sigma)).toBeLessThan(0.06);
  }, 30_000);

  it("tells RFCv2's tokens (id << 16) from x86's, and prints a fit a scenario file takes as its latency", async () => {
    const { file } = await traced('arm64-dabt');
    const r = await apfLab('ingest', file);
    expect(r.code, r.stderr).toBe(0);
    const n = /^(\S+) async page faults/m.exec(r.stdout)![1];
    expect(r.stdout).toContain(`arm64 RFCv1/RFCv2: (id++ << 16) | vcpu_id: ${n} of ${n} match`);
    const fit = /^ {2}latency: (\{.*\})$/m.exec(r.stdout)![1];
    const base = loadScenario();
    expect(() => scenarioSchema.parse({ ...base, backing: { ...base.backing, latency: parse(fit) } })).not.toThrow();
    expect(r.stdout).toMatch(/^Checks against KVM's flow .*: none failed$/m);
  }, 30_000);

  it('--vs: the lab run of the same variant, scenario and seed, measured by the same code, gives the capture back', async () => {
    const { file } = await traced('x86');
    const r = await apfLab('ingest', file, '--vs', 'x86', '--json');
    expect(r.code, r.stderr).toBe(0);
    const { lab, ...host } = JSON.parse(r.stdout);
    expect(lab).toMatchObject({ variant: 'x86', scenario: 'overcommit', seed: 1, cutAtMaxEvents: false });
    for (const k of ['events', 'window', 'threads', 'workers', 'faults', 'durations', 'latencyFit', 'tokenLayouts', 'findings']) expect(lab.report[k], k).toEqual(host[k]);
    // Another seed is another run: the side by side differs.
    const other = await apfLab('ingest', file, '--vs', 'x86', '--seed', '2');
    expect(other.code, other.stderr).toBe(0);
    const row = /^ {2}not-present → completed, p50 +(\S+ \S+) +(\S+ \S+)$/m.exec(other.stdout)!;
    expect(row[1]).not.toBe(row[2]);
    // Every spelling yargs reads as those options (--no-seed and --scenario.x were let through).
    for (const argv of [['-s', 'overcommit'], ['--s=overcommit'], ['--allow-large']]) {
      const usage = await apfLab('ingest', file, ...argv);
      expect([usage.code, usage.stderr.split('\n')[0]], argv.join(' ')).toEqual([2, 'apf-lab: -s/--scenario, --seed and --allow-large choose the lab run that --vs compares with: name a variant with --vs']);
    }
    for (const argv of [['--no-seed'], ['--no-scenario'], ['--scenario.x=1'], ['--no-vs'], ['--vs.x', 'x86']]) {
      const usage = await apfLab('ingest', file, ...argv);
      expect([usage.code, usage.stderr.split('\n')[0]], argv.join(' ')).toEqual([2, expect.stringMatching(/^apf-lab: (-s\/)?--(scenario|seed|vs) (needs a value|takes one value, not fields)/)]);
    }
    const unknown = await apfLab('ingest', file, '--vs', 'x87');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/x87/);
  }, 60_000);

  it('reads a capture saved as UTF-16 with its byte-order mark (PowerShell: trace-cmd report > x.txt) as the same capture in UTF-8', async () => {
    const utf8 = join(dir, 'u8.trace');
    const utf16 = join(dir, 'u16.trace');
    const text = readFileSync('test/fixtures/ingest/headers.trace', 'utf8');
    writeFileSync(utf8, text);
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const a = await apfLab('ingest', utf8, '--json');
    const b = await apfLab('ingest', utf16, '--json');
    expect(b.code, b.stderr).toBe(0);
    expect({ ...JSON.parse(b.stdout), source: '' }).toEqual({ ...JSON.parse(a.stdout), source: '' });
  });

  it('refuses what is not a capture with one line and exit 1, and a missing file name with exit 2', async () => {
    const bin = join(dir, 'bin.dat');
    writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0]));
    const other = join(dir, 'other.trace');
    writeFileSync(other, 'qemu-1 [000] ..... 1.000000: kvm_exit: reason HLT\n');
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    for (const [file, message] of [
      [join(dir, 'none.trace'), /none\.trace: cannot read it \(no such file\)/],
      [sub, /sub: a directory, not a trace file/],
      [bin, /a binary file, not a trace \(it contains NUL bytes\); give the text of the trace/],
      [other, /none of Linux's async-PF tracepoints .* in its 1 line: 1 other event \(kvm_exit\)/],
    ] as const) {
      const r = await apfLab('ingest', file);
      expect(r.code, file).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    const usage = await apfLab('ingest');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('name a capture file');
    expect(readFileSync(other, 'utf8')).toContain('kvm_exit');
  }, 30_000);
});

describe('apf-lab ingest of a named pipe no one writes to', () => {
  it('waits in open(2), as cat(1) would; a second Ctrl-C a second after the first ends it with 130, as the first line says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-ingest-fifo-'));
    try {
      const fifo = join(dir, 'capture.fifo');
      try {
        execFileSync('mkfifo', [fifo]);
      } catch {
        return; // no mkfifo(1): nothing to test with
      }
      const child = spawn(process.execPath, [BIN, 'ingest', fifo]);
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      setTimeout(() => child.kill('SIGINT'), 800);
      setTimeout(() => child.kill('SIGINT'), 2000);
      const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 6000).unref());
      const r = await Promise.race([ended, timeout]);
      if (r === 'hung') child.kill('SIGKILL');
      expect(r).not.toBe('hung');
      expect(r === 'hung' ? null : (r.code ?? (r.signal === 'SIGINT' ? 130 : r.signal))).toBe(130);
      expect(stderr).toBe('apf-lab: interrupted; nothing was written\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 10_000);
});
