import { describe, expect, it } from 'vitest';
import { apfLab } from '../support/cli.js';

interface FindingJson {
  id: string;
  severity: string;
  text: string;
  cite: string;
}

describe('apf-lab show and list --json (built binary)', () => {
  it('show arm64-sdei prints the mechanisms and every finding with its citation', async () => {
    const r = await apfLab('show', 'arm64-sdei');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('notPresent  SDEI event 0x40400001');
    expect(r.stdout).toMatch(/^ {2}baseline {4}compared with sync-arm64/m);
    expect(r.stdout).toMatch(/^ {2}sdeiDispatchCycles +\d+$/m);
    expect(r.stdout).toMatch(/^ {2}d1134FaultFirstPercent +0$/m);
    // The NAK and the review points, each with who, when and the message id (facts/arm64.md).
    expect(r.stdout).toContain('  blocker  sdei-not-merged\n');
    expect(r.stdout).toContain('(Marc Zyngier 2022-06-24, 87iloq2oke.wl-maz@kernel.org; Gavin Shan 2023-10-06, 131babfc-3450-68bd-f35b-d126a36acb0c@redhat.com)');
    expect(r.stdout).toContain('(James Morse 2020-10-23, 4dcaea7a-a4d1-9bf3-eb95-ea9d8826ad99@arm.com)');
    expect(r.stdout).toContain('  note     smccc-number-taken\n');
  });

  it('show --json is one object with the sheet, and says the same as the text', async () => {
    const [text, json] = await Promise.all([apfLab('show', 'arm64-sdei'), apfLab('show', 'arm64-sdei', '--json')]);
    expect(json.code).toBe(0);
    const sheet = JSON.parse(json.stdout) as { findings: FindingJson[] } & Record<string, unknown>;
    expect(Object.keys(sheet)).toEqual(['id', 'arch', 'baseline', 'baselineId', 'title', 'origin', 'mechanisms', 'mechanismIds', 'costs', 'knobs', 'findings', 'codeLayout']);
    expect(sheet).toMatchObject({ id: 'arm64-sdei', arch: 'arm64', baseline: false, baselineId: 'sync-arm64' });
    expect(sheet.findings.length).toBe(6);
    for (const f of sheet.findings) {
      expect(Object.keys(f)).toEqual(['id', 'severity', 'text', 'cite']);
      expect(text.stdout).toContain(`(${f.cite})\n`);
      expect(text.stdout).toContain(`${f.text}\n`);
    }
  });

  it('list --json gives variants[] with findings and keeps scenarios', async () => {
    const r = await apfLab('list', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { variants: ({ findings: FindingJson[] } & Record<string, unknown>)[]; scenarios: string[] };
    expect(doc.scenarios).toContain('overcommit');
    expect(doc.variants.map((v) => v.id)).toContain('arm64-sdei');
    for (const v of doc.variants) {
      expect(Object.keys(v)).toEqual(['id', 'arch', 'baseline', 'baselineId', 'title', 'origin', 'mechanisms', 'mechanismIds', 'findings']);
      for (const f of v.findings) expect(f.cite.length, `${String(v.id)} ${f.id}`).toBeGreaterThan(0);
    }
    const sdei = doc.variants.find((v) => v.id === 'arm64-sdei')!;
    expect(sdei.findings.map((f) => f.id)).toContain('sdei-not-merged');
  });

  it('exits 1 on an unknown variant and 2 with no variant; one line on stderr, nothing on stdout', async () => {
    const bad = await apfLab('show', 'arm64-iq');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^apf-lab: unknown variant "arm64-iq" \(known: sync-x86, .*arm64-sdei.*\)\n$/);
    const missing = await apfLab('show');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.split('\n')[0]).toBe('apf-lab: name a variant (see `apf-lab list`)');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});
