import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cliInProcess as cli } from '../support/cli-in-process.js';
import { ARM64_SDEI_SPEC } from '../../arches/arm64/variant.js';
import { composeSpec, DIMENSIONS, findVariant, runVariant, VARIANT_SPECS, VARIANTS, type VariantSpec } from '../../index.js';
import { apfLab } from '../support/cli.js';
import { smallScenario } from '../support/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'apf-lab-variant-file-'));
let files = 0;

/** Writes a spec (or any YAML text) to a file of its own. */
function fileOf(content: VariantSpec | string | Record<string, unknown>): string {
  const path = join(dir, `v${files++}.yaml`);
  writeFileSync(path, typeof content === 'string' ? content : stringify(content, { lineWidth: 0 }));
  return path;
}

/** A small scenario file, so that each of the nine pairs of runs is quick. */
const scenarioFile = (() => {
  const path = join(dir, 'small.yaml');
  writeFileSync(path, stringify(smallScenario()));
  return path;
})();

const withMechanism = (spec: VariantSpec, changes: Partial<VariantSpec['mechanisms']>, id = 'mine'): VariantSpec => ({
  ...spec,
  id,
  mechanisms: { ...spec.mechanisms, ...changes },
});

describe('built-in variants are specs composed like a variant file', () => {
  it('every built-in has a spec, in the same order, naming one catalogue id per dimension', () => {
    expect(VARIANT_SPECS.map((s) => s.id)).toEqual(VARIANTS.map((v) => v.id));
    for (const v of VARIANTS) expect(Object.keys(v.mechanismIds ?? {}), v.id).toEqual([...DIMENSIONS]);
  });

  it.each(VARIANT_SPECS.map((s) => [s.id, s] as const))('%s restated in a file runs byte-identically (run --json), apart from the id', async (id, spec) => {
    const file = fileOf({ ...spec, id: `${id}-restated` });
    const mine = await cli('run', `${id}-restated`, '--variant-file', file, '--json', '--seed', '3', '-s', scenarioFile);
    const builtin = await cli('run', id, '--json', '--seed', '3', '-s', scenarioFile);
    expect(mine.err).toBe('');
    expect(mine.code).toBe(0);
    expect(builtin.code).toBe(0);
    // The id is the only difference (a restated baseline is also its own baseline, by its new id).
    expect(mine.out).toContain(`\n      "id": "${id}-restated",\n`);
    expect(mine.out.replaceAll(`"${id}-restated"`, `"${id}"`)).toBe(builtin.out);
  });

  it('show of a restated variant prints the same sheet under its own id', async () => {
    const file = fileOf({ ...ARM64_SDEI_SPEC, id: 'again' });
    const mine = await cli('show', 'again', '--variant-file', file, '--json');
    const builtin = await cli('show', 'arm64-sdei', '--json');
    expect(mine.code).toBe(0);
    expect({ ...JSON.parse(mine.out), id: 'arm64-sdei' }).toEqual(JSON.parse(builtin.out));
  });

  it('the example file restates arm64-sdei', async () => {
    const r = await cli('show', 'arm64-sdei-restated', '--variant-file', 'examples/variants/arm64-sdei-restated.yaml', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).mechanismIds).toEqual(findVariant('arm64-sdei').mechanismIds);
  });
});

describe('compare and list take variant files', () => {
  it('compare adds the file\'s variant after those named; alone, it comes with its baseline', async () => {
    const file = fileOf(withMechanism(ARM64_SDEI_SPEC, {}, 'mine'));
    const both = await cli('compare', 'x86', '--variant-file', file, '--json', '-s', scenarioFile);
    expect(both.code).toBe(0);
    expect(JSON.parse(both.out).variants.map((v: { id: string }) => v.id)).toEqual(['sync-x86', 'x86', 'sync-arm64', 'mine']);
    const alone = await cli('compare', '--variant-file', file, '--json', '-s', scenarioFile);
    expect(JSON.parse(alone.out).variants.map((v: { id: string }) => v.id)).toEqual(['sync-arm64', 'mine']);
    const named = await cli('compare', 'mine', 'arm64-sdei', '--variant-file', file, '--no-baseline', '--json', '-s', scenarioFile);
    expect(JSON.parse(named.out).variants.map((v: { id: string }) => v.id)).toEqual(['mine', 'arm64-sdei']);
  });

  it('compare with neither a variant nor a file is a usage error', async () => {
    const r = await cli('compare');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
  });

  it('list shows the file\'s variant after the built-ins; two files are two variants', async () => {
    const a = fileOf(withMechanism(ARM64_SDEI_SPEC, {}, 'mine-a'));
    const b = fileOf(withMechanism(ARM64_SDEI_SPEC, {}, 'mine-b'));
    const r = await cli('list', '--json', '--variant-file', a, '--variant-file', b);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).variants.map((v: { id: string }) => v.id).slice(-3)).toEqual(['arm64-s2', 'mine-a', 'mine-b']);
  });
});

