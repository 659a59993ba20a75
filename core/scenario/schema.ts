import { z } from 'zod';
import { withSchedulerDefaults } from './scheduler-defaults.js';
import { NOT_PRINTABLE, NOT_PRINTABLE_IN_TEXT } from '../printable.js';
import { HARD, MAX_INTERVAL_US, MAX_RUN_MS, MIN_RUN_MS, MIN_GUEST_MIB, ONE_PAGE_MIB } from './limits.js';

/**
 * The scenario file format. Every field is named with its unit; every default is the value the
 * built-in scenarios rely on, and the README lists them. Costs per architecture are not here:
 * they belong to the backends (facts/anchors.md §A6) and a scenario may only override them.
 */

/**
 * Numbers carry their bounds (core/scenario/limits.ts, README "Limits"), so that a value the engine
 * cannot represent is refused with the reason instead of overflowing inside a run.
 */
const EXACT_TIME = 'longer intervals would leave the exact range of integer-nanosecond time';
/*
 * Each bound comes before int(): zod's int() refuses a number past 2^53 as well, so 1e308 (a whole
 * number) was "must be a whole number" instead of "must be at most …" (as core/sweep/merge.ts).
 */
const count = (max: number, why: string) =>
  z.number().min(1, 'must be at least 1').max(max, `must be at most ${max}: ${why}`).int('must be a whole number');
/** A duration in `unit` that may be 0; at most one hour. */
const span = (unit: 'us' | 'ns') => {
  const max = unit === 'us' ? MAX_INTERVAL_US : MAX_INTERVAL_US * 1000;
  const bounded = z.number().min(0, 'must not be negative').max(max, `must be at most ${max} ${unit === 'us' ? 'µs' : 'ns'} (one hour): ${EXACT_TIME}`);
  return unit === 'ns' ? bounded.int('must be a whole number of ns: time is integer nanoseconds') : bounded;
};
/** A guest CPU by its number (a task's pin, an IPI's target, a CPU taken offline or brought online). */
const vcpuNumber = () =>
  z
    .number()
    .min(0, 'must not be negative')
    .max(HARD.vcpus - 1, `must be a vCPU of the machine (the lab allows at most ${HARD.vcpus} vCPUs, 0–${HARD.vcpus - 1})`)
    // No message of its own: the lab's words for it add the value ("must be a whole number, got 1.5").
    .int();
/** A duration in µs that must take time: at least 1 ns, so that it never rounds to zero. */
const positiveUs = span('us').min(0.001, 'must be at least 0.001 µs (1 ns): shorter rounds to no time at all');
const nonNegative = z.number().min(0, 'must not be negative');
/**
 * A name the lab prints in tables, headers and documents: no control characters, line breaks or
 * bidirectional overrides (core/printable.ts; an escape sequence in a scenario name reached the
 * terminal and a Markdown report raw). A description may span lines (a folded YAML block ends in a
 * newline).
 */
const label = () => z.string().min(1).refine((t) => t.search(NOT_PRINTABLE) < 0, 'must not contain control characters, line breaks or bidirectional overrides');
const text = () => z.string().refine((t) => !NOT_PRINTABLE_IN_TEXT.test(t), 'must not contain control characters (other than newlines and tabs) or bidirectional overrides');

/** A duration in µs that is 0 (none) or takes time: between 0 and 1 ns it would round to nothing. */
const spanOrZero = span('us').refine((v) => v === 0 || v >= 0.001, 'must be 0 or at least 0.001 µs (1 ns): shorter rounds to no time at all');
/** A run's length in ms (durationMs, drain.maxMs): at least 1 ns, at most one day. */
const runMs = z
  .number()
  .min(MIN_RUN_MS, `must be at least ${MIN_RUN_MS.toFixed(6)} ms (1 ns): shorter rounds to no time at all`)
  .max(MAX_RUN_MS, `must be at most ${MAX_RUN_MS} ms (one day): ${EXACT_TIME}`);

