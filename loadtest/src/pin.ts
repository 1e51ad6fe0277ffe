/** CPU pinning of a process started elsewhere (the peers), with `taskset`. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Number of CPUs in a taskset list such as `0`, `0-1` or `0,2-3`. */
export function cpuCount(list: string): number {
  let n = 0;
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new Error(`--server-cpus: not a CPU list: ${list}`);
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo) throw new Error(`--server-cpus: not a CPU list: ${list}`);
    n += hi - lo + 1;
  }
  return n;
}

/** Pins every thread of `pid` to the CPUs of `list` (`taskset -a -p -c`). */
export async function pinProcess(pid: number, list: string): Promise<void> {
  cpuCount(list);
  await run('taskset', ['-a', '-p', '-c', list, String(pid)]);
}