describe('a variant file that is wrong exits 1 with one line naming the file and the cause', () => {
  const refused = async (file: string, ...pattern: RegExp[]) => {
    const r = await cli('run', 'mine', '--variant-file', file, '-s', scenarioFile);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toContain(file);
    expect(r.err).not.toMatch(/\n\s+at /);
    for (const p of pattern) expect(r.err).toMatch(p);
    return r.err;
  };

  it('a #PF on arm64: the dimension, and why, and that it exists on x86', async () => {
    await refused(fileOf(withMechanism(ARM64_SDEI_SPEC, { notPresent: 'pf-cr2' })), /notPresent: "pf-cr2" exists on x86 only; arm64 has no #PF/);
  });

  it('a PPI not-present with the token anywhere but shared memory', async () => {
    const spec = VARIANT_SPECS.find((s) => s.id === 'arm64-irq') as VariantSpec;
    await refused(fileOf(withMechanism(spec, { token: 'hypercall-x1' })), /notPresent: "ppi-taken-at-once" cannot go with token "hypercall-x1": a PPI carries no payload, so the token must be in shared memory/);
  });

  it('CR2 only with a #PF', async () => {
    const spec = VARIANT_SPECS.find((s) => s.id === 'x86-halt') as VariantSpec;
    await refused(fileOf(withMechanism(spec, { token: 'cr2' })), /token: "cr2" cannot go with notPresent "synthetic-halt": CR2 carries the token only with a #PF/);
  });

  it('an IRQ acknowledgement without an IRQ page-ready', async () => {
    await refused(fileOf(withMechanism(ARM64_SDEI_SPEC, { ready: 'none', ack: 'irq-ack-hypercall' })), /ack: "irq-ack-hypercall" cannot go with ready "none": IRQ_ACK/);
    const pf = VARIANT_SPECS.find((s) => s.id === 'x86-pf') as VariantSpec;
    await refused(fileOf(withMechanism(pf, { ack: 'apic-vector-ack-msr' })), /ack: "apic-vector-ack-msr" cannot go with ready "pf-cr2-2010"/);
  });

  it('an unknown mechanism id lists the known ones for that dimension and architecture', async () => {
    const err = await refused(fileOf(withMechanism(ARM64_SDEI_SPEC, { wake: 'wake-me-up' })), /wake: unknown mechanism "wake-me-up" on arm64/);
    for (const id of Object.keys((await import('../../arches/arm64/mechanisms.js')).ARM64_CATALOGUE.wake)) expect(err).toContain(id);
  });

  it('an unknown architecture, a missing or mistyped field, an unknown key', async () => {
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', arch: 'riscv' }), /arch: unknown architecture "riscv" \(known: x86, arm64\)/);
    const { wake: _w, ...noWake } = ARM64_SDEI_SPEC.mechanisms;
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', mechanisms: noWake }), /mechanisms\.wake: is missing/);
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', mechanisms: { ...ARM64_SDEI_SPEC.mechanisms, ack: 3 } }), /mechanisms\.ack: must be a mechanism id/);
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', mechanizms: {} }), /unknown key mechanizms/);
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'Mine!' }), /id: must be lower-case/);
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', knobs: { warpDrive: 1 } }), /knobs: warpDrive is not a knob of arm64/);
    await refused(fileOf('- just\n- a list\n'), /a variant must be a mapping/);
  });

  it('a finding, title or origin over several lines, or with control characters (a line break in a finding opened a heading in the Markdown report)', async () => {
    const finding = { id: 'nl', severity: 'concern', text: 'line one\n\n# Injected heading', cite: 'c' };
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', findings: [finding] }), /findings\.0\.text: must be one line: no control characters, line breaks or bidirectional overrides/);
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', findings: [{ ...finding, text: 'one', cite: 'c\nd' }] }), /findings\.0\.cite: must be one line/);
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', title: 'a\u202eb' }), /title: must be one line/);
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', origin: 'a\u001b[31mb' }), /origin: must be one line/);
    // The Arabic letter mark is a bidi mark too, and the byte-order mark is invisible.
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', title: 'a\u061cb' }), /title: must be one line/);
    await refused(fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', title: 'a\ufeffb' }), /title: must be one line/);
  });

  it('knobs named after what every object inherits are refused, __proto__ too (zod dropped it and the file was accepted)', async () => {
    const yaml = (key: string) => `${stringify({ ...ARM64_SDEI_SPEC, id: 'mine' }, { lineWidth: 0 })}knobs: { ${key}: 1 }\n`;
    for (const key of ['__proto__', 'constructor', 'toString']) {
      await refused(fileOf(yaml(key)), new RegExp(`variant mine: knobs: ${key} is not a knob of arm64 or of the mechanisms picked \\(known: `));
    }
    expect(() => composeSpec({ ...ARM64_SDEI_SPEC, id: 'mine', knobs: JSON.parse('{"__proto__": 1}') as Record<string, number> })).toThrow(/knobs: __proto__ is not a knob of arm64/);
  });

  it('a YAML syntax error gives its line', async () => {
    await refused(fileOf('id: mine\narch: [arm64\ntitle: t\n'), /line \d+, column \d+: YAML syntax/);
  });

  it('an id that is a built-in\'s, or another file\'s', async () => {
    await refused(fileOf({ ...ARM64_SDEI_SPEC }), /id: "arm64-sdei" is taken by a built-in variant/);
    const a = fileOf(withMechanism(ARM64_SDEI_SPEC, {}, 'twice'));
    const r = await cli('list', '--variant-file', a, '--variant-file', a);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/id: "twice" is taken by another variant file/);
  });

  it('a file that cannot be read', async () => {
    await refused(join(dir, 'no-such.yaml'), /cannot open: no such file/);
    await refused(dir, /is a directory, not a variant file/);
  });
});