const latency = z
  .object({
    dist: z.enum(['lognormal', 'exponential', 'fixed']),
    /** lognormal: median; exponential: mean; fixed: the value. */
    us: positiveUs,
    /** lognormal shape (standard deviation of the underlying normal). */
    sigma: nonNegative.max(HARD.sigma, `must be at most ${HARD.sigma}: a wider lognormal is all tail`).default(1),
    minUs: spanOrZero.default(0),
    maxUs: positiveUs.optional(),
  })
  .strict();

const swapBacking = z
  .object({
    kind: z.literal('swap'),
    latency,
    /** I/Os the device serves at once; the rest wait in FIFO order. */
    queueDepth: count(HARD.queueDepth, 'a lab bound on I/Os in service').default(32),
    /**
     * vm.page-cluster: a swap-in reads up to 2^pageCluster pages around the fault in the same I/O
     * (VMA-based readahead, facts/anchors.md §A7); Linux's default is 3 (8 pages), 0 reads one.
     */
    pageCluster: z.number().min(0, 'must not be negative').max(10, 'must be at most 10 (vm.page-cluster)').int('must be a whole number').default(3),
    /**
     * A synchronous device (zram, pmem, brd: BLK_FEAT_SYNCHRONOUS, on which swapon sets
     * SWP_SYNCHRONOUS_IO, mm/swapfile.c). do_swap_page() reads a page no other mapping shares in
     * the faulting thread, skipping the swap cache and readahead (mm/memory.c), so KVM's FOLL_NOWAIT
     * lookup gets it and async PF never starts (core/sim/host-async-pf.ts). Absent: a block device.
     */
    synchronousIo: z.boolean().optional(),
  })
  .strict();

/**
 * Post-copy live migration (facts/anchors.md §A4): the guest runs on the destination while its
 * dirty pages are still on the source, and a fault on one asks the source for it over the
 * migration link (core/machine/postcopy.ts). Pages are 4 KiB.
 */
const postcopyBacking = z
  .object({
    kind: z.literal('postcopy'),
    /** Request to the source and page back: the link's round trip, with the fault service at both ends. */
    rttUs: spanOrZero,
    /** The migration stream's bandwidth in MB/s (10^6 bytes a second), shared by requested and pushed pages. */
    bandwidthMBps: z
      .number()
      .min(0.001, 'must be at least 0.001 MB/s: a slower link takes more than an hour per page')
      .max(1_000_000, 'must be at most 1,000,000 MB/s (1 TB/s): a page would take under 4 ns'),
    /** QEMU's background sending of the pages still dirty, in address order, alongside the requests. */
    push: z.boolean().default(true),
    /**
     * The share of each populated region's pages still on the source when the guest starts on the
     * destination (dirtied after the precopy phase sent them), spread evenly over the region; the
     * rest were migrated before the switch and are resident.
     */
    dirtyShare: z.number().gt(0, 'must be more than 0').max(1, 'must be at most 1').default(1),
  })
  .strict();

const backing = z.discriminatedUnion('kind', [swapBacking, postcopyBacking]);

