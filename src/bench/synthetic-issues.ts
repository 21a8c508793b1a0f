import { Random } from './random.ts';
import { allFunctions, pythonModule, qualifiedName, type CallSite, type PlannedFile, type PlannedFunction } from './synthetic-code.ts';
import { capitalize, plural, withArticle } from './vocabulary.ts';

/**
 * Issues written about known files of the synthetic repository, in the three ways users report
 * bugs: quoting the error, describing the behaviour in their own words, pasting a stack trace.
 * Because the file is known, the bench can report a (synthetic) hit rate next to its timings.
 */

export type IssueStyle = 'error-message' | 'behaviour' | 'stack-trace';

export const ISSUE_STYLES: readonly IssueStyle[] = ['error-message', 'behaviour', 'stack-trace'];

export interface SyntheticIssue {
  number: number;
  title: string;
  body: string;
  style: IssueStyle;
  /** The file the issue is about. */
  target: string;
  /** The function or method it is about (`name` or `Class.name`). */
  symbol: string;
}

interface HeadInfo {
  raiseLines: Map<string, number>;
  calls: CallSite[];
}

export function writeIssues(
  files: PlannedFile[],
  head: ReadonlyMap<string, HeadInfo>,
  options: { count: number; rng: Random; firstNumber: number; exclude: ReadonlySet<string> },
): SyntheticIssue[] {
  const { rng } = options;
  const candidates = rng.sample(
    files.filter((f) => (f.kind === 'python' || f.kind === 'typescript') && allFunctions(f).length > 0 && !options.exclude.has(f.path)),
    Number.MAX_SAFE_INTEGER,
  );
  if (candidates.length === 0) return [];
  const callers = new Map<string, CallSite[]>();
  for (const info of head.values()) {
    for (const call of info.calls) {
      const key = `${call.target}\0${call.symbol}`;
      callers.set(key, [...(callers.get(key) ?? []), call]);
    }
  }
  const issues: SyntheticIssue[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const file = candidates[i % candidates.length];
    const style = ISSUE_STYLES[i % ISSUE_STYLES.length];
    // A stack trace reads best through a caller: prefer a function some other module calls.
    const called = file.functions.filter((fn) => callers.has(`${file.path}\0${fn.name}`));
    const fn = style === 'stack-trace' && called.length > 0 ? rng.pick(called) : rng.pick(allFunctions(file));
    const info = head.get(file.path)!;
    const sites = fn.owner ? [] : (callers.get(`${file.path}\0${fn.name}`) ?? []);
    const write = style === 'error-message' ? errorMessageIssue : style === 'behaviour' ? behaviourIssue : stackTraceIssue;
    const { title, body } = write(file, fn, rng, {
      raiseLine: info.raiseLines.get(qualifiedName(fn)) ?? 1,
      caller: sites.length > 0 ? rng.pick(sites) : undefined,
    });
    issues.push({ number: options.firstNumber + i, title, body, style, target: file.path, symbol: qualifiedName(fn) });
  }
  return issues;
}

interface TraceFacts {
  raiseLine: number;
  caller?: CallSite;
}

function errorName(file: PlannedFile, fn: PlannedFunction): string {
  if (file.kind === 'python' && fn.errorClass === file.errorClass) return `${pythonModule(file.path)}.${fn.errorClass}`;
  return fn.errorClass;
}

function environment(file: PlannedFile, rng: Random): string {
  return file.kind === 'python'
    ? `Python 3.${rng.int(10, 12)}, shop ${rng.int(1, 3)}.${rng.int(0, 9)}.${rng.int(0, 9)}, ${rng.pick(['Ubuntu 22.04', 'macOS 14', 'Debian 12'])}`
    : `Node ${rng.pick(['18', '20', '22'])}, ${rng.pick(['Chrome 126', 'Firefox 127', 'Safari 17'])}, web ${rng.int(1, 3)}.${rng.int(0, 9)}.${rng.int(0, 9)}`;
}

function errorMessageIssue(file: PlannedFile, fn: PlannedFunction, rng: Random): { title: string; body: string } {
  const title = rng.chance(0.5) ? `${fn.errorClass}: ${fn.message}` : `"${fn.message}" when ${fn.verb.ing} ${withArticle(fn.noun)}`;
  const body = [
    `When I try to ${fn.verb.base} ${withArticle(fn.noun)} for one of our ${plural(fn.noun2)}, it fails with:`,
    '',
    '```',
    `${errorName(file, fn)}: ${fn.message}`,
    '```',
    '',
    `Other ${plural(fn.noun)} work. I expected this one to be ${fn.verb.past} as well.`,
    '',
    `Environment: ${environment(file, rng)}`,
  ].join('\n');
  return { title, body };
}

function behaviourIssue(file: PlannedFile, fn: PlannedFunction, rng: Random): { title: string; body: string } {
  // Words only: no identifier, no message, no path — the reader has to know the code.
  const title = rng.pick([
    `${capitalize(plural(fn.noun))} are not ${fn.verb.past} when the ${fn.noun2} is ${fn.adjective}`,
    `Wrong result after ${fn.verb.ing} ${withArticle(fn.noun)} with ${fn.adjective} ${plural(fn.noun2)}`,
  ]);
  const body = [
    `Since the last release, ${fn.verb.ing} ${withArticle(fn.noun)} that belongs to ${withArticle(fn.adjective)} ${fn.noun2} gives the wrong result.`,
    `As far as I understand it should be ${fn.clause}, but that does not happen.`,
    '',
    `This is in the ${file.domain} part of the ${file.kind === 'python' ? 'server' : 'web app'}.`,
    '',
    `Environment: ${environment(file, rng)}`,
  ].join('\n');
  return { title, body };
}

function stackTraceIssue(file: PlannedFile, fn: PlannedFunction, rng: Random, trace: TraceFacts): { title: string; body: string } {
  const title = `Crash while ${fn.verb.ing} ${plural(fn.noun)} in ${file.domain}`;
  const lines: string[] = [];
  if (file.kind === 'python') {
    lines.push(
      'Traceback (most recent call last):',
      '  File "/usr/lib/python3.12/site-packages/flask/app.py", line 1484, in full_dispatch_request',
      '    rv = self.dispatch_request()',
    );
    if (trace.caller) {
      lines.push(`  File "/srv/app/${trace.caller.caller}", line ${trace.caller.line}, in ${trace.caller.callerFunction.split('.').pop()}`, `    ${trace.caller.code}`);
    }
    lines.push(
      `  File "/srv/app/${file.path}", line ${trace.raiseLine}, in ${fn.name}`,
      `    raise ${fn.errorClass}("${fn.message}")`,
      `${errorName(file, fn)}: ${fn.message}`,
    );
  } else {
    lines.push(`${fn.errorClass}: ${fn.message}`, `    at ${qualifiedName(fn)} (/app/${file.path}:${trace.raiseLine}:11)`);
    if (trace.caller) lines.push(`    at ${trace.caller.callerFunction} (/app/${trace.caller.caller}:${trace.caller.line}:${rng.int(20, 40)})`);
    lines.push('    at processTicksAndRejections (node:internal/process/task_queues:95:5)');
  }
  const body = [
    `This started today. Every time ${withArticle(fn.noun)} is ${fn.verb.past} the request fails:`,
    '',
    '```',
    ...lines,
    '```',
    '',
    `Environment: ${environment(file, rng)}`,
  ].join('\n');
  return { title, body };
}
