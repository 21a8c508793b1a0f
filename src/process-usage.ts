/**
 * The whole process's peak RSS, CPU time (all its threads, start-up included) and page faults so
 * far: on a machine whose speed varies from run to run, the last two measure a run's work more
 * steadily than its time. One place for `scout index --json`, `npm run bench` and `scout eval`.
 */
export function processUsage(): { peakRssMb: number; cpuMs: number; pageFaults: number } {
  const usage = process.resourceUsage();
  return {
    // maxRSS is in kilobytes on Linux and macOS.
    peakRssMb: Math.round(usage.maxRSS / 1024),
    cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
    pageFaults: usage.minorPageFault + usage.majorPageFault,
  };
}
