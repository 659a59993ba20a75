import { z } from 'zod';

/**
 * The scenario file format. Every field is named with its unit; every default is the value the
 * built-in scenarios rely on, and the README lists them. Costs per architecture are not here:
 * they belong to the backends (facts/anchors.md §A6) and a scenario may only override them.
 */

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();

const latency = z
  .object({
    dist: z.enum(['lognormal', 'exponential', 'fixed']),
    /** lognormal: median; exponential: mean; fixed: the value. */
    us: z.number().positive(),
    /** lognormal shape (standard deviation of the underlying normal). */
    sigma: nonNegative.default(1),
    minUs: nonNegative.default(0),
    maxUs: z.number().positive().optional(),
  })
  .strict();

const backing = z
  .object({
    kind: z.literal('swap'),
    latency,
    /** I/Os the device serves at once; the rest wait in FIFO order. */
    queueDepth: positiveInt.default(32),
  })
  .strict();

const region = z
  .object({
    name: z.string().min(1),
    mib: z.number().positive(),
  })
  .strict();

const touchBody = z
  .object({
    region: z.string().min(1),
    pattern: z.enum(['random', 'sequential', 'hotcold']).default('random'),
    /** hotcold: the share of touches that go to the hot part, and the hot part's share of the region. */
    hotShare: z.number().min(0).max(1).default(0.9),
    hotFraction: z.number().gt(0).max(1).default(0.1),
    pages: positiveInt.default(1),
    /** Compute after each touch; it counts as work. */
    thinkNs: nonNegative.default(0),
  })
  .strict();

const step = z.union([
  z.object({ compute: z.object({ us: z.number().positive() }).strict() }).strict(),
  /** Touches in user mode (the task's own loads and stores). */
  z.object({ touch: touchBody }).strict(),
  /** A system call that touches memory in kernel mode with interrupts enabled (copy_from_user). */
  z.object({ syscall: touchBody }).strict(),
  /** A kernel section with interrupts off; it may touch memory too. */
  z
    .object({
      irqoff: z
        .object({ us: nonNegative.default(0), touch: touchBody.optional() })
        .strict(),
    })
    .strict(),
  z.object({ sleep: z.object({ us: z.number().positive() }).strict() }).strict(),
  /**
   * smp_call_function_single(…, wait=1), as a TLB shootdown or a cross-call makes it: send the
   * call-function IPI to vCPU `target` ('next': the sender's vCPU + 1, wrapping) and spin in the
   * kernel, interrupts on and preemption off, until the target has run the `handlerUs` handler
   * (PROTOCOLS.md §3 "IPIs"). A target that is the sender's own vCPU runs the handler locally.
   */
  z
    .object({
      ipi: z
        .object({ target: z.union([z.number().int().nonnegative(), z.literal('next')]), handlerUs: nonNegative })
        .strict(),
    })
    .strict(),
]);

const task = z
  .object({
    name: z.string().min(1),
    count: positiveInt.default(1),
    /** Pin to this vCPU; by default tasks are spread round-robin in file order. */
    vcpu: z.number().int().nonnegative().optional(),
    program: z.array(step).min(1),
  })
  .strict();

const machine = z
  .object({
    vcpus: positiveInt,
    guestMemoryMiB: z.number().positive(),
    /** The host memory cgroup limit for this guest. */
    hostResidentMiB: z.number().positive(),
    hz: positiveInt.default(250),
    /** Tick preemption after this much time on the vCPU. */
    sliceUs: z.number().positive().default(4000),
    /** CFS wakeup granularity and latency, as Linux scales them for 4 CPUs (1 ms and 6 ms × 3). */
    wakeupGranularityUs: nonNegative.default(3000),
    schedLatencyUs: nonNegative.default(18000),
    /** Guest thread switch: ~1.1 µs for threads (facts/anchors.md §A6, pipe ping-pong). */
    contextSwitchNs: nonNegative.default(1100),
    /**
     * The guest kernel's preemption model (CONFIG_PREEMPT_NONE / _VOLUNTARY / PREEMPT): where a
     * task in the kernel yields to a resched. Default voluntary, as distribution kernels ship
     * (Ubuntu generic CONFIG_PREEMPT_VOLUNTARY=y; Fedora/RHEL PREEMPT_DYNAMIC, voluntary at
     * boot): an assumption, since no anchor states its guest's config (README "Assumptions").
     */
    preemption: z.enum(['none', 'voluntary', 'full']).default('voluntary'),
    /** A user-mode touch of a resident page (TLB miss + access). */
    touchNs: nonNegative.default(100),
  })
  .strict();

const costOverrides = z.record(z.string(), z.number().nonnegative());

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    durationMs: z.number().positive(),
    seed: z.number().int().default(1),
    machine,
    backing,
    regions: z.array(region).min(1),
    tasks: z.array(task).min(1),
    /** After durationMs, stop starting new work and let outstanding faults finish, so invariants close. */
    drain: z
      .object({ enabled: z.boolean().default(true), maxMs: z.number().positive().default(2000) })
      .strict()
      .default({ enabled: true, maxMs: 2000 }),
    /** Per-architecture cost overrides, e.g. `costs: { x86: { exitCycles: 2500 } }`. */
    costs: z.record(z.string(), costOverrides).default({}),
    /** Per-architecture knobs, e.g. `arch: { x86: { vector: 0xf3 } }`. */
    arch: z.record(z.string(), z.record(z.string(), z.number())).default({}),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Step = z.output<typeof step>;
export type TouchSpec = z.output<typeof touchBody>;
export type IpiSpec = Extract<Step, { ipi: unknown }>['ipi'];
export type TaskSpec = z.output<typeof task>;
export type LatencySpec = z.output<typeof latency>;
