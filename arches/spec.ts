/**
 * A variant as data (DESIGN.md "Variant catalogue", STYLE.md §3): an architecture plus one
 * mechanism per dimension, each named by a short id from that architecture's catalogue
 * (arches/<arch>/mechanisms.ts). The built-in variants are written in this form and composed by
 * the same code as a user's `--variant-file`, so a file that restates a built-in runs byte for
 * byte like it.
 *
 * A mechanism contributes a fragment of the backend (hooks, caps, guest init, vCPU state); the
 * composer lays the fragments over the architecture's base in a fixed order. Which fragments fit
 * together is data too: an architecture's rules refuse, with the reason, a combination that
 * cannot exist (a #PF on arm64, a token where the delivery has no room for it).
 */
import { z } from 'zod';
import type {
  Backend,
  CostTable,
  Finding,
  GuestCall,
  GuestCallExit,
  IpiCaps,
  KvmVcpu,
  Mechanisms,
  Variant,
  VariantContext,
} from '../core/backend.js';
import { cyclesToNs, exitCostsFromTable, type CostKeys, type ExitNames } from '../core/costs.js';
import { BadInputError } from '../core/errors.js';
import { NOT_PRINTABLE } from '../core/printable.js';
import type { CodeLayout } from '../core/guest/code-layout.js';

/** The dimensions a variant picks, in the order `show` prints them (DESIGN.md "Variant catalogue"). */
export const DIMENSIONS = ['enable', 'notPresent', 'ready', 'token', 'eligibility', 'wake', 'ack'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** One mechanism id per dimension. */
export type MechanismIds = { readonly [D in Dimension]: string };

/** A variant as written in a file or a TS literal: what `composeVariant()` builds a Variant from. */
export interface VariantSpec {
  readonly id: string;
  readonly arch: string;
  readonly title: string;
  readonly origin: string;
  /** The architecture's no-APF baseline (its eligibility must be `never-async`). */
  readonly baseline?: boolean;
  readonly mechanisms: MechanismIds;
  /** Review findings with their citations; shown by `show` and carried in the run's metrics. */
  readonly findings?: readonly Finding[];
  /** Defaults for the architecture's knobs (only keys the architecture has). */
  readonly knobs?: Readonly<Record<string, number>>;
}

/**
 * A line of text; messages follow the field's name (`title: must not be empty`). One line: `show`,
 * tables and the report print it, and a line break in a finding opened a heading or a code fence
 * in the Markdown report.
 */
const text = () =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .refine((t) => t.search(NOT_PRINTABLE) < 0, 'must be one line: no control characters, line breaks or bidirectional overrides');

const findingSchema = z.strictObject({
  id: text(),
  severity: z.enum(['blocker', 'concern', 'note'], { error: 'must be blocker, concern or note' }),
  text: text(),
  cite: text(),
});

/**
 * The spec's shape (zod, strict: an unknown key is a typo). Mechanism ids are checked against the
 * architecture's catalogue afterwards, where the message can list the known ones.
 */
export const variantSpecSchema = z.strictObject({
  id: z
    .string({ error: 'must be a string' })
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and dashes (at most 64), as the built-in ids are'),
  arch: text(),
  title: text(),
  origin: text(),
  baseline: z.boolean({ error: 'must be true or false' }).optional(),
  mechanisms: z.strictObject(
    Object.fromEntries(DIMENSIONS.map((d) => [d, z.string({ error: 'must be a mechanism id (a string)' })])) as Record<
      Dimension,
      z.ZodString
    >,
    { error: `must map each of ${DIMENSIONS.join(', ')} to a mechanism id` },
  ),
  findings: z.array(findingSchema, { error: 'must be a list' }).optional(),
  knobs: z.record(z.string(), z.number({ error: 'must be a number' }), { error: 'must be a map of knob names to numbers' }).optional(),
}, { error: 'a variant must be a mapping of id, arch, title, origin and mechanisms' });

/** Where a zod issue points, as `mechanisms.ready`; and why, in zod's words. */
export function specIssue(error: z.ZodError): { field: string; message: string } {
  // A misspelt key is the likelier cause of a "missing" one: report it first.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    return { field, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}` };
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return { field, message: 'is missing' };
  return { field, message: issue.message };
}

/** Validates a spec's shape; `source` names where it came from in the message. */
export function parseVariantSpec(input: unknown, source = 'variant'): VariantSpec {
  const parsed = variantSpecSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const { field, message } = specIssue(parsed.error);
    throw new BadInputError(`${source}: ${field === '' ? '' : `${field}: `}${message}`);
  }
  return keepProtoKnob(input, parsed.data);
}

