import type { Task } from './task.js';

/**
 * The queue of EEVDF's cfs_rq as kernel/sched/fair.c keeps it: a search tree ordered by virtual
 * deadline (ties: queued first), each subtree knowing its least vruntime (the rbtree augmented with
 * min_vruntime), so that pick_eevdf()'s descent finds the eligible task with the earliest deadline in
 * O(log n). A treap (heap-ordered on a priority hashed from the queued order, so deterministic)
 * stands in for the rbtree; the order it keeps is the same.
 */
interface DeadlineNode {
  readonly task: Task;
  readonly seq: number;
  readonly prio: number;
  left: DeadlineNode | null;
  right: DeadlineNode | null;
  /** The least vruntime in this subtree. */
  minV: number;
}

type Node = DeadlineNode;

export class DeadlineTree {
  private root: Node | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The least vruntime queued (the tree's min_vruntime); Infinity when empty. */
  get leftmostVruntime(): number {
    return this.root?.minV ?? Infinity;
  }

  /** A task joins; its node hangs on the task (Task.rqNode) while it is queued, so that no map churns. */
  insert(task: Task, seq: number): void {
    const node: Node = { task, seq, prio: mix(seq), left: null, right: null, minV: task.vruntime };
    split(this.root, task.deadline, seq);
    const hi = splitHi;
    this.root = merge(merge(splitLo, node), hi);
    task.rqNode = node;
    this.count++;
  }

  remove(task: Task): void {
    const node = task.rqNode as Node;
    split(this.root, task.deadline, node.seq);
    const lo = splitLo;
    split(splitHi, task.deadline, node.seq + 1);
    this.root = merge(lo, splitHi);
    task.rqNode = null;
    this.count--;
  }

  /** The queued order of a task (its tie-break). */
  seqOf(task: Task): number {
    return (task.rqNode as Node).seq;
  }

  /**
   * pick_eevdf()'s descent: the task with the earliest deadline among those `eligible` says yes to
   * (by vruntime, eligibility being vruntime ≤ V), or undefined if none is.
   */
  earliestEligible(eligible: (vruntime: number) => boolean): Task | undefined {
    let node = this.root;
    while (node) {
      // Eligible tasks on the left have earlier deadlines: they win.
      if (node.left && eligible(node.left.minV)) {
        node = node.left;
        continue;
      }
      if (eligible(node.task.vruntime)) return node.task;
      node = node.right;
    }
    return undefined;
  }

  /** Every queued task, earliest deadline first. */
  inOrder(): Task[] {
    const out: Task[] = [];
    this.forEach((t) => out.push(t));
    return out;
  }

  /** Each queued task in order, with no list built (a balance looks at every one). */
  forEach(visit: (t: Task) => void): void {
    walk(this.root, visit);
  }

  clear(): void {
    for (const t of this.inOrder()) t.rqNode = null;
    this.root = null;
    this.count = 0;
  }
}

function walk(n: Node | null, visit: (t: Task) => void): void {
  if (!n) return;
  walk(n.left, visit);
  visit(n.task);
  walk(n.right, visit);
}

/** Does (deadline, seq) of `n` come before (deadline, seq)? */
function before(n: Node, deadline: number, seq: number): boolean {
  return n.task.deadline < deadline || (n.task.deadline === deadline && n.seq < seq);
}

/** split()'s two results, left here rather than in a new pair at every level of every split. */
let splitLo: Node | null = null;
let splitHi: Node | null = null;

/** The subtrees of keys before (deadline, seq) and the rest, into splitLo and splitHi. */
function split(n: Node | null, deadline: number, seq: number): void {
  if (!n) {
    splitLo = splitHi = null;
    return;
  }
  if (before(n, deadline, seq)) {
    split(n.right, deadline, seq);
    n.right = splitLo;
    splitLo = update(n);
    return;
  }
  split(n.left, deadline, seq);
  n.left = splitHi;
  splitHi = update(n);
}

/** Two trees, every key of `a` before every key of `b`, as one. */
function merge(a: Node | null, b: Node | null): Node | null {
  if (!a) return b;
  if (!b) return a;
  if (a.prio > b.prio) {
    a.right = merge(a.right, b);
    return update(a);
  }
  b.left = merge(a, b.left);
  return update(b);
}

function update(n: Node): Node {
  let m = n.task.vruntime;
  if (n.left && n.left.minV < m) m = n.left.minV;
  if (n.right && n.right.minV < m) m = n.right.minV;
  n.minV = m;
  return n;
}

/** A treap priority from the queued order: MurmurHash3's finaliser, so that it is unrelated to the deadlines. */
function mix(seq: number): number {
  let h = seq | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
