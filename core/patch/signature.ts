import { DEFAULT_GROUP } from './footprint-rules.js';
import { groupOf } from './footprint.js';
import type { PatchMessage } from './model.js';

/**
 * A mechanism signature: an identifier or idiom whose appearance on an added line says that a
 * patch implements one APF mechanism. Architectures keep their tables (arches/<arch>/patch-
 * signatures.ts, each rule citing facts/); core only scans for them, as data.
 */

/** The mechanism slots of a variant (core/backend.ts Mechanisms), in the order `show` prints them. */
export const SLOTS = ['enable', 'notPresent', 'ready', 'token', 'eligibility', 'wake', 'ack'] as const;
export type Slot = (typeof SLOTS)[number];

export interface PatchSignature {
  readonly id: string;
  readonly slot: Slot;
  /** Tested against each added line's text; no g or y flag (a test checks), so it keeps no state. */
  readonly pattern: RegExp;
  /** What the line means, in one line. */
  readonly means: string;
  /** Registered variants this is evidence for (their characteristic signatures). */
  readonly evidenceFor: readonly string[];
  /** Registered variants it speaks against: a design they do not have. */
  readonly against: readonly string[];
  /** facts file and section (or the seed) the rule comes from. */
  readonly cite: string;
  /** A line the rule must match (checked by the tests). */
  readonly example: string;
}

/** One architecture's signatures, and the kernel directory whose files only it reads. */
export interface SignatureSet {
  readonly arch: string;
  /** `arch/<dir>/`: a file under it is scanned with this set only. */
  readonly kernelDir: string;
  readonly signatures: readonly PatchSignature[];
}

export interface Hit {
  readonly signature: PatchSignature;
  readonly arch: string;
  /** The first added line that shows it, in series order. */
  readonly at: { readonly message: number; readonly path: string; readonly line: number; readonly text: string };
  /** How many added lines show it. */
  readonly lines: number;
}

/**
 * The sets a patch is read with: those whose directory it touches, or, when it touches no
 * architecture's directory (only virt/kvm/, include/…), all of them.
 */
export function setsInScope(messages: readonly PatchMessage[], sets: readonly SignatureSet[]): SignatureSet[] {
  const paths = messages.flatMap((m) => m.files.map((f) => f.path));
  const touched = sets.filter((s) => paths.some((p) => p.startsWith(s.kernelDir)));
  return touched.length > 0 ? touched : [...sets];
}

/**
 * Characters of an added line the signatures are tried on. Kernel lines are short; a generated
 * table or a minified blob can have one of hundreds of kilobytes, on which a signature's regular
 * expression would backtrack for seconds. An identifier near the start is still found.
 */
export const SCANNED_LINE_CHARS = 400;

/**
 * Every signature that some added line shows, in the order of the sets and their tables. Only
 * files where APF mechanisms live are read (the host, the guest's arch code, the ABI, the
 * tracepoints: footprint-rules.ts): an interrupt controller driver's `request_percpu_irq()` and
 * `_ACK` register are not a page-ready interrupt and its acknowledgement.
 */
export function detect(messages: readonly PatchMessage[], sets: readonly SignatureSet[]): Hit[] {
  const scope = setsInScope(messages, sets);
  const found = new Map<PatchSignature, { arch: string; at: Hit['at']; lines: number }>();
  for (const m of messages) {
    for (const f of m.files) {
      if (groupOf(f.path) === DEFAULT_GROUP) continue;
      // A file of one architecture is read with its own set; a shared file with every set in scope.
      const own = scope.filter((s) => f.path.startsWith(s.kernelDir));
      const readers = own.length > 0 ? own : scope;
      for (const h of f.hunks) {
        for (const l of h.lines) {
          if (l.kind !== '+') continue;
          for (const s of readers) {
            for (const sig of s.signatures) {
              if (!sig.pattern.test(l.text.length > SCANNED_LINE_CHARS ? l.text.slice(0, SCANNED_LINE_CHARS) : l.text)) continue;
              const prev = found.get(sig);
              if (prev) prev.lines++;
              else found.set(sig, { arch: s.arch, at: { message: m.number, path: f.path, line: l.newLine ?? 0, text: l.text.trim() }, lines: 1 });
            }
          }
        }
      }
    }
  }
  return scope.flatMap((s) => s.signatures.filter((sig) => found.has(sig)).map((sig) => ({ signature: sig, ...found.get(sig)! })));
}
