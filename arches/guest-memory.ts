/**
 * The guest memory a VM's paravirtual async-PF areas live in: the u32 words KVM and the guest
 * write there, keyed by GPA. One store per VM, shared by its vCPUs, as guest memory is: a vCPU
 * whose enable names another CPU's area has its host write into that CPU's area. Each
 * architecture says where host and guest reach an area (arches/x86/guest-memory.ts,
 * arches/arm64/control-block.ts).
 *
 * Lab assumption: a word nobody wrote reads 0 (guest memory the APF protocol has not touched,
 * including GPA 0, is taken to be zero).
 */
export class ApfGuestMemory {
  private readonly words = new Map<bigint, number>();

  read32(gpa: bigint): number {
    return this.words.get(gpa) ?? 0;
  }

  write32(gpa: bigint, value: number): void {
    if (value === 0) this.words.delete(gpa);
    else this.words.set(gpa, value >>> 0);
  }
}