/**
 * zod's record drops a `__proto__` key that YAML made an own property, so `knobs: { __proto__: 1 }`
 * passed unseen while `constructor` was refused: it is put back, as an own property, for
 * composeVariant() to refuse with the known knobs (scenarios check their raw keys the same way,
 * core/scenario/bounds.ts).
 */
function keepProtoKnob(input: unknown, spec: VariantSpec): VariantSpec {
  const raw = typeof input === 'object' && input !== null ? (input as { knobs?: unknown }).knobs : undefined;
  if (typeof raw !== 'object' || raw === null || !Object.hasOwn(raw, '__proto__')) return spec;
  const knobs = { ...spec.knobs };
  Object.defineProperty(knobs, '__proto__', { value: Object.getOwnPropertyDescriptor(raw, '__proto__')?.value, enumerable: true });
  return { ...spec, knobs };
}

/** What a mechanism's fragment may read when the backend is built. */
export interface FragmentEnv {
  readonly ctx: VariantContext;
  /** The scenario's knobs over the hidden defaults of the mechanisms picked (Mechanism.knobs). */
  readonly knobs: Readonly<Record<string, number>>;
  /** Cycles of the run's cost table to ns. */
  ns(cycles: number): number;
  readonly arch: ArchDefinition;
  /** The backend as laid so far, for a fragment that wraps an earlier one (guestCall, guestInit). */
  readonly base: Backend<any, any>;
}

/** The part of a backend one mechanism supplies. */
export type BackendFragment = Partial<Omit<Backend<any, any>, 'caps' | 'arch' | 'costs' | 'exitNames' | 'findings'>> & {
  readonly caps?: Partial<Backend['caps']>;
};

export interface Mechanism {
  /** The one-line description `show` prints for this dimension. */
  readonly text: string;
  /** Defaults of knobs this mechanism reads that are not scenario knobs (set through the harness or a spec). */
  readonly knobs?: Readonly<Record<string, number>>;
  /** Its part of the backend; none for a mechanism that needs nothing beyond the others. */
  readonly fragment?: (env: FragmentEnv) => BackendFragment;
  /**
   * What it needs of the knobs beyond their own range, as `knob: value why`, or null: checked on a
   * variant file's knobs (naming the file) and, at each build, on the scenario's.
   */
  readonly needs?: (knobs: Readonly<Record<string, number>>) => string | null;
}

export type Catalogue = { readonly [D in Dimension]: Readonly<Record<string, Mechanism>> };

/**
 * A compatibility rule: a spec that picks one of `ids` in `dimension` must pick one of
 * `requires.ids` in `requires.dimension`, or it is refused with `reason`.
 */
export interface CompatibilityRule {
  readonly dimension: Dimension;
  readonly ids: readonly string[];
  readonly requires: { readonly dimension: Dimension; readonly ids: readonly string[] };
  readonly reason: string;
}

/** What an architecture gives every variant on it, and its catalogue and rules. */
export interface ArchDefinition {
  readonly arch: string;
  readonly costs: CostTable;
  readonly costKeys: CostKeys;
  readonly exitNames: ExitNames;
  /** The knobs a scenario sets under `arch.<arch>`, with their defaults. */
  readonly knobs: Readonly<Record<string, number>>;
  readonly checkKnobs: (knobs: Readonly<Record<string, number>>) => void;
  readonly asyncPfPerVcpu: number;
  readonly irqOrder: Backend['caps']['irqOrder'];
  /** Backend.apfRunnable() of every variant on the arch; a mechanism may supply its own. */
  readonly apfRunnable: (vcpu: KvmVcpu) => boolean;
  readonly ipi: (knobs: Readonly<Record<string, number>>) => IpiCaps;
  /** Lines whose EOI exits (Backend caps.eoiExit), from the VMM's choice of lines. */
  readonly eoiExit: (knobs: Readonly<Record<string, number>>) => Backend['caps']['eoiExit'];
  /** The guest kernel's exception code, timed at the run's clock (core/guest/code-layout.ts). */
  readonly codeLayout: (clockMHz: number) => CodeLayout;
  /** What a host of this architecture without async PF answers a guest call (never a lab error). */
  readonly noApfGuestCall: (vcpu: KvmVcpu, call: GuestCall) => GuestCallExit;
  readonly catalogue: Catalogue;
  readonly rules: readonly CompatibilityRule[];
  /**
   * Why a mechanism of another architecture does not exist here, by id prefix (`pf-` → "arm64
   * has no #PF: …"); without an entry the message only says which architecture has it.
   */
  readonly missing: Readonly<Record<string, string>>;
}

