import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ARM64_SDEI_SPEC } from '../../arches/arm64/variant.js';
import { VARIANTS, findVariant } from '../../arches/registry.js';
import { cliInProcess as cli } from '../support/cli-in-process.js';
import { renderText } from '../../cli/render.js';
import { buildShowView } from '../../cli/views/show.js';
import type { VariantSheet } from '../../cli/views/variant-sheet.js';
import type { Finding } from '../../core/backend.js';

/** The findings a run with no overrides reports: read from a backend built with the defaults. */
function defaultFindings(id: string): readonly Finding[] {
  const v = findVariant(id);
  return v.createBackend({ costOverrides: v.defaultCosts, knobs: v.knobs, guestMemoryBytes: 2 ** 31 }).findings;
}

const SHEET_KEYS = ['id', 'arch', 'baseline', 'baselineId', 'title', 'origin', 'mechanisms', 'mechanismIds', 'costs', 'knobs', 'findings', 'codeLayout'];
const SUMMARY_KEYS = ['id', 'arch', 'baseline', 'baselineId', 'title', 'origin', 'mechanisms', 'mechanismIds', 'findings'];
const DIMENSIONS = ['enable', 'notPresent', 'ready', 'token', 'eligibility', 'wake', 'ack'];

describe('text from a variant file never reaches the terminal raw', () => {
  it("a title with ESC and a newline, or a finding with \\e[2J or U+202E, is refused by show and list in one line naming the field (it was shown escaped; the Markdown report took it raw)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-lab-show-'));
    try {
      const file = join(dir, 'evil.yaml');
      // U+202E reverses what follows on screen (Trojan Source, CVE-2021-42574).
      const finding = { id: 'f', severity: 'note', text: '\x1b[2Jwiped\u202eesrever', cite: 'c\x9b1m' };
      const cases: [object, string][] = [
        [{ ...ARM64_SDEI_SPEC, id: 'evil', title: 'evil\x1b[31mRED\x1b[0m\nFAKE LINE' }, 'title'],
        [{ ...ARM64_SDEI_SPEC, id: 'evil', findings: [finding] }, 'findings.0.text'],
        [{ ...ARM64_SDEI_SPEC, id: 'evil', findings: [{ ...finding, text: 'plain' }] }, 'findings.0.cite'],
      ];
      for (const [spec, field] of cases) {
        writeFileSync(file, stringify(spec));
        for (const argv of [['show', 'evil'], ['list']]) {
          const r = await cli(...argv, '--variant-file', file);
          expect(r.code).toBe(1);
          expect(r.out).toBe('');
          expect(r.err).toContain(`${field}: must be one line: no control characters, line breaks or bidirectional overrides`);
          expect(r.err.trimEnd().split('\n')).toHaveLength(1);
          expect(r.err).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('apf-lab show <variant> (in-process)', () => {
  it('prints the mechanism sheet, baseline, default costs and knobs, and every finding with its citation', async () => {
    // Arrange
    const v = findVariant('arm64-sdei');
    const findings = defaultFindings('arm64-sdei');
    // Act
    const r = await cli('show', 'arm64-sdei');
    // Assert
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain(`  arm64-sdei  ${v.title}\n`);
    expect(r.out).toContain(v.origin);
    for (const [dimension, mechanism] of Object.entries(v.mechanisms)) expect(r.out).toContain(`${dimension.padEnd(12)}${mechanism}\n`);
    expect(r.out).toMatch(/^ {2}arch {8}arm64$/m);
    expect(r.out).toMatch(/^ {2}baseline {4}compared with sync-arm64, the no-APF baseline of arm64$/m);
    for (const [key, value] of Object.entries(v.defaultCosts)) expect(r.out).toMatch(new RegExp(`^  ${key} +${value}$`, 'm'));
    for (const [key, value] of Object.entries(v.knobs)) expect(r.out).toMatch(new RegExp(`^  ${key} +${value}$`, 'm'));
    // All of them, notes included (compare leaves the notes out).
    expect(findings.map((f) => f.severity)).toContain('note');
    expect(r.out).toContain('Findings: 1 blocker, 3 concerns, 2 notes\n');
    for (const f of findings) {
      expect(r.out).toContain(`  ${f.severity.padEnd(9)}${f.id}\n`);
      expect(r.out).toContain(`           ${f.text}\n`);
      expect(r.out).toContain(`           (${f.cite})\n`);
    }
    expect(r.out).not.toMatch(/undefined|\[object Object\]/);
  });

  it('names a baseline as such, and says when a variant has no findings', async () => {
    const r = await cli('show', 'sync-x86');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}baseline {4}this is the no-APF baseline of x86: comparisons measure the x86 variants against it$/m);
    expect(r.out).toContain('Findings: none\n');
  });

  it('prints every finding of every variant, in the backend\'s order', async () => {
    for (const v of VARIANTS) {
      const r = await cli('show', v.id);
      expect(r.code, v.id).toBe(0);
      const cites = defaultFindings(v.id).map((f) => r.out.indexOf(`(${f.cite})\n`));
      expect(cites.every((i) => i > 0), v.id).toBe(true);
      expect([...cites].sort((a, b) => a - b), v.id).toEqual(cites);
    }
  });

  it('--json prints the same as one object', async () => {
    const r = await cli('show', 'x86-pf', '--json');
    expect(r.code).toBe(0);
    const sheet = JSON.parse(r.out) as VariantSheet;
    const v = findVariant('x86-pf');
    expect(Object.keys(sheet)).toEqual(SHEET_KEYS);
    expect(sheet).toEqual({
      id: 'x86-pf',
      arch: 'x86',
      baseline: false,
      baselineId: 'sync-x86',
      title: v.title,
      origin: v.origin,
      mechanisms: v.mechanisms,
      mechanismIds: v.mechanismIds,
      costs: v.defaultCosts,
      knobs: v.knobs,
      findings: defaultFindings('x86-pf'),
      codeLayout: sheet.codeLayout,
    });
    expect(sheet.codeLayout.source).toMatch(/x86/);
    // The text view says the same things.
    const text = (await cli('show', 'x86-pf')).out;
    for (const f of sheet.findings) expect(text).toContain(f.cite);
  });

  it('is deterministic', async () => {
    expect((await cli('show', 'arm64-irq')).out).toBe((await cli('show', 'arm64-irq')).out);
    expect((await cli('show', 'arm64-irq', '--json')).out).toBe((await cli('show', 'arm64-irq', '--json')).out);
  });

  it('an unknown variant is bad input (exit 1) naming the known ones; nothing on stdout', async () => {
    for (const id of ['nope', 'sync']) {
      const r = await cli('show', id);
      expect(r.code, id).toBe(1);
      expect(r.out, id).toBe('');
      expect(r.err.split('\n'), id).toHaveLength(2);
      expect(r.err, id).toContain('sync-x86');
    }
    expect((await cli('show', 'nope')).err).toBe(`apf-lab: unknown variant "nope" (known: ${VARIANTS.map((v) => v.id).join(', ')})\n`);
  });

  it('a missing or extra argument, or a flag with a value, is a usage error (exit 2); nothing on stdout', async () => {
    for (const argv of [['show'], ['show', ''], ['show', 'x86', 'x86-pf'], ['show', 'x86', '--json=yes'], ['show', 'x86', '--nope']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out, argv.join(' ')).toBe('');
      expect(r.err.startsWith('apf-lab: '), argv.join(' ')).toBe(true);
    }
    expect((await cli('show')).err).toMatch(/^apf-lab: name a variant \(see `apf-lab list`\)\n/);
  });

  it('is listed in the help', async () => {
    const r = await cli('--help');
    expect(r.out).toMatch(/apf-lab show <variant> +print a variant's mechanisms, costs, knobs and review findings/);
  });
});

describe('apf-lab list --json (in-process)', () => {
  it('gives variants[] with id, arch, baseline, title, origin, mechanisms and findings, and keeps scenarios', async () => {
    const r = await cli('list', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { variants: Omit<VariantSheet, 'costs' | 'knobs'>[]; scenarios: string[] };
    expect(Object.keys(doc)).toEqual(['variants', 'scenarios']);
    expect(doc.scenarios).toEqual(expect.arrayContaining(['overcommit', 'ipi-mix']));
    expect(doc.variants.map((v) => v.id)).toEqual(VARIANTS.map((v) => v.id));
    for (const entry of doc.variants) {
      expect(Object.keys(entry), entry.id).toEqual(SUMMARY_KEYS);
      expect(Object.keys(entry.mechanisms), entry.id).toEqual(DIMENSIONS);
      expect(entry.findings, entry.id).toEqual(defaultFindings(entry.id));
      // The same as `show --json` gives, without the cost table and knobs.
      const { costs: _c, knobs: _k, codeLayout: _l, ...shown } = JSON.parse((await cli('show', entry.id, '--json')).out) as VariantSheet;
      expect(entry, entry.id).toEqual(shown);
    }
    const baselines = doc.variants.filter((v) => v.baseline);
    expect(baselines.map((v) => v.id)).toEqual(['sync-x86', 'sync-arm64']);
    for (const v of doc.variants) expect(v.baselineId, v.id).toBe(v.baseline ? null : `sync-${v.arch}`);
    expect(doc.variants.find((v) => v.id === 'arm64-sdei')!.findings.some((f) => f.severity === 'blocker')).toBe(true);
  });
});

describe('templates/text/show.text.hbs', () => {
  it('renders from a fixture sheet, with empty tables and no findings', () => {
    const sheet: VariantSheet = {
      id: 'v',
      arch: 'a',
      baseline: false,
      baselineId: null,
      title: 't',
      origin: 'o',
      mechanisms: { enable: 'e', notPresent: 'n', ready: 'r', token: 'k', eligibility: 'l', wake: 'w', ack: 'c' },
      mechanismIds: null,
      costs: {},
      knobs: {},
      findings: [],
      codeLayout: { source: 's', regions: [], syncFromUser: [] },
    };
    const text = renderText('show', buildShowView(sheet));
    expect(text).toContain('  v           t\n');
    expect(text).toContain('              ack         c\n');
    expect(text).toContain('  baseline    no baseline on a\n');
    expect(text).toContain('\n  none: not built from a variant spec\n');
    expect(text).toMatch(/Costs \(.*costs\.a\)\n\n {2}none\n/);
    expect(text).toMatch(/Knobs \(.*arch\.a\)\n\n {2}none\n/);
    expect(text.endsWith('Findings: none\n')).toBe(true);
  });

  it('refuses a view-model with a missing field (strict mode)', () => {
    const { findingsTitle: _t, ...partial } = buildShowView(sheetOf('x86'));
    expect(() => renderText('show', partial)).toThrow(/"findingsTitle" not defined/);
  });
});

function sheetOf(id: string): VariantSheet {
  const v = findVariant(id);
  return {
    id: v.id,
    arch: v.arch,
    baseline: v.baseline === true,
    baselineId: null,
    title: v.title,
    origin: v.origin,
    mechanisms: v.mechanisms,
    mechanismIds: v.mechanismIds ?? null,
    costs: v.defaultCosts,
    knobs: v.knobs,
    findings: defaultFindings(id),
    codeLayout: { source: 's', regions: [], syncFromUser: [] },
  };
}

describe('show: the code layout (DESIGN.md "guest PC and code layout")', () => {
  it('prints the regions and the phases of an exception, with what RFCv2\'s range leaves out', async () => {
    const r = await cli('show', 'arm64-dabt');
    expect(r.out).toMatch(/\n {2}vectors\s+0x0\s+2,048 B\s+vectors \(VBAR_EL1, 16 × 0x80\)\n/);
    expect(r.out).toMatch(/\n {4}vectors\+0x400\s+vectors\s+0x400\s+\d+ ns\s+cannot take an exception\n/);
    expect(r.out).toMatch(/el0t_64_sync_handler \(entry-common\.c\)\s+fault\s+0x10000/);
    const doc = JSON.parse((await cli('show', 'x86', '--json')).out);
    expect(doc.codeLayout.syncFromUser.map((p: { region: string }) => p.region)).toEqual(['vectors', 'entry', 'fault', 'entry']);
  });
});
