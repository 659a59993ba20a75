import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../../../index.js';
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
