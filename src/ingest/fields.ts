/**
 * Small readers for untyped JSON that mappers share. Mappers build canonical events from these, leaving
 * a field `undefined` when the input has nothing usable; `undefined` fields vanish when stored as JSON.
 */
import { LIMITS } from '../event-log/canonical-event.ts';

export type Dict = Record<string, unknown>;

/** The value as a plain object, or an empty one. */
export const asDict = (value: unknown): Dict =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Dict) : {};

/** A non-empty string of at most `max` characters, or undefined. */
export const text = (value: unknown, max: number = LIMITS.text): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;

/** A boolean, or undefined. */
export const asBoolean = (value: unknown): boolean | undefined =>
  typeof value === 'boolean' ? value : undefined;

/** The object, or undefined when every value in it is undefined (so empty groups are not stored). */
export function nonEmpty<T extends object>(value: T): T | undefined {
  for (const key in value) if (value[key] !== undefined) return value;
  return undefined;
}
