import type { RandomStreams } from '../engine/rng.js';
import { ProcessMemory } from '../guest/mm.js';
import { compileStep, Task, type RegionLayout } from '../guest/task.js';
import type { Scenario, TaskSpec } from '../scenario/schema.js';
import { MIB_PAGES } from './guest-memory-map.js';
import { JobSet } from './jobs.js';
import type { TasksCreated } from './machine.js';

/** What creating a task needs of the machine. */
export interface ForkContext {
  readonly regions: ReadonlyMap<string, RegionLayout>;
  readonly vcpuCount: number;
  readonly streams: RandomStreams;
  readonly tasks: Task[];
  /** Tasks created so far: the next one's pid (in creation order, never reused), and each group's count. */
  readonly created: TasksCreated;
}


/**
 * copy_process(): a new task of `spec` on `vcpu` (not yet on a run queue): its program compiled
 * for that vCPU, its own random stream (issued in creation order, so that a run is the same every
 * time), and its own memory, empty until touched. A process that `replaces` one that exited takes
 * its id (its slot in `tasks`) and its kernel stack: a job set of short processes kept every
 * exited one, ~730 bytes each, and ran out of memory at 3 M of them. Its pid, what traces name it
 * by, is new (Task.pid).
 */
export function copyProcess(ctx: ForkContext, spec: TaskSpec, vcpu: number, name: string, replaces: Task | null): Task {
  const id = replaces?.id ?? ctx.tasks.length;
  const regions = spec.memory.length === 0 ? ctx.regions : new Map(ctx.regions);
  const pages = spec.memory.map((a, i) => {
    const n = Math.max(1, Math.round(a.mib * MIB_PAGES));
    (regions as Map<string, RegionLayout>).set(a.name, { name: a.name, firstGfn: -1, pages: n, anon: i, file: a.kind === 'file' });
    return n;
  });
  const program = spec.program.map((s) => compileStep(s, regions, { vcpu, vcpus: ctx.vcpuCount }));
  const passes = spec.passes ?? (spec.jobs ? 1 : null);
  const mm = pages.length > 0 ? new ProcessMemory(pages, spec.memory.map((a) => a.kind === 'file')) : null;
  const task = new Task(id, name, spec.name, vcpu, program, ctx.streams.streamForNew(), passes, spec.vcpu !== undefined, mm, replaces?.kernelSlot ?? id);
  task.pid = ctx.created.total++;
  ctx.created.byGroup.set(spec.name, (ctx.created.byGroup.get(spec.name) ?? 0) + 1);
  ctx.tasks[id] = task;
  return task;
}

/**
 * The scenario's tasks at the start, spread round-robin in file order unless pinned; a job set
 * starts its first `concurrent` processes, each made by `create` (the machine's copy_process()).
 * Returns each task with its vCPU, and the job sets by group.
 */
export function initialTasks(
  scenario: Scenario,
  vcpuCount: number,
  create: (spec: TaskSpec, vcpu: number, name: string) => Task,
): { placed: { task: Task; vcpu: number }[]; jobSets: Map<string, JobSet> } {
  const placed: { task: Task; vcpu: number }[] = [];
  const jobSets = new Map<string, JobSet>();
  let next = 0;
  for (const spec of scenario.tasks) {
    const set = spec.jobs ? new JobSet(spec, spec.jobs) : null;
    if (set) jobSets.set(spec.name, set);
    const n = set ? set.initial : spec.count;
    for (let k = 0; k < n; k++) {
      const vcpu = spec.vcpu ?? next++ % vcpuCount;
      const name = spec.count > 1 || set ? `${spec.name}/${k}` : spec.name;
      placed.push({ task: create(spec, vcpu, name), vcpu });
      if (set) set.started++;
    }
  }
  return { placed, jobSets };
}
