/**
 * What `apf-lab patch` reads a kernel patch into (DESIGN.md "Outputs"): messages (one per mail of a
 * series or mbox), each with its headers, commit message and unified diff, and the reviewers'
 * comments. Plain data: the command prints it as JSON as it is.
 */

/** One line of a hunk, with where it sits in the old and the new file (null on the side it is not in). */
export interface PatchLine {
  readonly kind: '+' | '-' | ' ';
  readonly text: string;
  readonly oldLine: number | null;
  readonly newLine: number | null;
}

/** Names one hunk of a series: its message (1-based), its file and its place in that file (1-based). */
export interface HunkRef {
  readonly message: number;
  readonly path: string;
  readonly hunk: number;
  /** `@@ -a,b +c,d @@` and the section heading git printed after it, if any. */
  readonly header: string;
}

export interface PatchHunk extends HunkRef {
  readonly oldStart: number;
  readonly oldLines: number;
  readonly newStart: number;
  readonly newLines: number;
  readonly added: number;
  readonly removed: number;
  readonly lines: readonly PatchLine[];
}

export interface PatchFile {
  /** The file's path after the patch (before it, for a deleted file), without git's a/ b/ prefixes. */
  readonly path: string;
  /** The path before the patch when it differs (a rename, or the file a copy is made from), else null. */
  readonly oldPath: string | null;
  readonly status: 'modified' | 'added' | 'deleted' | 'renamed' | 'copied';
  readonly added: number;
  readonly removed: number;
  readonly hunks: readonly PatchHunk[];
}

/**
 * A merge's combined diff (`diff --cc`/`diff --combined`) for one file: not read (its lines are
 * against two or more parents, not one), so it is in no count; it is reported instead.
 */
export interface CombinedSection {
  readonly path: string;
  readonly hunks: number;
  /** Its `diff --cc` line in the input file (1-based). */
  readonly line: number;
}

/** A `N files changed, I insertions(+), D deletions(-)` line: what a cover letter carries instead of hunks. */
export interface Diffstat {
  readonly files: number;
  readonly insertions: number;
  readonly deletions: number;
}

export type MessageKind = 'patch' | 'cover-letter' | 'reply';

export interface PatchMessage {
  /** 1-based, in the order of the files given and of the mails in each. */
  readonly number: number;
  /** The input file it came from, as given on the command line. */
  readonly source: string;
  readonly kind: MessageKind;
  readonly subject: string | null;
  readonly from: string | null;
  readonly date: string | null;
  readonly messageId: string | null;
  /** The commit's own text: the body before the diff (with git's `---` and diffstat, if any). */
  readonly commitMessage: readonly string[];
  readonly diffstat: Diffstat | null;
  readonly files: readonly PatchFile[];
  /** The merge (combined-diff) sections of its diff, not read and so not in `files`. */
  readonly combined: readonly CombinedSection[];
}

/** A reviewer's mail or a review page's comment, before it is matched to what it quotes. */
export interface RawComment {
  readonly number: number;
  readonly source: string;
  readonly author: string;
  readonly date: string | null;
  readonly body: readonly string[];
  /**
   * A mail's Message-ID and In-Reply-To (without `<>`), and its Subject: which mail of the thread it
   * answers. Absent on a review page's comment, which answers the page's one patch.
   */
  readonly messageId?: string | null;
  readonly inReplyTo?: string | null;
  readonly subject?: string | null;
}

/** What the reader got out of every input file. */
export interface PatchInput {
  readonly files: readonly { readonly path: string; readonly bytes: number; readonly messages: number; readonly comments: number }[];
  readonly messages: readonly PatchMessage[];
  readonly comments: readonly RawComment[];
}

export function hunksOf(messages: readonly PatchMessage[]): PatchHunk[] {
  return messages.flatMap((m) => m.files.flatMap((f) => f.hunks));
}
