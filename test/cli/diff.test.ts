import { describe, expect, it } from 'vitest';
import { findVariant } from '../../arches/registry.js';
import { cliInProcess as cli } from '../support/cli-in-process.js';
import { renderText } from '../../cli/render.js';
import { faultTraceText, unifiedDiff } from '../../cli/views/diff.js';
import { traceFaults } from '../../core/fault-trace.js';
import { DEFAULT_SCENARIO, loadScenario } from '../../core/scenario/load.js';

const lines = (patch: string, sign: '+' | '-') => patch.split('\n').filter((l) => l.startsWith(sign) && !l.startsWith(`${sign.repeat(3)} `));

describe('apf-lab diff --what mechanisms (in-process)', () => {
  it('x86 against arm64-sdei: the not-present, ready and ack lines change, and nothing outside a hunk', async () => {
    // Act
    const r = await cli('diff', 'x86', 'arm64-sdei', '--what', 'mechanisms');
    // Assert
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('--- a/x86\n+++ b/arm64-sdei\n');
    const removed = lines(r.out, '-');
    const added = lines(r.out, '+');
    expect(removed).toContain('-              notPresent  #PF vector 14, error code 0, token in CR2, flags in shared area');
    expect(added).toContain('+              notPresent  SDEI event 0x40400001 (critical, NMI-like), user mode only; token and reason in control block');
    expect(removed).toContain('-  notPresent  pf-cr2');
    expect(added).toContain('+  notPresent  sdei-event');
    expect(added).toContain('+              ack         SMCCC IRQ_ACK; one page-ready outstanding; a completion before dispatch cancels the event');
    expect(added).toContain('+  blocker  sdei-not-merged');
    // Lines both sheets have stay context.
    expect(r.out).toContain('\n Mechanism ids (what a --variant-file names; examples/variants/)\n');
  });

  it('the same variant twice, or a variant file restating a built-in under another id: no differences', async () => {
    const same = await cli('diff', 'arm64-sdei', 'arm64-sdei');
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/\n\nno differences\n$/);
    // Its longer id must not widen its sheet's id column (a hostile test found a whole-block diff).
    const restated = await cli('diff', 'arm64-sdei', 'arm64-sdei-restated', '--variant-file', 'examples/variants/arm64-sdei-restated.yaml');
    expect(restated.code).toBe(0);
    expect(restated.out).toMatch(/\n\nno differences\n$/);
    const json = JSON.parse((await cli('diff', 'x86', 'x86', '--json')).out) as { patch: string; hunks: unknown[] };
    expect(json).toMatchObject({ a: 'x86', b: 'x86', what: 'mechanisms', patch: '', hunks: [] });
  });

  it('an unknown variant is bad input (exit 1, one line with the known ids); a bad --what or --faults is usage (exit 2)', async () => {
    const bad = await cli('diff', 'x86', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('');
    expect(bad.err).toMatch(/^apf-lab: unknown variant "nope" \(known: .*arm64-sdei.*\)\n$/);
    expect((await cli('diff', 'x86', 'arm64-sdei', '--what', 'sheets')).code).toBe(2);
    expect((await cli('diff', 'x86', 'arm64-sdei', '--what', 'trace', '--faults', '0')).code).toBe(2);
    expect((await cli('diff', 'x86')).code).toBe(2);
  });
});