const region = z
  .object({
    name: label(),
    mib: z.number().min(ONE_PAGE_MIB, `must be at least one 4 KiB page (${ONE_PAGE_MIB} MiB)`).max(HARD.guestMemoryMiB, `must be at most ${HARD.guestMemoryMiB} MiB`),
    /**
     * true (default): the pages were written before the run (Gleb Natapov's bm writes its whole
     * buffer first, facts/anchors.md §A7), so a page not resident is on swap. false: never touched:
     * a page's first touch is a zero-fill minor fault with no I/O (do_anonymous_page(), §A7).
     */
    populated: z.boolean().default(true),
    /**
     * true: the pages were written and the host has since swapped them out, so none is resident
     * when the run starts (a populated region otherwise starts resident as far as the limit
     * allows, in gfn order). Only for a populated region.
     */
    onSwap: z.boolean().default(false),
    /**
     * For a region never written (populated: false): the share of its pages whose guest frames
     * the host holds on swap from an earlier use (frames the guest used and freed before the run
     * and now hands out again), so that their first touch is a swap-in rather than a zero-fill.
     * Which pages, is drawn at random with the run's seed, each on its own.
     */
    onSwapShare: z.number().gt(0, 'must be more than 0').max(1, 'must be at most 1').optional(),
    /**
     * true: the region is the guest's page cache of files no process uses any more (read or
     * written before the run), clean, so the guest's reclaim may drop it when its free pages run
     * out (mm/vmscan.c shrink_folio_list() → __remove_mapping(); core/guest/page-cache.ts), the
     * region's last page first, and hand the frames to new pages. No step may touch it (a page
     * dropped is gone from the file). The host is not told: it keeps the old contents, resident
     * or on swap, until the guest writes the frame again.
     */
    pageCache: z.boolean().default(false),
  })
  .strict()
  .refine((r) => r.populated || !r.onSwap, { message: 'onSwap needs populated: true (a page never written has nothing on swap)', path: ['onSwap'] })
  .refine((r) => !r.populated || r.onSwapShare === undefined, { message: 'onSwapShare is for a region with populated: false (its frames\' earlier contents); a populated region is on swap as a whole (onSwap)', path: ['onSwapShare'] })
  .refine((r) => r.populated || !r.pageCache, { message: 'pageCache needs populated: true (a cached page holds a file\'s contents)', path: ['pageCache'] });

const touchBody = z
  .object({
    region: z.string().min(1),
    pattern: z.enum(['random', 'sequential', 'hotcold']).default('random'),
    /** hotcold: the share of touches that go to the hot part, and the hot part's share of the region. */
    hotShare: z.number().min(0, 'must be a share from 0 to 1').max(1, 'must be a share from 0 to 1').default(0.9),
    hotFraction: z.number().gt(0, 'must be a share above 0 (the hot part must hold a page) and at most 1').max(1, 'must be a share above 0 and at most 1').default(0.1),
    pages: count(HARD.pagesPerStep, 'a lab bound on touches per step').default(1),
    /** Compute after each touch; it counts as work. */
    thinkNs: span('ns').default(0),
    /** Stores (default) dirty the page, so that evicting it writes it to swap; loads leave it clean. */
    write: z.boolean().default(true),
  })
  .strict();

const step = z.union([
  z.object({ compute: z.object({ us: positiveUs }).strict() }).strict(),
  /** Touches in user mode (the task's own loads and stores). */
  z.object({ touch: touchBody }).strict(),
  /** A system call that touches memory in kernel mode with interrupts enabled (copy_from_user). */
  z.object({ syscall: touchBody }).strict(),
  /** A kernel section with interrupts off; it may touch memory too. */
  z
    .object({
      irqoff: z
        .object({ us: spanOrZero.default(0), touch: touchBody.optional() })
        .strict(),
    })
    .strict(),
  /**
   * A kernel section with preemption off but interrupts on (spin_lock(), get_cpu()): the task may
   * not sleep here, so a design that tells the guest of a fault in it halts the vCPU instead of
   * scheduling (PROTOCOLS.md §3 "not present"; RFCv2's `preempt_count() > 1`, seed 003). It may
   * touch memory too.
   */
  z
    .object({
      preemptoff: z
        .object({ us: spanOrZero.default(0), touch: touchBody.optional() })
        .strict(),
    })
    .strict(),
  z.object({ sleep: z.object({ us: positiveUs }).strict() }).strict(),
  /**
   * smp_call_function_single(…, wait=1), as a TLB shootdown or a cross-call makes it: send the
   * call-function IPI to vCPU `target` ('next': the sender's vCPU + 1, wrapping) and spin in the
   * kernel, interrupts on and preemption off, until the target has run the `handlerUs` handler
   * (PROTOCOLS.md §3 "IPIs"). A target that is the sender's own vCPU runs the handler locally.
   */
  z
    .object({
      ipi: z
        .object({
          target: z.union([vcpuNumber(), z.literal('next')]),
          handlerUs: spanOrZero,
        })
        .strict(),
    })
    .strict(),
]);

