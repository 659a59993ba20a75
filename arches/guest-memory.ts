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
  /** Keyed by the GPA as a number: exact, since every area lies inside guest memory (below 2^53 bytes). */
  private readonly words = new Map<number, number>();

  read32(gpa: bigint): number {
    return this.readAt(Number(gpa));
  }

  write32(gpa: bigint, value: number): void {
    this.writeAt(Number(gpa), value);
  }

  /** read32() for a GPA already held as a number (the hot paths: no BigInt arithmetic). */
  readAt(gpa: number): number {
    return this.words.get(gpa) ?? 0;
  }

  /** A word once written keeps its entry (0 included): a protocol writes few words, and often. */
  writeAt(gpa: number, value: number): void {
    this.words.set(gpa, value >>> 0);
  }
}