describe('the library composes a spec into a variant runVariant takes', () => {
  it('composeSpec(restated arm64-sdei) runs like arm64-sdei', () => {
    const mine = composeSpec({ ...ARM64_SDEI_SPEC, id: 'lib' });
    const a = runVariant(smallScenario(), mine, { seed: 5 });
    const b = runVariant(smallScenario(), findVariant('arm64-sdei'), { seed: 5 });
    expect(JSON.stringify({ ...a, id: 'arm64-sdei' })).toBe(JSON.stringify(b));
  });

  it('a mix the catalogue allows runs: x86-pf with the 2022 zero-guarded token', () => {
    const pf = VARIANT_SPECS.find((s) => s.id === 'x86-pf') as VariantSpec;
    const r = runVariant(smallScenario(), composeSpec(withMechanism(pf, { token: 'cr2' }, 'x86-pf-guarded')), { seed: 5 });
    expect(r.metrics.apf.notPresentDelivered).toBeGreaterThan(0);
  });
});

describe('variant files through the built binary', () => {
  it('the example restating arm64-sdei runs; the impossible example exits 1 naming the dimension', async () => {
    const ok = await apfLab('run', 'arm64-sdei-restated', '--variant-file', 'examples/variants/arm64-sdei-restated.yaml', '-s', scenarioFile, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).variants[0].id).toBe('arm64-sdei-restated');
    const bad = await apfLab('compare', '--variant-file', 'examples/variants/arm64-pf-impossible.yaml');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^apf-lab: examples\/variants\/arm64-pf-impossible\.yaml: variant arm64-pf: notPresent: .*arm64 has no #PF/);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('a variant file\'s knob values are checked as its own (not blamed on a scenario)', () => {
  it('knobs a picked mechanism cannot work with: ppi 0 with ppi-taken-at-once is the file\'s fault, not the scenario\'s (it was blamed on the scenario, as arm64-irq)', async () => {
    const spec = VARIANT_SPECS.find((s) => s.id === 'arm64-irq') as VariantSpec;
    const file = fileOf({ ...spec, id: 'mine', knobs: { ppi: 0 } });
    for (const argv of [['list'], ['run', 'mine', '--scenario', scenarioFile]]) {
      const r = await cli(...argv, '--variant-file', file);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(/v\d+\.yaml: variant mine: knobs: ppi: 0 \(unset\) leaves the not-present mechanism ppi-taken-at-once no interrupt to raise/);
      expect(r.err).not.toMatch(/scenario|arch\.arm64/);
    }
  });

  it('a PPI out of range in knobs: is refused by list, show and run, naming the file and knobs.ppi', async () => {
    const file = fileOf({ ...ARM64_SDEI_SPEC, id: 'mine', knobs: { ppi: 99 } });
    for (const argv of [['list'], ['show', 'mine'], ['run', 'mine', '--scenario', scenarioFile]]) {
      const r = await cli(...argv, '--variant-file', file);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(/v\d+\.yaml: variant mine: knobs: ppi: 99 is not a PPI INTID/);
      expect(r.err).not.toMatch(/scenario|arch\.arm64/);
    }
  });
});
