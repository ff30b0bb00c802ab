// What the benchmarks read of processes and of the machine, shared so every JSON line says it
// the same way.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** `pid` and its live descendants (from /proc), parents first. */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${pids[i]}/task`)) {
        const kids = readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').trim();
        if (kids) pids.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      /* process gone */
    }
  }
  return pids;
}

/** The machine fields every line ends with: CPUs, the 1-minute load at start and end, elapsed seconds. */
export function machineFields(load0: number, tStart: number): { cpus: number; loadavg_1m: [number, number]; elapsed_s: number } {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { cpus: os.cpus().length, loadavg_1m: [r2(load0), r2(os.loadavg()[0])], elapsed_s: Math.round((Date.now() - tStart) / 1000) };
}
