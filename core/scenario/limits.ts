/**
 * The bounds a scenario must stay within, in one place so that README "Limits" can list them.
 *
 * Two kinds:
 * - hard maxima keep the engine exact: time is an integer count of nanoseconds held in a double,
 *   exact only below 2^53 ns (~104 days), and gfns and task ids travel as 32-bit integers in the
 *   event queue. No option raises them.
 * - size limits keep a run within what a laptop does in minutes (vCPUs, tasks, guest pages,
 *   expected events). The caller may raise them to the hard maxima (`--allow-large`).
 */

/** The longest simulated interval a single field may ask for: one hour. */
export const MAX_INTERVAL_US = 3_600_000_000;
/** The longest run (durationMs, and drain.maxMs): one day of guest time. */
export const MAX_RUN_MS = 86_400_000;
/** The shortest run (durationMs, and drain.maxMs): 1 ns, since time is integer nanoseconds. */
export const MIN_RUN_MS = 0.000001;
/** The guest's page size in bytes: a gfn's page starts at gfn × PAGE_SIZE. */
export const PAGE_SIZE = 4096;
/** Pages are 4 KiB: 256 to the MiB. */
export const PAGES_PER_MIB = (1024 * 1024) / PAGE_SIZE;
/** One 4 KiB page in MiB: the smallest memory amount that means anything. */
export const ONE_PAGE_MIB = 1 / PAGES_PER_MIB;
/**
 * The smallest guest: its kernel's own data lies in its RAM, and every backend's guest puts its
 * per-vCPU APF areas there, from 1 MiB (arches/x86/mechanisms.ts and arches/arm64/*: AREA_BASE;
 * pvvec's save areas at 1.25 MiB), 64 bytes a vCPU. A smaller guest made KVM refuse the enable
 * (the area outside guest memory), and a run of it silently measured no APF at all. Real guests
 * are far larger (x86 loads its kernel at 16 MiB, CONFIG_PHYSICAL_START).
 */
export const MIN_GUEST_MIB = 2;
/** The largest normal deviate Box–Muller can draw from a 53-bit uniform: sqrt(-2 ln 2^-53). */
export const MAX_NORMAL_DEVIATE = 8.58;
/** The largest exponential deviate (in means) from a 53-bit uniform: -ln 2^-53. */
export const MAX_EXPONENTIAL_DEVIATE = 36.74;

export const HARD = {
  seed: Number.MAX_SAFE_INTEGER,
  vcpus: 1024,
  /** 2^30 pages (4 TiB): gfn arithmetic stays inside the 32-bit event arguments. */
  guestMemoryMiB: 4_194_304,
  tasks: 1_000_000,
  hz: 10_000,
  queueDepth: 65_536,
  pagesPerStep: 1_000_000_000,
  clockMHz: 100_000,
  /** With clockMHz ≥ 1, one cost is at most 10^12 ns (~17 minutes). */
  cycles: 1_000_000_000,
  sigma: 5,
  /** A scenario file; it is read with this cap, never further. */
  fileBytes: 1024 * 1024,
  /** YAML aliases a file may expand (a billion-laughs file needs thousands). */
  yamlAliases: 100,
  /**
   * YAML nesting: mappings and sequences (block or flow) inside one another. A scenario is a few
   * levels deep; the YAML reader recurses per level and ran out of stack at about 1,000 levels on
   * the main thread (a sweep file) but not in a worker (`run`).
   */
  yamlDepth: 64,
  /** Whole-VM events (`events`): each walks every vCPU. */
  vmEvents: 1000,
} as const;

/** What a laptop runs in minutes: refused above this unless the caller allows large runs. */
export const SIZE = {
  vcpus: 256,
  tasks: 50_000,
  /** 64 GiB of guest memory: 16 Mi pages, ~80 MB of per-page state. */
  guestPages: 16 * 1024 * 1024,
  /**
   * The engine does about a million scenario events a second per variant on a loaded laptop, and
   * the estimate (bounds.ts estimateEvents()) runs high: minutes, at worst half an hour.
   */
  expectedEvents: 1_000_000_000,
} as const;

/**
 * Checks one cost override: a clock must be positive and bounded, everything else is a count of
 * cycles (or a 0/1 switch) and bounded so that one cost stays well inside the exact range of time.
 * Returns the reason it is refused, or null.
 */
export function costValueProblem(key: string, value: number): string | null {
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  if (key === 'clockMHz') {
    if (value < 1 || value > HARD.clockMHz) return `${value} is out of range: a clock must be 1 to ${HARD.clockMHz} MHz`;
    return null;
  }
  if (value < 0 || value > HARD.cycles) return `${value} is out of range: costs are 0 to ${HARD.cycles.toExponential()} cycles`;
  return null;
}

/**
 * Looks `key` up among `defaults`' own keys (so that `toString` or `__proto__` is never mistaken
 * for a known key) and checks its value; returns the reason it is refused, or null.
 */
export function overrideProblem(defaults: Readonly<Record<string, number>>, key: string, value: number, isCost: boolean): string | null {
  if (!Object.hasOwn(defaults, key)) return `unknown key (known: ${Object.keys(defaults).sort().join(', ') || 'none'})`;
  return isCost ? costValueProblem(key, value) : Number.isFinite(value) ? null : `${value} is not a finite number`;
}
