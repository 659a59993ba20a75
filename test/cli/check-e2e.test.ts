import { describe, expect, it } from 'vitest';
import { apfLab } from '../support/cli.js';

/** `apf-lab check`, run as a user runs it: the built CLI, its output and exit code. */
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

  it('--max-orders: says the walk did not see every order', async () => {
    const r = await apfLab('check', 'arm64-sdei', '--max-orders', '5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('5 orders, each brought to rest and judged; stopped at --max-orders: NOT every order within these bounds, not even every order of 1 step');
    const more = await apfLab('check', 'x86', '--vcpus', '3', '--max-orders', '100', '--json');
    expect(JSON.parse(more.stdout)).toMatchObject({ orders: 100, exhaustive: false, completeDepth: 1 });
  });

  it('bad bounds are usage errors (exit 2); an unknown variant is bad input (exit 1)', async () => {
    const depth = await apfLab('check', 'x86', '--depth', '11');
    expect(depth.code).toBe(2);
    expect(depth.stderr).toContain('--depth must be a whole number from 1 to 10, got "11"');
    const ctx = await apfLab('check', 'x86', '--contexts', 'user,nmi');
    expect(ctx.code).toBe(2);
    expect(ctx.stderr).toContain('--contexts takes user, kernel, irqs-off (comma-separated), got "nmi"');
    const none = await apfLab('check');
    expect(none.code).toBe(2);
    const unknown = await apfLab('check', 'x87');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown variant/);
  });
});