/**
 * A process's own memory: a private anonymous mapping (malloc()'s heap, mmap(MAP_ANONYMOUS)). It
 * has no guest frames until the process touches it: each page's first touch is the guest's
 * do_anonymous_page(), which takes a frame from the guest's free pages (core/guest/page-alloc.ts)
 * and clears it. At exit the frames go back to the free pages (exit_mmap()).
 */
const anonMemory = z
  .object({
    name: label(),
    mib: z.number().min(ONE_PAGE_MIB, `must be at least one 4 KiB page (${ONE_PAGE_MIB} MiB)`).max(HARD.guestMemoryMiB, `must be at most ${HARD.guestMemoryMiB} MiB`),
    /**
     * anon (default): private anonymous memory, as above. file: the pages of the files the process
     * writes (a compiler's object file). Only `syscall` steps touch it: write() copies from the
     * user buffer (copy_from_user(), kernel mode, interrupts on) into page-cache pages it creates
     * itself on the first write of each page — generic_perform_write() → write_begin →
     * __filemap_get_folio(FGP_CREAT) → filemap_add_folio() (mm/filemap.c) — with a frame from the
     * guest's free pages, and no page fault (the guest's own cost of that is not charged: an
     * assumption, well under the copy). At exit the pages stay in the guest's page cache, the
     * newest, until its reclaim drops them (core/guest/page-cache.ts).
     */
    kind: z.enum(['anon', 'file']).default('anon'),
  })
  .strict();

/**
 * `make -jN`: the task entry is a job set, not a fixed set of tasks. `concurrent` processes run
 * at once; each runs the program (`passes` times, default once) and exits, and make starts the
 * next one as soon as one exits, until `total` have run (absent: for as long as the run lasts).
 */
const jobs = z
  .object({
    concurrent: count(HARD.tasks, 'the lab bound on tasks'),
    total: count(HARD.tasks, 'the lab bound on processes a job set runs').optional(),
  })
  .strict();

const task = z
  .object({
    name: label(),
    count: count(HARD.tasks, 'the lab bound on tasks').default(1),
    /** A job set (make -jN) instead of `count` long-lived tasks. */
    jobs: jobs.optional(),
    /** The task's (each process's) private anonymous memory, which touch steps name like regions. */
    memory: z.array(anonMemory).default([]),
    /** Pin to this vCPU; by default tasks are spread round-robin in file order. */
    vcpu: vcpuNumber().optional(),
    program: z.array(step).min(1),
    /**
     * Fixed work: the task runs its program this many times, then exits, and its completion time
     * is reported (a test program's "time", facts/anchors.md §A7). Absent: it loops until the
     * run ends (in a job set: each process runs once).
     */
    passes: count(HARD.tasks, 'a lab bound on passes').optional(),
  })
  .strict();

