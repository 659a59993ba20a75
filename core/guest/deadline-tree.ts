import type { Task } from './task.js';

/**
 * The queue of EEVDF's cfs_rq as kernel/sched/fair.c keeps it: a search tree ordered by virtual
 * deadline (ties: queued first), each subtree knowing its least vruntime (the rbtree augmented with
 * min_vruntime), so that pick_eevdf()'s descent finds the eligible task with the earliest deadline in
 * O(log n). A treap (heap-ordered on a priority hashed from the queued order, so deterministic)
 * stands in for the rbtree; the order it keeps is the same.
 */
interface Node {
  readonly task: Task;
  readonly seq: number;
  readonly prio: number;
  left: Node | null;
  right: Node | null;
  /** The least vruntime in this subtree. */
  minV: number;
}

export class DeadlineTree {
  private root: Node | null = null;
  private count = 0;
  private readonly nodes = new Map<Task, Node>();

  get size(): number {
    return this.count;
  }

  /** The least vruntime queued (the tree's min_vruntime); Infinity when empty. */
  get leftmostVruntime(): number {
    return this.root?.minV ?? Infinity;
  }

  insert(task: Task, seq: number): void {
    const node: Node = { task, seq, prio: mix(seq), left: null, right: null, minV: task.vruntime };
    const [lo, hi] = split(this.root, task.deadline, seq);
    this.root = merge(merge(lo, node), hi);
    this.nodes.set(task, node);
    this.count++;
  }

  remove(task: Task): void {
    const node = this.nodes.get(task)!;
    const [lo, rest] = split(this.root, task.deadline, node.seq);
    const [, hi] = split(rest, task.deadline, node.seq + 1);
    this.root = merge(lo, hi);
    this.nodes.delete(task);
    this.count--;
  }

  /** The queued order of a task (its tie-break). */
  seqOf(task: Task): number {
    return this.nodes.get(task)!.seq;
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
    const walk = (n: Node | null): void => {
      if (!n) return;
      walk(n.left);
      out.push(n.task);
      walk(n.right);
    };
    walk(this.root);
    return out;
  }

  clear(): void {
    this.root = null;
    this.count = 0;
    this.nodes.clear();
  }
}

/** Does (deadline, seq) of `n` come before (deadline, seq)? */
function before(n: Node, deadline: number, seq: number): boolean {
  return n.task.deadline < deadline || (n.task.deadline === deadline && n.seq < seq);
}

/** The subtrees of keys before (deadline, seq) and the rest. */
function split(n: Node | null, deadline: number, seq: number): [Node | null, Node | null] {
  if (!n) return [null, null];
  if (before(n, deadline, seq)) {
    const [lo, hi] = split(n.right, deadline, seq);
    n.right = lo;
    return [update(n), hi];
  }
  const [lo, hi] = split(n.left, deadline, seq);
  n.left = hi;
  return [lo, update(n)];
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
