import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';

/**
 * apache-arrow as LanceDB loads it: `require`d, resolved from LanceDB's own folder. Importing it
 * as ESM too would load a second copy of the package (~200 modules, 0.15-0.3 s of every process
 * start) whose classes LanceDB does not recognise: it takes a table as is only when it is an instance of *its* classes (otherwise it
 * rebuilds it, and rejects the result). So every Arrow value we make comes from this instance.
 */
const lancedbEntry = createRequire(import.meta.url).resolve('@lancedb/lancedb');
export const arrow = createRequire(lancedbEntry)('apache-arrow') as typeof Arrow;
