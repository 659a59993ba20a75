import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CHUNK_CHARS, CHUNKS_IN_FLIGHT } from '../../cli/output-stream.js';
import { apfLab, BIN } from '../support/cli.js';
import { cliInProcess } from '../support/cli-in-process.js';

/**
 * A trace line as facts/anchors.md §B "Line headers from real captures" says to match one: task-pid
 * (the task name may hold spaces and slashes), [cpu], optional flags, secs.usecs:, event:, the rest.
 */
const LINE = /^\s*(.+)-(\d+)\s+\[(\d{3})\]\s+(?:[.a-zA-Z0-9]{4,5}\s+)?(\d+)\.(\d{6}): (\w+):(?: (.*))?$/;

describe('apf-lab trace (built binary)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apf-trace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints ftrace lines that a parser of real captures reads, in time order, for the window asked', async () => {
    const r = await apfLab('trace', 'x86', '--from-ms', '5', '--to-ms', '30');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(20);
    let last = 0;
    for (const l of lines) {
      const m = LINE.exec(l);
      expect(m, l).not.toBeNull();
      const [, task, , cpu, secs, usecs, event] = m!;
      const t = Number(secs) * 1e6 + Number(usecs);
      expect(t).toBeGreaterThanOrEqual(last);
      expect(t).toBeGreaterThanOrEqual(5000);
      expect(t).toBeLessThanOrEqual(30000);
      last = t;
      // kvm_async_pf_completed is traced by async_pf_execute() in a kworker; the rest by the vCPU thread.
      expect(task.trim()).toBe(event === 'kvm_async_pf_completed' ? `kworker/${Number(cpu)}:1` : `CPU ${Number(cpu)}/KVM`);
    }
    expect(r.stdout).toMatch(/^# entries-in-buffer\/entries-written: (\d+)\/\1 {3}#P:4$/m);
    expect(r.stdout).toContain('kvm_async_pf_not_present: token 0x');
  });

  it('--perfetto writes a Chrome trace: named threads, every tracepoint an instant, each fault a begun and ended slice', async () => {
    const file = join(dir, 't.json');
    const r = await apfLab('trace', 'arm64-sdei', '--to-ms', '20', '--perfetto', file, '--vcpu', '0,2');
    expect(r.code).toBe(0);
    const t = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { ph: string; name: string; tid?: number; id?: string; args?: { name?: string } }[] };
    const threads = t.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name);
    expect(threads).toContain('CPU 0/KVM');
    expect(threads).toContain('CPU 2/KVM');
    expect(threads).not.toContain('CPU 1/KVM');
    const instants = t.traceEvents.filter((e) => e.ph === 'i').length;
    const textLines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    expect(instants).toBe(textLines);
    const begun = t.traceEvents.filter((e) => e.ph === 'b').map((e) => e.id);
    const ended = new Set(t.traceEvents.filter((e) => e.ph === 'e').map((e) => e.id));
    expect(begun.length).toBeGreaterThan(0);
    expect(begun.filter((id) => ended.has(id)).length).toBeGreaterThan(begun.length / 2);
  });

  it('--perfetto: a design whose guest asks for the page itself (arm64-s2: no host fault traced) still gets a slice per fault', async () => {
    const file = join(dir, 's2.json');
    const r = await apfLab('trace', 'arm64-s2', '--to-ms', '30', '--perfetto', file);
    expect(r.code).toBe(0);
    const t = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { ph: string; name: string }[] };
    const notPresent = t.traceEvents.filter((e) => e.ph === 'i' && e.name === 'kvm_async_pf_not_present').length;
    expect(notPresent).toBeGreaterThan(0);
    expect(t.traceEvents.filter((e) => e.ph === 'b').length).toBe(notPresent);
  });

  it('--json gives the events with their fields; the same seed gives the same bytes', async () => {
    const a = await apfLab('trace', 'x86-pf', '--to-ms', '15', '--json');
    const b = await apfLab('trace', 'x86-pf', '--to-ms', '15', '--json');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const j = JSON.parse(a.stdout) as { variant: string; events: { event: string; fields: Record<string, number> }[] };
    expect(j.variant).toBe('x86-pf');
    expect(j.events.some((e) => e.event === 'kvm_async_pf_not_present')).toBe(true);
  });

  it('through the worker, text and --json go out in chunks (many, past CHUNKS_IN_FLIGHT) that join to the in-process text byte for byte', async () => {
    for (const json of [[], ['--json']]) {
      const args = ['trace', 'x86', '--lab', '--to-ms', '400', ...json];
      const [bin, here] = await Promise.all([apfLab(...args), cliInProcess(...args)]);
      expect(bin.code).toBe(0);
      expect(bin.stderr).toBe('');
      expect(bin.stdout.length).toBeGreaterThan(CHUNKS_IN_FLIGHT * CHUNK_CHARS);
      expect(bin.stdout).toBe(here.out);
      if (json.length > 0) expect(JSON.stringify(JSON.parse(bin.stdout), null, 2)).toBe(bin.stdout.slice(0, -1));
    }
  });

  it('a reader that leaves early (head) ends the output quietly, exit 0; a full disk is one line, exit 1', async () => {
    const shell = async (script: string) => {
      try {
        const { stderr } = await promisify(execFile)('bash', ['-c', `set -o pipefail; ${script}`]);
        return { code: 0, stderr };
      } catch (e) {
        return { code: (e as { code: number }).code, stderr: (e as { stderr: string }).stderr };
      }
    };
    const bin = `'${process.execPath}' ${BIN} trace x86 --lab --to-ms 400`;
    const [head, headJson, gone, full, timelineHead] = await Promise.all([
      shell(`${bin} | head -n 2 >/dev/null`),
      shell(`${bin} --json | head -c 100 >/dev/null`),
      shell(`${bin} | true`),
      shell(`${bin} --json >/dev/full`),
      // The timeline to a pipe named as a path: its EPIPE is the same closed reader (it was "cannot write the timeline: EPIPE", exit 1).
      shell(`${bin} --perfetto /dev/stdout | head -c 1 >/dev/null`),
    ]);
    for (const r of [head, headJson, gone, timelineHead]) expect(r).toEqual({ code: 0, stderr: '' });
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^apf-lab: cannot write the output: ENOSPC [^\n]*\n$/);
  });

  it('refuses bad input and bad usage with one line, never a stack trace', async () => {
    const cases: [string[], number, RegExp][] = [
      [['trace'], 2, /name a variant/],
      [['trace', 'x87'], 1, /unknown variant/],
      [['trace', 'x86', '--to-ms', 'soon'], 2, /^apf-lab: --to-ms must be a number of milliseconds, 0 or at least 0\.000001 ms \(1 ns\), got "soon"\n/],
      // It said "must be a non-negative number of ms", which 1e-9 is: the rule is 0 or at least 1 ns.
      [['trace', 'x86', '--to-ms', '1e-9'], 2, /^apf-lab: --to-ms must be 0 or at least 0\.000001 ms \(1 ns\): shorter rounds to no time at all, got "1e-9"\n/],
      [['trace', 'x86', '--from-ms', '9', '--to-ms', '3'], 2, /before --from-ms/],
      [['trace', 'x86', '--vcpu', '4'], 2, /vCPUs 0 to 3/],
      [['trace', 'x86', '--max-events', '0'], 2, /--max-events must be a whole number/],
      [['trace', 'x86', '--lab=yes'], 2, /takes no value/],
      [['trace', 'x86', '--from-ms', '900000'], 1, /the run ended at .* before the window's start/],
    ];
    // In-process (the same runCli() the binary calls), but for the first case: nine processes took 10 s.
    for (const [i, [args, code, msg]] of cases.entries()) {
      const r = i === 0 ? await apfLab(...args) : await cliInProcess(...args).then((x) => ({ code: x.code, stdout: x.out, stderr: x.err }));
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });
});