const machine = z
  .object({
    vcpus: count(HARD.vcpus, 'the lab bound on vCPUs (per-vCPU state and a tick stream each)'),
    guestMemoryMiB: z
      .number()
      .min(MIN_GUEST_MIB, `must be at least ${MIN_GUEST_MIB} MiB: the guest kernel's own data, with its APF areas at 1 MiB, lies in its RAM`)
      .max(HARD.guestMemoryMiB, `must be at most ${HARD.guestMemoryMiB} MiB (2^30 pages): gfns are 32-bit integers in the engine`),
    /** The host memory cgroup limit for this guest; below one page there would be no limit to model. */
    hostResidentMiB: z
      .number()
      .min(ONE_PAGE_MIB, `must be at least one 4 KiB page (${ONE_PAGE_MIB} MiB): a smaller limit rounds to no resident memory at all`),
    hz: count(HARD.hz, 'ten times the largest Linux CONFIG_HZ (1000)').default(250),
    /**
     * The host kernel's CONFIG_HZ: its scheduler tick interrupts the physical CPU that runs a vCPU
     * in guest mode, which exits (and so sees pending requests, such as a page-ready a design
     * does not kick for, at its next entry). Absent (default): not modelled; the guest's own tick
     * exits are the only timer exits.
     */
    hostHz: count(HARD.hz, 'ten times the largest Linux CONFIG_HZ (1000)').optional(),
    /**
     * The guest kernel's fair class: `eevdf` (default), Linux 6.6 on, as the 6.12 guests the lab
     * models by default have (core/guest/eevdf.ts); `cfs`, before 6.6, for the guests of the
     * published experiments of 2010–2022 (core/guest/cfs.ts).
     */
    scheduler: z.enum(['eevdf', 'cfs']).default('eevdf'),
    /**
     * CFS: tick preemption after this much time on the vCPU (default 4 ms). EEVDF: the request each
     * pick grants, sysctl_sched_base_slice (default 0.7 ms × (1 + ilog2(min(vCPUs, 8))), as Linux
     * scales it: 2.1 ms for 4 vCPUs).
     */
    sliceUs: positiveUs.optional(),
    /** CFS only: wakeup granularity and latency, 1 ms and 6 ms as Linux scales them for the vCPUs (× 3 for 4). */
    wakeupGranularityUs: spanOrZero.optional(),
    schedLatencyUs: spanOrZero.optional(),
    /** Guest thread switch: ~1.1 µs for threads (facts/anchors.md §A6, pipe ping-pong). */
    contextSwitchNs: span('ns').default(1100),
    /**
     * The guest kernel's preemption model (CONFIG_PREEMPT_NONE / _VOLUNTARY / PREEMPT): where a
     * task in the kernel yields to a resched. Default voluntary, as distribution kernels ship
     * (Ubuntu generic CONFIG_PREEMPT_VOLUNTARY=y; Fedora/RHEL PREEMPT_DYNAMIC, voluntary at
     * boot): an assumption, since no anchor states its guest's config (README "Assumptions").
     */
    preemption: z.enum(['none', 'voluntary', 'full']).default('voluntary'),
    /** A user-mode touch of a resident page (TLB miss + access). */
    touchNs: span('ns').default(100),
    /**
     * The guest's own work in do_anonymous_page() for a first touch of a process's memory — take a
     * frame, clear it, map it — on top of the exception entry and exit the code layout times: 1 µs,
     * the low end of facts/anchors.md §A6's 1–10 µs minor fault (an assumption, README "Assumptions").
     */
    anonFaultNs: span('ns').default(1000),
    /**
     * The guest kernel's own pages — each task's kernel stack and task struct, each vCPU's per-CPU
     * data — and whether the host may evict them. `pinned` (default): they are assumed always
     * resident and take no host memory in the model. `swappable`: they are guest memory like any
     * other, laid out first, and the exception entry code that touches them can take a stage-2
     * fault there (Mark Rutland's concern on RFCv2 7/9, facts/arm64.md §2).
     */
    guestKernelPages: z.enum(['pinned', 'swappable']).default('pinned'),
    /**
     * Transparent huge pages for the guest's memory in the host (QEMU madvises guest RAM
     * MADV_HUGEPAGE; `never` turns it off). On: a first touch zero-fills the whole 2 MiB extent
     * around it in one fault (do_huge_pmd_anonymous_page()); eviction and swap-in stay per 4 KiB
     * page, as on an arm64 host of 2020, which split a huge page to swap it out (THP_SWAP came to
     * arm64 later). Off (default): 4 KiB pages only.
     */
    hostThp: z.boolean().default(false),
    /**
     * Clearing one 2 MiB huge page (Linux 6.12 mm/memory.c folio_zero_user(), clear_huge_page() until
     * 78fefd04c123): assumption, 2 MiB at ~20 GB/s.
     */
    hugeClearUs: spanOrZero.default(100),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.scheduler !== 'eevdf') return;
    for (const key of ['wakeupGranularityUs', 'schedLatencyUs'] as const) {
      if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is a CFS knob (Linux before 6.6); EEVDF has none: leave it out, or set scheduler: cfs` });
    }
  })
  .transform(withSchedulerDefaults);

/** Values are checked against the known keys and their bounds in load.ts (limits.ts costValueProblem()). */
const costOverrides = z.record(z.string(), z.number());

/**
 * One published figure an experiment reproduces (facts/anchors.md §A1, §A2): a ratio of the
 * variant's metric to the baseline's over the same seeds. `work`: total work; `count`: a task
 * group's work over the measured window (a count per run, such as Gavin Shan's "Calculation"
 * columns); `rate`: a task group's work per second; `time`: a task group's mean completion time
 * (fixed work). `published`: the cover letter's figure as the same ratio, or null where facts/
 * gives none (the lab then predicts).
 */
const experimentRow = z
  .object({
    label: z.string().min(1),
    metric: z.enum(['work', 'count', 'rate', 'time']),
    group: z.string().min(1).optional(),
    variant: z.string().min(1),
    baseline: z.string().min(1),
    published: z.number().positive().nullable().default(null),
  })
  .strict();

/** A scenario that reproduces a published experiment: where it comes from and what it measures. */
const experiment = z.object({ source: z.string().min(1), rows: z.array(experimentRow).min(1) }).strict();

/** The guest CPU an `offline` or `online` event names. */
const cpuRef = z.object({ vcpu: vcpuNumber() }).strict();

/**
 * What happens to the VM at a moment of the run, one of (core/scenario/load.ts checks that one is
 * given): `migrate`, a live migration's switchover to a destination host (PROTOCOLS.md §2,
 * core/sim/migration.ts); `offline` / `online`, the guest taking one of its CPUs down or bringing
 * it back up (echo 0|1 > /sys/devices/system/cpu/cpuN/online; core/sim/cpu-hotplug.ts).
 */
const vmEvent = z
  .object({ atMs: runMs, migrate: z.object({}).strict().optional(), offline: cpuRef.optional(), online: cpuRef.optional() })
  .strict();

export const scenarioSchema = z
  .object({
    name: label(),
    description: text().default(''),
    durationMs: runMs,
    /** Any safe integer; all of its bits seed the generator (core/engine/rng.ts). */
    seed: z
      .number()
      .refine(Number.isSafeInteger, `must be an integer from -${HARD.seed} to ${HARD.seed} (a safe integer: beyond, two seeds would be the same number)`)
      .default(1),
    machine,
    backing,
    regions: z.array(region).min(1),
    tasks: z.array(task).min(1),
    /**
     * End the measured window when every task of these groups has exited (tasks with `passes`);
     * durationMs is then the cap. Absent: the window is durationMs.
     */
    until: z.object({ tasks: z.array(z.string().min(1)).min(1) }).strict().optional(),
    /** After durationMs, stop starting new work and let outstanding faults finish, so invariants close. */
    drain: z
      .object({
        enabled: z.boolean().default(true),
        maxMs: runMs.default(2000),
      })
      .strict()
      .default({ enabled: true, maxMs: 2000 }),
    /** Per-architecture cost overrides, e.g. `costs: { x86: { exitCycles: 2500 } }`. */
    costs: z.record(z.string(), costOverrides).default({}),
    /** Per-architecture knobs, e.g. `arch: { x86: { vector: 0xf3 } }`. */
    arch: z.record(z.string(), z.record(z.string(), z.number())).default({}),
    /** The published experiment this scenario reproduces (`apf-lab reproduce`). */
    experiment: experiment.optional(),
    /** Events of the whole VM, each at its time of the measured window (absent: none). */
    events: z
      .array(vmEvent)
      .min(1, 'must list at least one event (leave `events` out for none)')
      .max(HARD.vmEvents, `must list at most ${HARD.vmEvents} events (a lab bound)`)
      .optional(),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Step = z.output<typeof step>;
export type TouchSpec = z.output<typeof touchBody>;
export type IpiSpec = Extract<Step, { ipi: unknown }>['ipi'];
export type ExperimentSpec = z.output<typeof experiment>;
export type ExperimentRowSpec = z.output<typeof experimentRow>;
export type VmEventSpec = z.output<typeof vmEvent>;
export type TaskSpec = z.output<typeof task>;
export type JobsSpec = z.output<typeof jobs>;
export type LatencySpec = z.output<typeof latency>;
export type SwapBackingSpec = z.output<typeof swapBacking>;
export type PostcopyBackingSpec = z.output<typeof postcopyBacking>;
