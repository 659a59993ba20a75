/**
 * QEMU's postcopy blocktime (migration/postcopy-ram.c mark_postcopy_blocktime_begin() and
 * mark_postcopy_blocktime_end(); QAPI `postcopy-vcpu-blocktime`, `postcopy-blocktime`;
 * facts/anchors.md §A7): per vCPU, the time it sat waiting for a page from the source; overall,
 * the time during which every vCPU was waiting at once.
 *
 * A vCPU is blocked while its own thread sits in a userfault: a synchronous fault on a page still
 * on the source. QEMU finds the vCPU by the faulting thread's id (the uffd message's ptid,
 * get_mem_fault_cpu_index()) and ignores a fault of any other thread, so a fault KVM's async
 * worker takes on a vCPU's behalf is not counted, and neither is the APF halt it causes: there the
 * vCPU thread sleeps in kvm_vcpu_block() (x86 KVM_REQ_APF_HALT) and the worker is in the userfault
 * (QEMU 10.1 reports such faults apart, as `postcopy-non-vcpu-latency`). A vCPU whose guest was told
 * "not present" and runs another task (or idles) is not blocked either; that is what APF is for in
 * post-copy (James Morse, facts/anchors.md §A2). The halt's time is in `vcpuTimeNs.halt`.
 */
export interface BlocktimeTotals {
  readonly overallNs: number;
  readonly perVcpuNs: readonly number[];
}

export class PostcopyBlocktime {
  /** When each vCPU began waiting, or -1. */
  private readonly since: number[];
  /** Closed waits, flat: vCPU, from, to. */
  private readonly waits: number[] = [];

  constructor(readonly vcpus: number) {
    this.since = new Array<number>(vcpus).fill(-1);
  }

  begin(vcpu: number, t: number): void {
    if (this.since[vcpu] < 0) this.since[vcpu] = t;
  }

  end(vcpu: number, t: number): void {
    const from = this.since[vcpu];
    if (from < 0) return;
    this.since[vcpu] = -1;
    if (t > from) this.waits.push(vcpu, from, t);
  }

  /**
   * Totals within [0, windowEnd], a wait still open counting up to windowEnd. The overall figure
   * is a sweep over the waits' ends, since a vCPU's clock may run ahead of another's when it
   * records a wait.
   */
  totals(windowEnd: number): BlocktimeTotals {
    const perVcpuNs = new Array<number>(this.vcpus).fill(0);
    const points: number[] = [];
    const add = (vcpu: number, from: number, to: number) => {
      const a = Math.max(0, from);
      const b = Math.min(to, windowEnd);
      if (b <= a) return;
      perVcpuNs[vcpu] += b - a;
      points.push(a, 1, b, -1);
    };
    for (let i = 0; i < this.waits.length; i += 3) add(this.waits[i], this.waits[i + 1], this.waits[i + 2]);
    this.since.forEach((from, vcpu) => from >= 0 && add(vcpu, from, windowEnd));
    const order = Array.from({ length: points.length / 2 }, (_, i) => i).sort((x, y) => points[2 * x] - points[2 * y]);
    let overallNs = 0;
    let waiting = 0;
    let last = 0;
    for (const i of order) {
      const t = points[2 * i];
      if (waiting === this.vcpus) overallNs += t - last;
      waiting += points[2 * i + 1];
      last = t;
    }
    return { overallNs, perVcpuNs };
  }
}
