/** A min-heap of due times; stale entries (the journey moved on) are skipped by the caller. */
export class DueQueue {
  readonly #heap: { due: number; id: string }[] = [];

  push(due: number, id: string): void {
    const heap = this.#heap;
    heap.push({ due, id });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.due <= heap[i]!.due) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  /** Removes and returns the earliest entry due by `now`, or undefined. */
  popDue(now: number): { due: number; id: string } | undefined {
    const heap = this.#heap;
    if (heap.length === 0 || heap[0]!.due > now) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && heap[l]!.due < heap[smallest]!.due) smallest = l;
        if (r < heap.length && heap[r]!.due < heap[smallest]!.due) smallest = r;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