/** The description of each picked mechanism, as `show` and the run's metrics print them. */
export function mechanismTexts(spec: VariantSpec, def: ArchDefinition): Mechanisms {
  return Object.fromEntries(DIMENSIONS.map((d) => [d, def.catalogue[d][spec.mechanisms[d]].text])) as unknown as Mechanisms;
}

const quote = (id: string) => JSON.stringify(id);

/**
 * Refuses a spec whose mechanisms do not exist on its architecture or cannot go together, naming
 * the dimension and the reason. `others` are the other architectures, so that an id of theirs is
 * recognised and the message says where it exists.
 */
export function checkCompatibility(spec: VariantSpec, def: ArchDefinition, others: readonly ArchDefinition[] = []): void {
  const where = `variant ${spec.id}`;
  for (const d of DIMENSIONS) {
    const id = spec.mechanisms[d];
    if (Object.hasOwn(def.catalogue[d], id)) continue;
    const known = Object.keys(def.catalogue[d]).join(', ');
    const elsewhere = others.filter((o) => o.arch !== def.arch && Object.hasOwn(o.catalogue[d], id)).map((o) => o.arch);
    if (elsewhere.length > 0) {
      const prefix = Object.keys(def.missing).find((p) => id.startsWith(p));
      const why = prefix === undefined ? `${def.arch} has no such mechanism` : def.missing[prefix];
      throw new BadInputError(`${where}: ${d}: ${quote(id)} exists on ${elsewhere.join(', ')} only; ${why} (known on ${def.arch}: ${known})`);
    }
    throw new BadInputError(`${where}: ${d}: unknown mechanism ${quote(id)} on ${def.arch} (known: ${known})`);
  }
  for (const rule of def.rules) {
    if (!rule.ids.includes(spec.mechanisms[rule.dimension])) continue;
    const other = spec.mechanisms[rule.requires.dimension];
    if (rule.requires.ids.includes(other)) continue;
    const need = rule.requires.ids.length === 1 ? quote(rule.requires.ids[0]) : `one of ${rule.requires.ids.map(quote).join(', ')}`;
    throw new BadInputError(
      `${where}: ${rule.dimension}: ${quote(spec.mechanisms[rule.dimension])} cannot go with ${rule.requires.dimension} ${quote(other)}: ${rule.reason} (needs ${rule.requires.dimension} ${need})`,
    );
  }
  if (spec.baseline === true && spec.mechanisms.eligibility !== NEVER_ASYNC) {
    throw new BadInputError(`${where}: eligibility: a no-APF baseline never starts an APF (needs eligibility ${quote(NEVER_ASYNC)}, got ${quote(spec.mechanisms.eligibility)})`);
  }
  if (spec.knobs !== undefined) {
    for (const key of Object.keys(spec.knobs)) {
      if (!Object.hasOwn(def.knobs, key) && !DIMENSIONS.some((d) => Object.hasOwn(def.catalogue[d][spec.mechanisms[d]].knobs ?? {}, key))) {
        throw new BadInputError(`${where}: knobs: ${key} is not a knob of ${def.arch} or of the mechanisms picked (known: ${Object.keys(def.knobs).join(', ')})`);
      }
    }
    // The values too, here, so that a bad one is the variant file's fault and not a scenario's.
    try {
      def.checkKnobs({ ...def.knobs, ...spec.knobs });
    } catch (e) {
      if (e instanceof BadInputError) throw new BadInputError(`${where}: knobs: ${e.message.replace(/^scenario arch\.[\w-]+\./, '')}`);
      throw e;
    }
    for (const d of DIMENSIONS) {
      const problem = def.catalogue[d][spec.mechanisms[d]].needs?.({ ...def.knobs, ...spec.knobs });
      if (problem) throw new BadInputError(`${where}: knobs: ${problem}`);
    }
  }
}

