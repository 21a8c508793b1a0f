import v8 from 'node:v8';

/**
 * V8 flags this process set for itself after it started. V8 rejects a code cache made under other
 * flags, so they are part of a code cache's key (see code-cache.ts) along with the command line's.
 */
export const runtimeV8Flags: string[] = [];

/**
 * How much a function runs before V8 considers optimizing it: ~15 times V8's default (67,584). A
 * short command (one `scout index`, `scout triage`) spent about a quarter of its CPU in V8's
 * optimizing compiler, on a second core that LanceDB and git also want, for code it runs only
 * briefly. Asking later, django's 50-commit update in a new process took 1.91 s against 2.05 s and
 * 3.2 s of CPU against 3.7 s (median of 8 alternating runs); a full index was no slower (16.9 s
 * against 17.4 s). Long-lived processes (the app's server and workers, benchmarks) keep the
 * default: they run the same code for hours.
 */
const SHORT_RUN_INTERRUPT_BUDGET = 1_000_000;

let shortRun = false;

function setFlag(flag: string): void {
  if (runtimeV8Flags.includes(flag)) return;
  v8.setFlagsFromString(flag);
  runtimeV8Flags.push(flag);
}

/** Lets V8 optimize less eagerly for the rest of this process's short life (see above). Once per process. */
export function tuneForShortRun(): void {
  shortRun = true;
  setFlag(`--interrupt-budget=${SHORT_RUN_INTERRUPT_BUDGET}`);
}

/**
 * In a short run (`tuneForShortRun`) that will parse little, such as an update of a few files:
 * WebAssembly (the tree-sitter grammars) is compiled by V8's baseline compiler only, never its
 * optimizing one. Optimizing the grammars' large functions costs a new process ~7,000 page faults
 * (~11 µs each on this VM) and ~0.1 s of CPU on the core git and LanceDB use; baseline code parses
 * about a third slower, which only pays off over megabytes. Measured: the first 1.4 MB of django's
 * Python parsed 310 against 330 ms (1,100 against 8,500 page faults), later ones 300 against
 * 220 ms; django's 50-commit update (84 files) in a new process 52,500 against 59,000 page faults,
 * ~0.1 s less CPU. Call it before the first grammar loads: V8 reads the flag as it compiles.
 */
export function tuneForSmallUpdate(): void {
  if (shortRun) setFlag('--liftoff-only');
}