describe('apf-lab diff --what trace (in-process)', () => {
  it('x86 against arm64-sdei on the default scenario: the SDEI steps are + lines, the shared steps context, deterministically', async () => {
    // Act
    const [r, again] = [await cli('diff', 'x86', 'arm64-sdei', '--what', 'trace'), await cli('diff', 'x86', 'arm64-sdei', '--what', 'trace')];
    // Assert
    expect(r.code).toBe(0);
    expect(again.out).toBe(r.out);
    const added = lines(r.out, '+').filter((l) => !l.startsWith('+fault '));
    expect(new Set(added.map((l) => l.trim().split(':')[0]))).toEqual(new Set(['+  kvm_sdei_deliver', '+  kvm_sdei_complete'].map((s) => s.trim())));
    expect(added.filter((l) => l.includes('kvm_sdei_deliver'))).toHaveLength(3);
    // Only the fault headers differ on the x86 side (the tokens): no x86 step is missing from arm64-sdei.
    expect(lines(r.out, '-').every((l) => l.startsWith('-fault '))).toBe(true);
    for (const step of ['kvm_try_async_get_page', 'kvm_async_pf_not_present', 'kvm_async_pf_completed', 'kvm_async_pf_ready', 'kvm_async_pf_ack']) {
      expect(r.out).toContain(`\n   ${step}`);
    }
  });

  it('follows the same gfns in both runs, stops each run soon after their page-ready, and keeps times in --json', async () => {
    const r = await cli('diff', 'x86-pf', 'x86', '--what', 'trace', '--faults', '2', '--json');
    const j = JSON.parse(r.out) as {
      scenario: string;
      seed: number;
      hunks: unknown[];
      traces: Record<'a' | 'b', { stoppedAtNs: number | null; faults: { gfn: number; fault: { events: { event: string; sinceStartNs: number }[] } | null }[] }>;
    };
    expect(j).toMatchObject({ scenario: 'overcommit', seed: 1 });
    expect(j.traces.a.faults.map((f) => f.gfn)).toEqual(j.traces.b.faults.map((f) => f.gfn));
    for (const t of [j.traces.a, j.traces.b]) {
      expect(t.stoppedAtNs).not.toBeNull();
      expect(t.stoppedAtNs!).toBeLessThan(100e6);
      const events = t.faults[0].fault!.events;
      expect(events[0]).toMatchObject({ event: 'kvm_try_async_get_page', sinceStartNs: 0 });
      expect(events.map((e) => e.sinceStartNs)).toEqual([...events.map((e) => e.sinceStartNs)].sort((x, y) => x - y));
    }
    // The 2010 design has no ACK: upstream x86 adds it after each page-ready.
    expect(lines(JSON.parse(r.out).patch as string, '+').filter((l) => l.includes('kvm_async_pf_ack'))).toHaveLength(2);
  });

  it('a variant with no async faults shows each fault as not traced', () => {
    // A short window: the baseline never traces the gfn, so its run goes to the end.
    const scenario = { ...loadScenario(DEFAULT_SCENARIO), durationMs: 30, drain: { enabled: false, maxMs: 1 } };
    const a = traceFaults(scenario, findVariant('x86'), { count: 1 });
    const b = traceFaults(scenario, findVariant('sync-x86'), { gfns: [a.faults[0].gfn] });
    expect(faultTraceText(b)).toBe(`fault 1: gfn 0x${a.faults[0].gfn.toString(16)}: no async page fault traced on this gfn\n`);
    expect(unifiedDiff('x86', 'sync-x86', faultTraceText(a), faultTraceText(b)).hunks).toHaveLength(1);
  });

  it('a baseline named first has no fault to follow: it says so instead of "no differences"', async () => {
    const r = await cli('diff', 'sync-x86', 'x86', '--what', 'trace', '--faults', '1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('sync-x86 starts no asynchronous page fault in this run: nothing to follow (name it second: apf-lab diff x86 sync-x86 --what trace)');
    expect(r.out).not.toContain('no differences');
  });

  it('two variants with no fault to follow: it does not suggest swapping them (it did)', async () => {
    const r = await cli('diff', 'sync-x86', 'sync-arm64', '--what', 'trace', '--faults', '1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('neither sync-x86 nor sync-arm64 starts an asynchronous page fault in this run: nothing to follow');
  });

  it('--faults, --scenario and --seed without --what trace are usage errors (they were ignored, a missing scenario file too)', async () => {
    for (const [argv, name] of [
      [['--faults', '5'], '--faults'],
      [['-s', 'nosuch.yaml'], '-s/--scenario'],
      [['--scenario=overcommit'], '--scenario'],
      [['--seed', 'banana'], '--seed'],
      [['--s=a.yaml'], '-s/--scenario'],
      [['-sa.yaml'], '-s/--scenario'],
      [['--allow-large'], '--allow-large'],
    ] as const) {
      const r = await cli('diff', 'x86', 'arm64-sdei', ...argv);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe(`apf-lab: ${name} applies to --what trace only`);
    }
    // Spellings that give an option no value at all are refused as such, in any command.
    for (const [argv, message] of [
      [['--no-seed'], '--seed needs a value (--no-seed is not one)'],
      [['--no-scenario'], '-s/--scenario needs a value (--no-scenario is not one)'],
      [['--no-s'], '-s/--scenario needs a value (--no-s is not one)'],
      [['--scenario.x=1'], '-s/--scenario takes one value, not fields (a value that starts with a dot goes after a space)'],
    ] as const) {
      const r = await cli('diff', 'x86', 'arm64-sdei', ...argv);
      expect([r.code, r.err.split('\n')[0]]).toEqual([2, `apf-lab: ${message}`]);
    }
  });
});

describe('templates/text/diff.text.hbs', () => {
  it('renders a title and a body', () => {
    expect(renderText('diff', { title: 't', body: 'no differences\n' })).toBe('t\n\nno differences\n');
  });
});
