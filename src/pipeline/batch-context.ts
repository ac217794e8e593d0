import type { Transaction } from 'kysely';
import type { Clock } from '../runtime/clock.ts';
import type { Database } from '../store/schema.ts';

/**
 * A named place in a batch's context: the module that fills it declares it (identity its working set,
 * consent its view of consent states), and later stages read it by the same constant, typed.
 */
export class Slot<T> {
  declare readonly value: T;
  constructor(readonly name: string) {}
}

/** What the stages of one batch share: its transaction, the clock, and the slots earlier stages filled. */
export class BatchContext {
  readonly #slots = new Map<Slot<unknown>, unknown>();

  constructor(
    readonly trx: Transaction<Database>,
    readonly clock: Clock,
  ) {}

  provide<T>(slot: Slot<T>, value: T): void {
    if (this.#slots.has(slot)) throw new Error(`batch slot "${slot.name}" is filled twice`);
    this.#slots.set(slot, value);
  }

  /** What an earlier stage left in `slot`; a stage order that reads a slot before it is filled fails loudly. */
  get<T>(slot: Slot<T>): T {
    if (!this.#slots.has(slot))
      throw new Error(`batch slot "${slot.name}" is read before a stage fills it: check the stage order`);
    return this.#slots.get(slot) as T;
  }
}
