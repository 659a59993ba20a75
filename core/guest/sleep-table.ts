/**
 * The guest's async-PF sleep table for one vCPU (Linux arch/x86/kernel/kvm.c, facts/x86.md §3
 * "Sleep table"): a token maps to the task sleeping on it, or to a dummy when the wake came
 * first ("wake up was delivered ahead of PF").
 */
export const DUMMY = -2;
export const WAKE_ALL = 0xffffffff;

export class SleepTable {
  private readonly nodes = new Map<number, number>();

  /** kvm_async_pf_queue_task(): returns true if the task must sleep, false if a dummy was eaten. */
  queue(token: number, taskId: number): boolean {
    if (this.nodes.get(token) === DUMMY) {
      this.nodes.delete(token);
      return false;
    }
    this.nodes.set(token, taskId);
    return true;
  }

  /** kvm_async_pf_task_wake(): the task ids to wake (none means a dummy was left). */
  wake(token: number): number[] {
    if (token === WAKE_ALL) {
      const all: number[] = [];
      for (const [t, id] of [...this.nodes.entries()].sort((a, b) => a[0] - b[0])) {
        this.nodes.delete(t);
        if (id !== DUMMY) all.push(id);
      }
      return all;
    }
    const id = this.nodes.get(token);
    if (id === undefined) {
      this.nodes.set(token, DUMMY);
      return [];
    }
    if (id === DUMMY) return []; // a second wake for the same token: nothing more to do
    this.nodes.delete(token);
    return [id];
  }

  /** Dummies nobody consumed: the 2010 leak (facts/x86.md §6 "Dummy-entry leak"). */
  get dummies(): number {
    let n = 0;
    for (const id of this.nodes.values()) if (id === DUMMY) n++;
    return n;
  }

  get sleepers(): number {
    return this.nodes.size - this.dummies;
  }
}
