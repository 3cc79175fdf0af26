/**
 * The walks of an `Rhash` (its `entries`, `keys` and `values` iterators) and how a delete keeps
 * them exact.
 *
 * A walk goes down the element arena: slots at and above its `top` are behind it (yielded, or
 * holding elements it yielded). A delete fills its hole with the arena's last element; when that
 * element was already yielded and the hole is still ahead of the walk, the hole's slot is put
 * in `behind`, so the walk passes it instead of yielding the element again.
 *
 * @module
 */

/** Walks remembered by a store above this count prune dead ones. */
const WALKS_PRUNE = 8;

/** Where one walk is. */
export interface Walk {
  /** Slots at and above this are behind the walk. */
  top: number;
  /** Slots below `top` the walk must pass (their elements were yielded before they moved). */
  behind: Set<number> | null;
}

/**
 * The slot the walk yields next (it is then behind the walk), or -1 at the end.
 *
 * @param w The walk.
 * @returns An arena slot, or -1.
 */
export function step(w: Walk): number {
  let e = w.top - 1;
  const behind = w.behind;
  if (behind !== null) {
    while (e >= 0 && behind.delete(e)) e--;
  }
  w.top = e < 0 ? 0 : e;
  return e;
}

/**
 * The walks of one store not yet finished, held weakly: a walk its consumer dropped half way
 * is collected with its iterator.
 */
export class Walks {
  #refs: WeakRef<Walk>[] = [];

  /** Whether any walk is remembered (a delete then calls {@linkcode Walks.noteRemoval}). */
  get active(): boolean {
    return this.#refs.length !== 0;
  }

  /**
   * A new walk from the top of an arena of `nelems` elements, remembered.
   *
   * @param nelems The arena's live elements.
   * @returns The walk.
   */
  start(nelems: number): Walk {
    const w: Walk = { top: nelems, behind: null };
    if (this.#refs.length >= WALKS_PRUNE) {
      this.#refs = this.#refs.filter((ref) => ref.deref() !== undefined);
    }
    this.#refs.push(new WeakRef(w));
    return w;
  }

  /**
   * Forgets a finished (or returned) walk.
   *
   * @param w The walk.
   */
  end(w: Walk): void {
    const refs = this.#refs;
    for (let i = refs.length - 1; i >= 0; i--) {
      if (refs[i]!.deref() === w) {
        refs.splice(i, 1);
        return;
      }
    }
  }

  /** Leaves every walk under way nothing to yield (the store was cleared). */
  clear(): void {
    for (const ref of this.#refs) {
      const w = ref.deref();
      if (w !== undefined) w.top = 0, w.behind = null;
    }
  }

  /**
   * Keeps every walk exact across the removal of slot `e`, which moves the element in slot
   * `last` (the arena's top) into it. A hole ahead of a walk (below its top) filled with an
   * element the walk is done with is marked behind; one filled with an element still ahead
   * stays ahead. The top then clamps to the shrunk arena, so elements inserted later (appended
   * at the top) are not yielded.
   *
   * @param e The slot emptied.
   * @param last The arena's last slot, whose element moves into `e`.
   */
  noteRemoval(e: number, last: number): void {
    const refs = this.#refs;
    let live = 0;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const w = ref.deref();
      if (w === undefined) continue;
      refs[live++] = ref;
      const top = w.top;
      if (e < top) {
        const behind = w.behind;
        // Slot `last` dies either way; whether its element was yielded moves with it.
        const done = last >= top || (behind !== null && behind.delete(last));
        if (e === last || !done) behind?.delete(e);
        else if (behind === null) w.behind = new Set([e]);
        else behind.add(e);
      }
      if (top > last) w.top = last;
    }
    refs.length = live;
  }
}
