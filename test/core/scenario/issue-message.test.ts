import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../index.js';
import { describeIssue } from '../../../core/scenario/issue-message.js';
import { MINIMAL, scenarioErrorOf } from './minimal.js';

const messageFor = (from: string, to: string) => scenarioErrorOf(() => parseScenario(MINIMAL.replace(from, to), 'f.yaml')).message;
const step = (s: string) => messageFor('program: [{ touch: { region: a } }]', `program: [${s}]`);

describe('a step that is no mapping is said once, not once per kind of step', () => {
  it('program: [null] names what a step is and what it got', () => {
    expect(step('null')).toBe('f.yaml: tasks[0].program[0]: must be a step, a mapping of exactly one of compute, touch, syscall, irqoff, preemptoff, sleep, ipi; got null');
    expect(step('"touch"')).toMatch(/program\[0\]: must be a step, .*; got "touch"$/);
  });

  it("a union's alternatives that say the same are said once", () => {
    const schema = z.object({ k: z.union([z.object({ a: z.number() }), z.object({ b: z.number() }), z.literal('next')]) });
    const raw = { k: 3 };
    const issue = schema.safeParse(raw).error!.issues[0];
    expect(describeIssue(issue, raw).message).toBe('must be a mapping, or "next"; got 3');
  });
});

describe('a whole number past a bound is said to be past it, though zod\'s int() refuses it too (not safe)', () => {
  it('machine.vcpus: 1e308 is above the lab bound of 1024; 1.5 is still not whole', () => {
    expect(messageFor('vcpus: 2', 'vcpus: 1e308')).toMatch(/^f\.yaml: machine\.vcpus: must be at most 1024: /);
    expect(messageFor('vcpus: 2', 'vcpus: 1.5')).toBe('f.yaml: machine.vcpus: must be a whole number');
  });

  it('a vCPU number (a task pinned, an IPI target, a CPU taken offline) names the vCPUs there are', () => {
    const vcpuBound = /must be a vCPU of the machine \(the lab allows at most 1024 vCPUs, 0–1023\)$/;
    expect(messageFor('name: w,', 'name: w, vcpu: 1e308,')).toMatch(vcpuBound);
    expect(step('{ ipi: { target: 1e308, handlerUs: 1 } }')).toMatch(vcpuBound);
    expect(messageFor('tasks:', 'events: [{ atMs: 1, offline: { vcpu: 1e308 } }]\ntasks:')).toMatch(vcpuBound);
  });

  it('a time in ns past an hour says so, not that it is not whole', () => {
    expect(step('{ touch: { region: a, thinkNs: 1e308 } }')).toMatch(/touch\.thinkNs: must be at most 3600000000000 ns \(one hour\)/);
  });
});
