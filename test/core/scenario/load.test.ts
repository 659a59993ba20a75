import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BadInputError, loadScenario, parseScenario, runVariant, x86Variant, type Variant } from '../../../index.js';
import { MINIMAL, scenarioErrorOf } from './minimal.js';

const base = MINIMAL;
const errorOf = (text: string) => scenarioErrorOf(() => parseScenario(text, 'f.yaml'));

describe('scenario loading', () => {
  it('loads the built-in default scenario', () => {
    const s = loadScenario();
    expect(s.name).toBe('overcommit');
    expect(s.machine.hostResidentMiB).toBeLessThan(s.machine.guestMemoryMiB);
  });

  it('names file, field and problem for a wrong type', () => {
    const e = errorOf(base.replace('vcpus: 2', 'vcpus: two'));
    expect(e.message).toMatch(/^f\.yaml: machine\.vcpus: /);
    expect(e.field).toBe('machine.vcpus');
  });

  it('names an unknown field', () => {
    expect(errorOf(base.replace('durationMs: 10', 'durationMs: 10\nspeed: 3')).message).toBe('f.yaml: (top level): unknown field(s): speed');
  });

  it('names an unknown region with the known ones', () => {
    expect(errorOf(base.replace('region: a', 'region: b')).message).toBe(
      'f.yaml: tasks[0].program[0].touch.region: unknown region "b" (known: a)',
    );
  });

  it('gives the line of a YAML syntax error', () => {
    expect(errorOf('name: [x\n').message).toMatch(/^f\.yaml: line \d+, column \d+: YAML syntax/);
  });

  it('refuses regions that do not fit in guest memory', () => {
    expect(errorOf(base.replace('mib: 16', 'mib: 128')).field).toBe('regions');
  });

  it('does not depend on the key order of free-form maps', () => {
    const a = parseScenario(`${base}costs: { x86: { exitCycles: 1, apicv: 0 } }\n`, 'a');
    const b = parseScenario(`${base}costs: { x86: { apicv: 0, exitCycles: 1 } }\n`, 'b');
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('large files load in bounded time (hostile-test regression)', () => {
  // The yaml package's duplicate-key check is quadratic; the loader checks duplicates itself, linearly.
  it('30,000 unknown keys are refused quickly, and the message stays short', () => {
    const text = readFileSync('scenarios/overcommit.yaml', 'utf8') + Array.from({ length: 30_000 }, (_, i) => `u${i}: 1\n`).join('');
    // On the quadratic check this test runs for minutes and hits the test timeout.
    expect(() => parseScenario(text, 'keys.yaml')).toThrow(/^keys\.yaml: \(top level\): unknown field\(s\): u0, .*… \(30000 in all\)$/);
  });

  it('a key twice in one mapping is still refused, with its line', () => {
    expect(() => parseScenario('name: a\nname: b\n', 'dup.yaml')).toThrow('dup.yaml: line 2: YAML syntax: map keys must be unique ("name" twice)');
  });
});

describe('the library refuses hand-built bad input (hostile-test regression)', () => {
  it('parseScenario of a non-string is bad input, not a TypeError', () => {
    expect(() => parseScenario(null as unknown as string, 'x.yaml')).toThrow(BadInputError);
    expect(() => parseScenario(42 as unknown as string, 'x.yaml')).toThrow(/scenario text must be a string, got number/);
  });

  it('runVariant checks a scenario object as a file would be checked', () => {
    const s = loadScenario('overcommit');
    expect(() => runVariant({ ...s, durationMs: -1 }, x86Variant)).toThrow(/\(scenario object\): durationMs/);
    expect(() => runVariant({ ...s, machine: { ...s.machine, vcpus: 1e9 } }, x86Variant)).toThrow(BadInputError);
    expect(() => runVariant(s, null as unknown as Variant)).toThrow(/not a variant/);
  });
});
