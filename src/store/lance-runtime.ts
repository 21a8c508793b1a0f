import os from 'node:os';

/**
 * Imported before `@lancedb/lancedb`. On a 2-core machine LanceDB 0.31 sizes its CPU pool to 2
 * threads, and building a full-text index over ~35,000+ rows then deadlocks (the process idles
 * forever in `createIndex`); 4+ CPU threads and a deeper FTS write queue avoid it (checked on
 * django's chunks table). A user's own setting wins.
 */
process.env.LANCE_CPU_THREADS ??= String(Math.max(4, os.availableParallelism()));
process.env.LANCE_FTS_WRITE_QUEUE_SIZE ??= '64';
// LanceDB's native logger warns on every table it creates ("No existing dataset … will be created"):
// noise on a CLI's stderr. Errors still show; LANCEDB_LOG=info (or debug) brings the rest back.
process.env.LANCEDB_LOG ??= 'error';
