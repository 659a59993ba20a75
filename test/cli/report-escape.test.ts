import { describe, expect, it } from 'vitest';
import { mdCode } from '../../cli/report/documents.js';
import { inertHtml } from '../../cli/report/inert-html.js';
import { scenarioHeader } from '../../cli/views/compare.js';
import { scenarioSchema } from '../../core/scenario/schema.js';
import { smallScenario } from '../support/scenarios.js';

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
});
