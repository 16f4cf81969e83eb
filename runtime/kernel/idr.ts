/**
 * The IDR: one per device for objects of every type, handle -> entry, by dense array.
 * Freed handles are reused, newest first; allocation and lookup are O(1).
 */
export class Idr<T> {
  private readonly slots: (T | undefined)[] = [];
  private readonly free: number[] = [];
  private live = 0;

  /** Stores `value` under a free handle and returns the handle. */
  alloc(value: T): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.slots.length;
    this.slots[id] = value;
    this.live++;
    return id;
  }

  get(id: number): T | undefined {
    return id >= 0 && id < this.slots.length ? this.slots[id] : undefined;
  }

  remove(id: number): void {
    if (this.slots[id] === undefined) return;
    this.slots[id] = undefined;
    this.free.push(id);
    this.live--;
  }

  get size(): number {
    return this.live;
  }

  *values(): IterableIterator<T> {
    for (const v of this.slots) if (v !== undefined) yield v;
  }
}
