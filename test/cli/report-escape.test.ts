import { describe, expect, it } from 'vitest';
import { inertHtml } from '../../cli/report/documents.js';
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

  it('terminal: control characters of a scenario name or description are shown escaped', () => {
    // The schema refuses such a name (test/core/scenario/load.test.ts); an object built without it,
    // as a library caller may, is still shown escaped.
    const s = { ...smallScenario(), name: 'a\u0000b\u001b[31m', description: 'x\ny' };
    expect(scenarioSchema.safeParse(s).success).toBe(false);
    const [line] = scenarioHeader(s, 1);
    expect(line).toBe('scenario a\\x00b\\x1b[31m, seed 1: x\\ny');
  });
});
