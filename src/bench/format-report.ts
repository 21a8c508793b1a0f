import type { IndexPhase } from '../index/indexer.ts';
import { STAGES } from '../triage/state.ts';
import type { BenchReport, LatencyStats } from './bench.ts';
import { ISSUE_STYLES } from './synthetic-issues.ts';

/** The bench report as a compact table for the terminal (the JSON report holds the same numbers). */

const number = new Intl.NumberFormat('en-US');

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${number.format(Math.round(value))} ms`;
}

function latency(stats: LatencyStats): string {
  return `p50 ${ms(stats.p50)} · p95 ${ms(stats.p95)} · max ${ms(stats.max)}`;
}

function phases(phaseMs: Partial<Record<IndexPhase, number>>): string {
  const entries = Object.entries(phaseMs).filter(([, value]) => value !== undefined) as Array<[string, number]>;
  if (entries.length === 0) return 'no phase timings';
  return entries.map(([phase, value]) => `${phase} ${value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value} ms`}`).join(' · ');
}

function row(label: string, time: string, detail: string, rss?: number): string {
  return `${label.padEnd(30)}${time.padEnd(12)}${detail}${rss === undefined ? '' : `  [${number.format(rss)} MB]`}`;
}

export function formatBenchReport(report: BenchReport): string {
  const { machine, generate, fullIndex, incremental, triage } = report;
  const skipped = Object.entries(fullIndex.skippedByReason).map(([reason, count]) => `${reason} ${count}`).join(', ');
  const lines = [
    `repo-scout bench · offline (hashing embedder, no model) · seed ${report.options.seed}`,
    `machine: node ${machine.node} · ${machine.platform} ${machine.arch} · ${machine.cpus} × ${machine.cpuModel} · ${number.format(machine.totalMemoryMb)} MB RAM`,
    '',
    row('step', 'time', 'detail', undefined) + '  [peak RSS]',
    row('generate repository', `${generate.seconds.toFixed(1)} s`, `${number.format(generate.files)} files · ${generate.commits} commits`, generate.peakRssMb),
    row(
      'full index',
      `${fullIndex.seconds.toFixed(1)} s`,
      `${number.format(fullIndex.filesPerSecond)} files/s · ${number.format(fullIndex.files)} files (skipped ${fullIndex.skipped}${skipped ? `: ${skipped}` : ''}) · ${number.format(fullIndex.chunks)} chunks · ${number.format(fullIndex.questions)} questions · ${number.format(fullIndex.edges)} edges`,
      fullIndex.peakRssMb,
    ),
    row('  phases', '', phases(fullIndex.phaseMs)),
    row(
      'incremental (1-file commit)',
      `${incremental.seconds.toFixed(1)} s`,
      `${incremental.ratioPct} % of full · re-read ${incremental.changedFiles} file${incremental.changedFiles === 1 ? '' : 's'}${incremental.incremental ? '' : ' · NOT incremental'}`,
      incremental.peakRssMb,
    ),
    row('  phases', '', phases(incremental.phaseMs)),
    row(`triage (${triage.issues} issues)`, ms(triage.totalMs.p50), `${latency(triage.totalMs)} · cold first run ${ms(triage.coldMs)}`, triage.peakRssMb),
    row('  locate stage', ms(triage.locateMs.p50), latency(triage.locateMs)),
    row('  stage p50', '', STAGES.map((stage) => `${stage} ${ms(triage.stageMs[stage].p50)}${triage.failedStages[stage] ? ` (${triage.failedStages[stage]} failed)` : ''}`).join(' · ')),
    '',
    `synthetic Acc@1 ${triage.synthetic.acc1} % · Acc@5 ${triage.synthetic.acc5} % over ${triage.issues} generated issues (${ISSUE_STYLES.map(
      (style) => `${style} ${triage.synthetic.byStyle[style].acc1}/${triage.synthetic.byStyle[style].acc5}`,
    ).join(' · ')})`,
    '  generated issues about known files — a sanity check of the pipeline, not an accuracy claim (see `scout eval`)',
    `total ${report.seconds.toFixed(1)} s${report.keptAt ? ` · repository and index kept in ${report.keptAt}` : ''}`,
  ];
  for (const problem of report.problems) lines.push(`problem: ${problem}`);
  return lines.join('\n');
}
