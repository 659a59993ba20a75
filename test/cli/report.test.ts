import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../core/compare.js';
import { runCli } from '../../cli/main.js';
import { buildCompareView } from '../../cli/views/compare.js';
import { apfLab } from '../support/cli.js';
import { TINY_SCENARIO_YAML } from '../support/scenarios.js';

/**
 * `apf-lab report`, end to end through the built binary on a short copy of the default scenario
 * (150 ms): the numbers are `compare --json`'s, the Markdown has valid tables and Mermaid blocks,
 * the HTML has every chart with drawn marks and labelled axes, a broken --templates names the template.
 */
const SHORT = 'test/fixtures/report-short.yaml';
const dir = mkdtempSync(join(tmpdir(), 'apf-lab-report-'));
// A name with spaces and parentheses, which a Markdown link destination must not hold bare.
const md = join(dir, 'my (odd) report.md');
const html = join(dir, 'report.html');
let compare: Comparison;
let mdText: string;
let htmlText: string;

beforeAll(async () => {
  // The built binary writes both reports while `compare --json` runs here, in-process, meanwhile.
  const spawned = Promise.all([
    apfLab('report', 'x86', 'arm64-sdei', '-s', SHORT, '--seed', '7', '--out', md),
    apfLab('report', 'x86', 'arm64-sdei', '-s', SHORT, '--seed', '7', '--out', html),
  ]);
  const c = await cli('compare', 'x86', 'arm64-sdei', '-s', SHORT, '--seed', '7', '--json');
  const [m, h] = await spawned;
  expect(c.code).toBe(0);
  expect(m.code, m.stderr).toBe(0);
  expect(h.code, h.stderr).toBe(0);
  compare = JSON.parse(c.stdout) as Comparison;
  mdText = readFileSync(md, 'utf8');
  htmlText = readFileSync(html, 'utf8');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The Markdown table rows (`| a | b |`) of a block of lines, as cells. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
}

describe('apf-lab report', () => {
  it('has the numbers of compare --json for the same scenario and seed, in every cell of the metrics table', () => {
    const metrics = mdText.slice(mdText.indexOf('## Metrics'), mdText.indexOf('## Charts'));
    const rows = tableRows(metrics);
    const view = buildCompareView(compare);
    expect(rows[0]).toEqual(['metric', ...view.columns]);
    const body = rows.slice(2).filter((r) => !r[0].startsWith('**'));
    const expected = view.sections.flatMap((s) => s.rows.map((r) => [r.label.trim(), ...r.cells]));
    expect(body).toEqual(expected);
    // And the HTML's table, cell for cell.
    for (const r of expected) expect(htmlText).toContain(`<tr><td>${escapeHtml(r[0])}</td>${r.slice(1).map((x) => `<td class="num">${escapeHtml(x)}</td>`).join('')}</tr>`);
  });

  it('writes valid Markdown tables, a mermaid sequence diagram per variant and the scenario, seed, version and command', () => {
    // Every table: a header, a delimiter row of the same width, rows of that width.
    const blocks: string[] = [];
    let inTable = false;
    for (const line of mdText.split('\n')) {
      if (line.startsWith('|')) blocks[inTable ? blocks.length - 1 : blocks.length] = `${inTable ? `${blocks[blocks.length - 1]}\n` : ''}${line}`;
      inTable = line.startsWith('|');
    }
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) {
      const rows = tableRows(b);
      expect(rows[1].every((c) => /^-{3,}:?$/.test(c))).toBe(true);
      for (const r of rows) expect(r).toHaveLength(rows[0].length);
    }
    const mermaid = [...mdText.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(mermaid).toHaveLength(compare.variants.length);
    for (const m of mermaid) {
      expect(m.startsWith('sequenceDiagram\n')).toBe(true);
      const lines = m.trim().split('\n').slice(1).map((l) => l.trim());
      // Text may hold Mermaid's entity codes (#35; for #), never a bare # or ; (they end a message).
      for (const l of lines) expect(l.replace(/#\d+;/g, '')).toMatch(/^(participant [TVHS] as [^;#]+|[TVHS]->>[TVHS]: [^;#]+|Note over [TVHS]: [^;#]+)$/);
      expect(lines.filter((l) => l.includes('->>')).length).toBeGreaterThanOrEqual(4);
    }
    // Each design's own steps come from its tracepoints: SDEI dispatch and completion, the acks.
    const sdei = mermaid.find((m) => m.includes('SDEI event 0x40400001 dispatched at entry'));
    expect(sdei, 'arm64-sdei diagram').toBeDefined();
    expect(sdei).toContain('SDEI_EVENT_COMPLETE');
    expect(mermaid.filter((m) => m.includes('page ready acknowledged'))).toHaveLength(2); // x86's MSR write, arm64's IRQ_ACK
    expect(mdText).toContain('| seed | 7 |');
    expect(mdText).toContain(`| apf-lab | ${JSON.parse(readFileSync('package.json', 'utf8')).version} |`);
    expect(mdText).toContain(`apf-lab report x86 arm64-sdei -s ${SHORT} --seed 7 --out '${md}'`);
    // Which one, or a tie at two decimals, is the summary's business (test/cli/report-summary.test.ts).
    expect(mdText).toMatch(/On \*\*work\*\*, ((x86|arm64-sdei) does best with [\d.]+ M units, [\d.]+× the work of its architecture's no-APF baseline sync-|x86 and arm64-sdei tie at [\d.]+× their baselines)/);
    const links = [...mdText.matchAll(/!\[[^\]]*\]\(([^)]*)\)/g)].map((m) => m[1]!);
    expect(links.map(decodeURIComponent)).toEqual(['my (odd) report.time.svg', 'my (odd) report.latency.svg', 'my (odd) report.work.svg']);
    for (const f of links) {
      expect(f).toMatch(/^[^\s()<>]+$/);
      expect(readFileSync(join(dir, decodeURIComponent(f)), 'utf8')).toMatch(/^<\?xml[^]*<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    }
  });

  it('inlines every chart in the HTML with drawn marks and labelled axes, and fetches nothing', () => {
    for (const id of ['chart-time', 'chart-latency', 'chart-work']) {
      const svg = new RegExp(`<svg [^>]*id="${id}"[^]*?</svg>`).exec(htmlText)?.[0] ?? '';
      expect(svg, id).not.toBe('');
      expect(svg).toMatch(id === 'chart-time' ? /<rect [^>]*width="[1-9]/ : /<path d="M[\d.]+,[\d.]+[LHV]/);
      expect(svg).toMatch(/class="axis-label x-label"[^>]*>[^<]+\S<\/text>/);
      expect(svg).toMatch(/class="axis-label y-label"[^>]*>[^<]+\S<\/text>/);
    }
    expect(htmlText).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="sequence"');
    expect(htmlText).toContain('@media print');
    expect(htmlText).toContain('prefers-color-scheme: dark');
    expect(htmlText).not.toMatch(/<(script|link|img)\b|src=|url\((?!#)/);
  });

  it('renders with a copy of templates/ (--templates), and names a missing partial in one line, exit 1', async () => {
    const copy = join(dir, 'templates');
    cpSync('templates', copy, { recursive: true });
    const tiny = join(dir, 'tiny.yaml');
    writeFileSync(tiny, TINY_SCENARIO_YAML);
    const ok = await cli('report', 'x86', '-s', tiny, '--templates', copy, '--out', join(dir, 'copy.html'));
    expect(ok.code, ok.stderr).toBe(0);
    unlinkSync(join(copy, 'html', 'partials', 'metrics.html.hbs'));
    const out = join(dir, 'broken.html');
    const bad = await cli('report', 'x86', '-s', tiny, '--templates', copy, '--out', out);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/template html\/report\.html\.hbs .*partial metrics could not be found/);
    expect(existsSync(out)).toBe(false);
  });

  it('names the partial, with its own line, where an error is inside it (the template that called it was named)', async () => {
    const copy = join(dir, 'templates-partial');
    cpSync('templates', copy, { recursive: true });
    const summary = join(copy, 'md', 'partials', 'summary.md.hbs');
    writeFileSync(summary, `one\ntwo\n{{nosuch.field}}\n${readFileSync(summary, 'utf8')}`);
    const out = join(dir, 'partial.md');
    const bad = await cli('report', 'x86', '-s', SHORT, '--templates', copy, '--out', out);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`apf-lab: template md/partials/summary.md.hbs (in ${copy}, a partial of md/report.md.hbs): "field" not defined - 3:2\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('names the caller for an error in the block of {{#> partial}}…{{/partial}}, drops "in [object Object]", and refuses a helper without its value', async () => {
    const copy = join(dir, 'templates-block');
    const report = join(copy, 'md', 'report.md.hbs');
    const summary = join(copy, 'md', 'partials', 'summary.md.hbs');
    const metrics = join(copy, 'md', 'partials', 'metrics.md.hbs');
    const render = async (edit: () => void) => {
      rmSync(copy, { recursive: true, force: true });
      cpSync('templates', copy, { recursive: true });
      edit();
      return cli('report', 'x86', '-s', SHORT, '--templates', copy, '--out', join(dir, 'block.md'));
    };
    // The block's line 18 is report.md.hbs's: it was named as summary.md.hbs's.
    const block = await render(() => {
      writeFileSync(report, readFileSync(report, 'utf8').replace('{{> summary summary}}', '{{#> summary summary}}\nok\n{{nosuch}}\n{{/summary}}'));
      writeFileSync(summary, `{{> @partial-block}}${readFileSync(summary, 'utf8')}`);
    });
    expect(block.code).toBe(1);
    expect(block.stderr).toBe(`apf-lab: template md/report.md.hbs (in ${copy}): "nosuch" not defined - 18:2\n`);
    const context = await render(() => writeFileSync(metrics, `{{nosuch}}${readFileSync(metrics, 'utf8')}`));
    expect(context.stderr).toBe(`apf-lab: template md/partials/metrics.md.hbs (in ${copy}, a partial of md/report.md.hbs): "nosuch" not defined - 1:2\n`);
    // {{mdCell}} wrote "[object Object]", exit 0.
    const helper = await render(() => writeFileSync(summary, `{{mdCell}}${readFileSync(summary, 'utf8')}`));
    expect(helper.code).toBe(1);
    expect(helper.stderr).toBe(`apf-lab: template md/partials/summary.md.hbs (in ${copy}, a partial of md/report.md.hbs): mdCell takes one value ({{mdCell x}}), got 0\n`);
  });

  it('refuses a template that is not a regular file, or is over 1 MiB, in one line, exit 1 (a link to /dev/zero aborted with std::bad_alloc, exit 134)', async () => {
    const copy = join(dir, 'templates-hostile');
    cpSync('templates', copy, { recursive: true });
    const partial = join(copy, 'md', 'partials', 'zero.md.hbs');
    const out = join(dir, 'hostile.md');
    symlinkSync('/dev/zero', partial);
    const zero = await cli('report', 'x86', '-s', SHORT, '--templates', copy, '--out', out);
    expect(zero.stderr).toBe(`apf-lab: template md/partials/zero.md.hbs (in ${copy}): not a regular file (a device, pipe or socket)\n`);
    expect(zero.code).toBe(1);
    unlinkSync(partial);
    writeFileSync(partial, 'a'.repeat(1024 * 1024 + 1));
    const big = await cli('report', 'x86', '-s', SHORT, '--templates', copy, '--out', out);
    expect(big.stderr).toBe(`apf-lab: ${partial}: larger than the 1 MiB limit for a template file (README "Limits")\n`);
    expect(big.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses --json (usage, exit 2), which its help no longer lists: it was accepted and ignored', async () => {
    const out = join(dir, 'json.md');
    const r = await cli('report', 'x86', '-s', SHORT, '--out', out, '--json');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('apf-lab: report writes a document (--out FILE.md or FILE.html), not JSON: `apf-lab compare … --json` prints its numbers as JSON');
    expect(r.stderr).not.toContain('--json ');
    expect(existsSync(out)).toBe(false);
    expect((await cli('report', '--help')).stdout).not.toContain('--json');
  });

  it('refuses an --out that is neither .md nor .html (usage, exit 2)', async () => {
    const r = await cli('report', 'x86', '--out', join(dir, 'report.pdf'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out must end in .md or .html');
  });

  it('says the file name is empty where --out is only an extension (it said "must end in .md or .html, got \".md\"")', async () => {
    const r = await cli('report', 'x86', '--out', join(dir, '.md'));
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`apf-lab: --out ${JSON.stringify(join(dir, '.md'))}: the file name before .md is empty: give FILE.md`);
  });

  it('an unknown option is a usage error that writes no file (yargs would run the handler after reporting it)', async () => {
    const out = join(dir, 'bogus.md');
    const r = await cli('report', 'x86', '-s', SHORT, '--out', out, '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('apf-lab: Unknown argument: --bogus');
    expect(existsSync(out)).toBe(false);
  });

  it('says there is no fault latency where no fault completed, with no empty latency chart in Markdown or HTML (hostile finding)', async () => {
    // The host holds the whole guest and the task only computes: nothing faults.
    const scenario = join(dir, 'no-fault.yaml');
    writeFileSync(scenario, TINY_SCENARIO_YAML);
    const say = 'No fault completed in this run, in any variant, so there is no fault-latency chart.';
    const out = join(dir, 'no-fault.md');
    const m = await cli('report', 'x86', '-s', scenario, '--out', out);
    expect(m.code, m.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(`\n${say}\n`);
    expect(text).not.toContain('latency.svg');
    expect(existsSync(join(dir, 'no-fault.latency.svg'))).toBe(false);
    expect(m.stdout).toBe(`wrote ${out}, ${join(dir, 'no-fault.time.svg')}, ${join(dir, 'no-fault.work.svg')}\n`);
    const html = join(dir, 'no-fault.html');
    expect((await cli('report', 'x86', '-s', scenario, '--out', html)).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain(`<p>${say}</p>`);
    expect(page).not.toContain('chart-latency');
    expect(page).toContain('chart-work');
  });

  it('says what it wrote on one line, a newline in the file name escaped as errors escape it (it split the line)', async () => {
    const out = join(dir, 'e\nf.md');
    const r = await cli('report', 'x86', '-s', SHORT, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toContain(`wrote ${dir}/e\\nf.md, `);
    expect(existsSync(out)).toBe(true);
  });
});

/** The CLI in-process (no process start-up): exit code, stdout, stderr. */
async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/=/g, '&#x3D;').replace(/`/g, '&#x60;');
}

describe('the report carries the protocol check (apf-lab check at its default bounds)', () => {
  it('x86-pf: the 2010 leak with its shortest order, and the summary does not call x86-pf clean', async () => {
    const out = join(dir, 'check.md');
    const r = await cli('report', 'x86-pf', '-s', SHORT, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    const section = text.slice(text.indexOf('## Protocol check'), text.indexOf('## Metrics'));
    expect(section).toContain('### sync-x86');
    expect(section).toContain("**an entry left in the guest's sleep table: in ");
    expect(section).toContain('1. vCPU 0 touches gfn 0x100 (kernel mode)');
    expect(section).toContain('then at rest (every read completes, the guest is back in user mode with interrupts on, every vCPU enters):\n     vCPU 0  kvm_async_pf_completed');
    expect(section).toContain('     vCPU 0  kvm_async_pf_ready: token 0 gva 0x100000');
    expect(text).toContain('sync-x86 had no unsafe injection, no invariant violation, no blocker finding and nothing wrong in the protocol check; x86-pf: 1 kind of wrong in the protocol check.');
  });

  it('x86 and arm64-sdei: each walked, nothing wrong, in Markdown and HTML', () => {
    // The same words as `apf-lab check` prints (cli/views/check.ts), once per variant and baseline.
    const clean = "Nothing wrong: DESIGN.md's invariants held at every step, and at rest no task slept, no vCPU waited, no work or event was left and the guest's sleep tables were empty.";
    for (const [text, sentence] of [[mdText, clean], [htmlText, escapeHtml(clean)]]) {
      expect(text).toMatch(/Protocol check/);
      expect(text.split(sentence)).toHaveLength(5);
    }
  });
});