/** The eligibility of a no-APF baseline: every host-missing fault is synchronous. */
export const NEVER_ASYNC = 'never-async';

/** The order fragments are laid in: later ones may wrap what earlier ones supplied. */
const LAYING_ORDER: readonly Dimension[] = ['enable', 'token', 'eligibility', 'notPresent', 'ready', 'wake', 'ack'];

function createBackend(spec: VariantSpec, def: ArchDefinition, ctx: VariantContext): Backend<any, any> {
  def.checkKnobs(ctx.knobs);
  const picked = LAYING_ORDER.map((d) => def.catalogue[d][spec.mechanisms[d]]);
  const knobs = Object.assign({}, ...picked.map((m) => m.knobs ?? {}), ctx.knobs) as Record<string, number>;
  for (const m of picked) {
    const problem = m.needs?.(knobs);
    if (problem) throw new BadInputError(`scenario arch.${def.arch}.${problem}`);
  }
  const unused = () => {
    throw new Error(`${spec.id}: an APF hook was called that none of its mechanisms supplies`);
  };
  // What a design that never starts an APF has; each mechanism replaces its part.
  let backend: Backend<any, any> = {
    arch: def.arch,
    caps: {
      asyncPfPerVcpu: def.asyncPfPerVcpu,
      ackRequired: false,
      undeliveredWait: 'halt',
      notInjectedWait: null,
      readyOnlyIfNotPresentInjected: true,
      irqOrder: def.irqOrder,
      guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false },
      irqVsRefault: null,
      forbiddenNotPresent: [],
      ipi: def.ipi(ctx.knobs),
      eoiExit: def.eoiExit(ctx.knobs),
      offlineWindow: { exits: 0, irqsMasked: true },
      codeLayout: def.codeLayout(ctx.costOverrides.clockMHz),
    },
    costs: exitCostsFromTable(ctx.costOverrides, def.costKeys),
    findings: spec.findings ?? [],
    exitNames: def.exitNames,
    createVcpuState: () => null,
    apfRunnable: def.apfRunnable,
    guestInit: () => {},
    // The fault always exits unless a mechanism has the CPU raise it in the guest.
    faultInGuest: () => false,
    canDoAsyncPf: unused,
    setupAsyncPf: unused,
    canDeliverAsyncPf: unused,
    asyncPageNotPresent: unused,
    asyncPagePresentQueued: unused,
    canDequeueAsyncPagePresent: unused,
    asyncPageReady: unused,
    asyncPagePresent: unused,
    guestCall: def.noApfGuestCall,
    // Without APF the VMM restores nothing of it, the guest disables nothing, a reset clears nothing of it.
    vcpuMigrated: () => {},
    guestCpuOffline: () => {},
    guestCpuDownPrepare: () => {},
    guestCpuOnline: () => {},
    vcpuReset: () => {},
    conditions: () => [],
  };
  const ns = (cycles: number) => cyclesToNs(cycles, ctx.costOverrides.clockMHz);
  for (const m of picked) {
    if (m.fragment === undefined) continue;
    const { caps, ...hooks } = m.fragment({ ctx, knobs, ns, arch: def, base: backend });
    backend = { ...backend, ...hooks, caps: { ...backend.caps, ...caps } };
  }
  return backend;
}

/**
 * Builds a Variant from a spec on its architecture, after checking the combination. The result is
 * what `run`, `compare` and `show` take, whether the spec is a built-in or came from a file.
 */
export function composeVariant(spec: VariantSpec, def: ArchDefinition, others: readonly ArchDefinition[] = []): Variant {
  if (spec.arch !== def.arch) throw new BadInputError(`variant ${spec.id}: arch ${quote(spec.arch)} composed as ${def.arch}`);
  checkCompatibility(spec, def, others);
  const mechanismIds = Object.fromEntries(DIMENSIONS.map((d) => [d, spec.mechanisms[d]])) as unknown as MechanismIds;
  return {
    id: spec.id,
    arch: spec.arch,
    title: spec.title,
    origin: spec.origin,
    mechanisms: mechanismTexts(spec, def),
    mechanismIds,
    ...(spec.baseline === true ? { baseline: true } : {}),
    defaultCosts: def.costs,
    knobs: spec.knobs === undefined ? def.knobs : { ...def.knobs, ...spec.knobs },
    createBackend: (ctx) => createBackend(spec, def, ctx),
  };
}
