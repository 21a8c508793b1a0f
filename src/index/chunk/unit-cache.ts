/**
 * Parsed units (segments of files) kept between index runs, so an incremental run parses only
 * the segments whose text changed. A unit's result is a function of its text and how it is
 * parsed, which the key covers; the path only says which file's rows hold it.
 */
import { hash } from 'node:crypto';
import type { SegmentRow } from '../../store/schema.ts';

export interface UnitCache {
  /** The result (JSON) cached under `key`, if any. */
  get(key: string): string | undefined;
  /** Records that `path` holds the unit `key` with this result (JSON), whether it was cached or parsed. */
  put(path: string, key: string, value: string): void;
}

/** Bump when what a unit's result holds changes, so older results are not reused. */
const UNIT_FORMAT = 2;

/** The key of a unit: how it is parsed (`mode`, e.g. the class its members belong to) and its text. */
export function unitKey(language: string, mode: string, text: string): string {
  return hash('sha1', `${UNIT_FORMAT}\0${language}\0${mode}\0${text}`);
}

/** A cache read from stored rows, which gathers the rows of the files chunked with it (to be stored in turn). */
export class MemoryUnitCache implements UnitCache {
  private readonly known = new Map<string, string>();
  private readonly used = new Map<string, SegmentRow>();

  constructor(rows: Iterable<Pick<SegmentRow, 'key' | 'value'>> = []) {
    for (const row of rows) this.known.set(row.key, row.value);
  }

  get(key: string): string | undefined {
    return this.known.get(key);
  }

  put(path: string, key: string, value: string): void {
    this.known.set(key, value);
    this.used.set(`${path}\0${key}`, { path, key, value });
  }

  /** The rows of every unit put since the cache was made. */
  rows(): SegmentRow[] {
    return [...this.used.values()];
  }
}
