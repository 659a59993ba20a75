import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';

/**
 * Speed work must not change a result: `--json` of every built-in scenario (the long experiments
 * shortened) and a few single runs hash to what test/support/capture-json-identity.mjs recorded
 * from the built CLI before the change (test/fixtures/json-identity.json). Run in-process here.
 */
interface IdentityCase {
  readonly argv: readonly string[];
  /** A shortened copy of a built-in scenario that `argv` names by `file`. */
  readonly scenario?: { readonly builtin: string; readonly durationMs: number; readonly file: string };
  readonly sha256: string;
}

const { cases } = JSON.parse(readFileSync('test/fixtures/json-identity.json', 'utf8')) as { cases: IdentityCase[] };

describe('--json is byte-identical to the captured reference', () => {
  for (const c of cases) {
    it(c.argv.filter((a) => a !== '--json').join(' '), async () => {
      if (c.scenario) writeShortened(c.scenario);
      let out = '';
      const code = await runCli(c.argv, { out: (t) => void (out += t), err: () => {} });
      expect(code).toBe(0);
      expect(createHash('sha256').update(out).digest('hex')).toBe(c.sha256);
    });
  }
});

/** The same copy the capture script writes: the built-in file with its `durationMs` line replaced. */
function writeShortened({ builtin, durationMs, file }: NonNullable<IdentityCase['scenario']>): void {
  const text = readFileSync(`scenarios/${builtin}.yaml`, 'utf8').replace(/^durationMs: \d+$/m, `durationMs: ${durationMs}`);
  mkdirSync('test-artifacts/identity', { recursive: true });
  writeFileSync(file, text);
}
