import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { mdCode, mdText } from '../../cli/report/documents.js';
import { inertHtml } from '../../cli/report/inert-html.js';
import { scenarioHeader } from '../../cli/views/compare.js';
import { scenarioSchema } from '../../core/scenario/schema.js';
import { smallScenario, TINY_SCENARIO_YAML } from '../support/scenarios.js';

describe("the user's text in documents and on the terminal", () => {
  it('Markdown: a tag in a scenario name or description is written &lt;, outside code only', () => {
    const md = ['| scenario | <b>n</b> |', '> scenario x: </title><script>alert(3)</script>', 'a < b and `<code>` stay', '```mermaid', 'A->>B: <kept>', '```', '<!-- c -->'].join('\n');
    expect(inertHtml(md)).toBe(
      ['| scenario | &lt;b>n&lt;/b> |', '> scenario x: &lt;/title>&lt;script>alert(3)&lt;/script>', 'a < b and `<code>` stay', '```mermaid', 'A->>B: <kept>', '```', '&lt;!-- c -->'].join('\n'),
    );
  });

  it('Markdown: code is what CommonMark takes for code, not every other piece between backticks', () => {
    const cases: [string, string][] = [
      // A lone backtick is literal text: what follows it is not code.
      ['- one ` backtick then <img src=x onerror=alert(9)> raw — _<a href=x>_', '- one ` backtick then &lt;img src=x onerror=alert(9)> raw — _&lt;a href=x>_'],
      // A double-backtick span holds a single backtick and ends at the next double run only.
      ['`` a ` <b> `` then <i> and `<c>`', '`` a ` <b> `` then &lt;i> and `<c>`'],
      // An escaped backtick opens nothing (a backslash is literal inside code).
      ['\\`<img>` and \\`x<b>`', '\\`&lt;img>` and \\`x&lt;b>`'],
      // A span never crosses a table cell.
      ['| a ` | <img> ` |', '| a ` | &lt;img> ` |'],
    ];
    for (const [md, inert] of cases) expect(inertHtml(md)).toBe(inert);
    // A run left open may close on a later line of its paragraph: nothing after it is taken for code.
    expect(inertHtml('a `\n` <img> `\n\n`<ok>`')).toBe('a `\n` &lt;img> `\n\n`<ok>`');
    // A fence closes only with as many of its character, and "```a```" is a code span, not a fence.
    expect(inertHtml('````\n```x\n<kept>\n````\n<b>')).toBe('````\n```x\n<kept>\n````\n&lt;b>');
    expect(inertHtml('```a```\n<b>')).toBe('```a```\n&lt;b>');
  });

  it('Markdown: a code span of any text takes a longer fence than the backticks in it', () => {
    expect(mdCode('apf-lab report x --out a.md')).toBe('`apf-lab report x --out a.md`');
    expect(mdCode('apf-lab report x --out a`b``.md')).toBe('```apf-lab report x --out a`b``.md```');
    expect(mdCode('`x')).toBe('`` `x ``');
    expect(inertHtml(`| command | ${mdCode('a`<b>')} | <i> |`)).toBe('| command | ``a`<b>`` | &lt;i> |');
  });

  it('terminal: control characters of a scenario name or description are shown escaped', () => {
    // The schema refuses such a name (test/core/scenario/load.test.ts); an object built without it,
    // as a library caller may, is still shown escaped.
    const s = { ...smallScenario(), name: 'a\u0000b\u001b[31m', description: 'x\ny' };
    expect(scenarioSchema.safeParse(s).success).toBe(false);
    const [line] = scenarioHeader(s, 1);
    expect(line).toBe('scenario a\\x00b\\x1b[31m, seed 1: x\\ny');
  });

  it("Markdown: the user's text is escaped to show as written: no link, emphasis, entity or tag", () => {
    // A finding's cite was a javascript: link; `\\|`, an escaped backtick and `&lt;` lost their form.
    expect(mdText('[click](javascript:alert(4)) <javascript:alert(5)>')).toBe('\\[click\\](javascript:alert(4)) &lt;javascript:alert(5)\\>');
    expect(mdText('a | pipe \\| and \\` &lt; &amp; *em* _u_ ~~s~~ !x #h')).toBe('a \\| pipe \\\\\\| and \\\\\\` &amp;lt; &amp;amp; \\*em\\* \\_u\\_ \\~\\~s\\~\\~ \\!x \\#h');
    expect(mdText('`` double ``')).toBe('\\`\\` double \\`\\`');
    expect(mdText('EPT_VIOLATION _a_b_ c_')).toBe('EPT_VIOLATION \\_a_b\\_ c\\_');
    // What would begin a list or an underline at the start of a line.
    const starts = ['- a', '+ a', '-', '---', '= =', '12. a', '3) a', '1.5 ms', '1.00×', '-1', 'x - y'];
    expect(starts.map(mdText)).toEqual(['\\- a', '\\+ a', '\\-', '\\---', '\\= =', '12\\. a', '3\\) a', '1.5 ms', '1.00×', '-1', 'x - y']);
    // A newline would end a list item or a table cell: it is shown escaped.
    expect(mdText('a\nb')).toBe('a\\\\nb');
    // Nothing is left for inertHtml() to rewrite.
    const text = 'x <b>&amp;</b> `<i>`';
    expect(inertHtml(mdText(text))).toBe(mdText(text));
  });

  it('Markdown: a command with a newline stays one code span on one line', () => {
    // A newline in a file name made "Regenerate with" a fenced block that swallowed the document.
    expect(mdCode('apf-lab report x --out "a\nb.md"')).toBe('`apf-lab report x --out "a\\nb.md"`');
  });

  it("Markdown report: a finding's text and cite from a variant file are written with mdText", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-lab-escape-'));
    try {
      const variant = ['id: evil', 'arch: x86', 'title: t', 'origin: o', 'mechanisms: { enable: msr-pv-en-int, notPresent: pf-cr2, ready: apic-vector, token: cr2-unguarded, eligibility: user-mode-if, wake: irq-handler, ack: apic-vector-ack-msr }'];
      const finding = ['findings:', '  - { id: f1, severity: note, text: "*em* &lt;", cite: "[click](javascript:alert(4))" }'];
      writeFileSync(join(dir, 'v.yaml'), [...variant, ...finding].join('\n'));
      writeFileSync(join(dir, 's.yaml'), TINY_SCENARIO_YAML);
      const code = await runCli(['report', 'evil', '--variant-file', join(dir, 'v.yaml'), '-s', join(dir, 's.yaml'), '--out', join(dir, 'r.md')], { out: () => {}, err: () => {} });
      expect(code).toBe(0);
      expect(readFileSync(join(dir, 'r.md'), 'utf8')).toContain('- **note**: \\*em\\* &amp;lt; — _\\[click\\](javascript:alert(4))_');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
