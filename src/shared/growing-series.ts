/**
 * A Float64Array that doubles as it fills, so a pass over a run's rows needs
 * no count of them first (a COUNT over a million-request run costs about a
 * tenth of the report).
 */
export class GrowingSeries {
  private data: Float64Array;
  private length = 0;

  /** `initialCapacity`: values expected; the series grows past it. Default 1024. */
  constructor(initialCapacity = 1024) {
    this.data = new Float64Array(Math.max(16, initialCapacity));
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  /** Appends every value of `values`, in order. */
  pushAll(values: Float64Array): void {
    let size = this.data.length;
    while (size < this.length + values.length) size *= 2;
    if (size !== this.data.length) {
      const next = new Float64Array(size);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }

  /** The values pushed so far, as a view (no copy). */
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
