#!/usr/bin/env node
/**
 * Captures the reference for test/core/json-identity.test.ts: runs the built CLI (`npm run build`
 * first) on every built-in scenario and a few single runs, and writes the SHA-256 of each `--json`
 * output with its exact argv to test/fixtures/json-identity.json.
 *
 * Run it only on a commit whose output is the reference (before a change that must not alter
 * results); re-capturing after the change would hide what the test is there to catch.
 *
 * The long experiments run shortened (`durationMs` replaced in a copy under test-artifacts/, which
 * the test writes again the same way), so that the whole check stays near 20 s.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const ALL = ['x86', 'x86-halt', 'x86-pf', 'x86-ve', 'arm64-sdei', 'arm64-irq', 'arm64-dabt', 'arm64-impdef', 'arm64-pvvec', 'arm64-s2'];

/** Built-in scenario → the duration it runs for here (ms): each compare of all variants takes about a second. */
const SHORTENED = {
  'gavin-rfcv2-calc': 400,
  'gavin-rfcv2-memonly': 800,
  'gavin-v1-calc-thpoff': 3000,
  'gavin-v1-calc-thpon': 10000,
  'gavin-v1-kbuild': 20,
  'gavin-v1-nocalc-thpoff': 1500,
  'gavin-v1-nocalc-thpon': 10000,
  'gavin-v4-calc': 3000,
  'gavin-v4-memonly': 2000,
  'gavin-v4-postcopy-idle': 400,
  'gavin-v4-postcopy-load': 800,
  'gleb-2010-bm': 600,
  'guest-kernel-faults': 300,
  'ipi-mix': 300,
  overcommit: 500,
};

const cases = [
  // The default scenario at full length: README's command, and single runs.
  { argv: ['compare', 'x86', 'arm64-sdei', '--json'] },
  { argv: ['run', 'x86', '--json'] },
  { argv: ['run', 'arm64-dabt', '--seed', '7', '--json'] },
  { argv: ['run', 'x86-pf', '--scenario', 'ipi-mix', '--json'] },
  ...Object.entries(SHORTENED).map(([builtin, durationMs]) => {
    const file = `test-artifacts/identity/${builtin}-${durationMs}ms.yaml`;
    return { argv: ['compare', ...ALL, '--scenario', file, '--json'], scenario: { builtin, durationMs, file } };
  }),
];

for (const c of cases) {
  if (c.scenario) writeShortened(c.scenario);
  const out = execFileSync(process.execPath, ['dist/cli/main.js', ...c.argv], { maxBuffer: 1 << 30 });
  c.sha256 = createHash('sha256').update(out).digest('hex');
  console.log(c.sha256.slice(0, 12), c.argv.join(' '));
}
writeFileSync('test/fixtures/json-identity.json', `${JSON.stringify({ capturedAt: process.argv[2] ?? null, cases }, null, 2)}\n`);

/** A copy of a built-in scenario with another duration (the test writes it the same way). */
function writeShortened({ builtin, durationMs, file }) {
  const text = readFileSync(`scenarios/${builtin}.yaml`, 'utf8').replace(/^durationMs: \d+$/m, `durationMs: ${durationMs}`);
  mkdirSync('test-artifacts/identity', { recursive: true });
  writeFileSync(file, text);
}
