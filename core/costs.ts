/** Converts a cost-table entry in cycles to integer nanoseconds at the table's clock (facts/anchors.md §A6). */
export function cyclesToNs(cycles: number, clockMHz: number): number {
  return Math.round((cycles * 1000) / clockMHz);
}
