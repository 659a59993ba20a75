import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apfLab, apfLabInterrupted, apfLabOnTerminal } from '../support/cli.js';

/** `apf-lab check`, run as a user runs it: the built CLI, its output and exit code. */

/** The built CLI refuses `args` with exit `code` and a one-line error that says `text`. */
async function refused(code: number, text: string, ...args: string[]): Promise<void> {
  const r = await apfLab(...args);
  expect(r.code).toBe(code);
  expect(r.stderr).toContain(text);
}
describe('apf-lab check', () => {
  it('x86-pf: exit 4, the leak with its shortest order and its tracepoints', async () => {
    const r = await apfLab('check', 'x86-pf', '--depth', '3');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toContain("an entry left in the guest's sleep table: in ");
    expect(r.stdout).toContain('1. vCPU 0 touches gfn 0x100 (kernel mode)');
    expect(r.stdout).toContain('vCPU 0  kvm_async_pf_ready: token 0 gva 0x100000');
    expect(r.stdout).toContain("✗ vCPU 0's sleep table keeps token 0x0");
  });

  it('x86 --json: exit 0, every order walked, no finding', async () => {
    const r = await apfLab('check', 'x86', '--vcpus', '2', '--depth', '3', '--contexts', 'kernel,user', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ variant: 'x86', exhaustive: true, findings: [], bounds: { vcpus: 2, pages: 2, depth: 3, contexts: ['user', 'kernel'] } });
    expect(j.orders).toBeGreaterThan(50);
  });

  it('--migrate: RFCv2 leaves a task asleep in two steps, the migration the second; the bounds say migrate only when asked', async () => {
    const r = await apfLab('check', 'arm64-dabt', '--migrate', '--depth', '2', '--contexts', 'user');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toContain('a task asleep for good: in ');
    expect(r.stdout).toContain('2. the VM is live-migrated (switchover to the destination)');
    const plain = JSON.parse((await apfLab('check', 'arm64-dabt', '--depth', '1', '--json')).stdout);
    expect('migrate' in plain.bounds).toBe(false);
  });

  it('--hotplug: 2 vCPUs by default, CPU 1 offline and back; refused on one vCPU as a usage error', async () => {
    const r = await apfLab('check', 'arm64-sdei', '--hotplug', '--depth', '4', '--contexts', 'user', '--json');
    expect(r.code, r.stderr).toBe(4);
    const j = JSON.parse(r.stdout);
    expect(j.bounds).toMatchObject({ vcpus: 2, hotplug: true });
    expect(j.findings.map((f: { kind: string }) => f.kind)).toEqual(['task-asleep']);
    expect(j.findings[0].steps).toContainEqual({ kind: 'offline', vcpu: 1 });
    const one = await apfLab('check', 'x86', '--hotplug', '--vcpus', '1');
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('--hotplug needs --vcpus 2 or more: CPU 0 cannot go offline');
  });

  it('--max-orders: says the walk did not see every order', async () => {
    const r = await apfLab('check', 'arm64-sdei', '--max-orders', '5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('5 orders, each brought to rest and judged; stopped at --max-orders: NOT every order within these bounds, not even every order of 1 step');
    // As --help prints the default: 1,000 (grouped by three) is a thousand; 1,5 is no number.
    const more = await apfLab('check', 'x86', '--vcpus', '3', '--max-orders', '1,000', '--json');
    expect(JSON.parse(more.stdout)).toMatchObject({ orders: 1000, exhaustive: false, completeDepth: 2 });
    await refused(2, '--max-orders must be a whole number from 1 to 2,000,000, got "1,5"', 'check', 'x86', '--max-orders', '1,5');
    // An underscore separates groups of three as in JavaScript (1_000), and nowhere else.
    await refused(2, 'got "2__0"', 'check', 'x86', '--max-orders', '2__0');
  });

  it('--variant-file with a knob: RFCv2 with SEND_ALWAYS halts a kernel-mode fault in the guest for good', async () => {
    // seed 003, kvm_async_pf_wait(): a kernel-mode not-present halts in a wfi() loop; the page-ready
    // taken by that same task is delayed by kvm_async_pf_wake_one() (n->task == current) to a
    // return to user the loop never reaches. The posted guest never sets SEND_ALWAYS (a FIXME).
    const dir = mkdtempSync(join(tmpdir(), 'apf-check-'));
    try {
      const file = join(dir, 'dabt-always.yaml');
      const mechanisms = { enable: 'smccc-apf-rfcv2', notPresent: 'dabt-extabt', ready: 'dabt-extabt', token: 'far', eligibility: 'user-mode-pc-range', wake: 'sleep-or-halt-delayed', ack: 'reason-word' };
      writeFileSync(file, JSON.stringify({ id: 'dabt-always', arch: 'arm64', title: 'RFCv2 with SEND_ALWAYS', origin: 'a test', mechanisms, knobs: { rfcSendAlways: 1 } }));
      const r = await apfLab('check', 'dabt-always', '--variant-file', file, '--depth', '3', '--contexts', 'kernel');
      expect(r.code, r.stderr).toBe(4);
      expect(r.stdout).toContain('a vCPU waiting for good: in ');
      expect(r.stdout).toContain('1. vCPU 0 touches gfn 0x100 (kernel mode)\n');
      expect(r.stdout).toContain('2. vCPU 0 enters the guest\n');
      expect(r.stdout).toContain('✗ vCPU 0 is still halted in the guest on token 0x0 (invariant 7)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad bounds are usage errors (exit 2); an unknown variant is bad input (exit 1)', async () => {
    await refused(2, '--depth must be at most 10, got "11"', 'check', 'x86', '--depth', '11');
    await refused(2, '--contexts takes user, kernel, irqs-off (comma-separated), got "nmi"', 'check', 'x86', '--contexts', 'user,nmi');
    const none = await apfLab('check');
    expect(none.code).toBe(2);
    await refused(1, 'unknown variant', 'check', 'x87');
  });
});

describe('apf-lab check, a long walk', () => {
  it('Ctrl-C stops it: one line, exit 130, nothing on stdout', async () => {
    const { code, stdout, stderr } = await apfLabInterrupted(1500, 'check', 'arm64-sdei', '--vcpus', '3', '--pages', '4', '--depth', '10');
    expect(code).toBe(130);
    expect(stdout).toBe('');
    expect(stderr).toBe('apf-lab: interrupted; nothing was written\n');
  });

  it('shows how far it got on a terminal (stderr a TTY, through script(1) where it exists)', () => {
    const text = apfLabOnTerminal(3.5, 'check', 'arm64-sdei', '--vcpus', '3', '--pages', '4', '--depth', '10');
    if (text === null) return;
    expect(text).toMatch(/apf-lab: check arm64-sdei: [\d,]+ of at most 200,000 orders judged, now those of \d+ steps?; Ctrl-C stops/);
    expect(text).toContain('EXIT=130');
  });
});
