import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

/** Children and directories to reclaim if the test process exits without stopping them. */
const children = new Set<ChildProcess>();
const directories = new Set<string>();
let installed = false;

function onExit(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of directories) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', onExit);
}

/** Kill `child` with SIGKILL when this process exits, unless it was released before. */
export function killOnExit(child: ChildProcess): () => void {
  install();
  children.add(child);
  return () => children.delete(child);
}

/** Remove `dir` when this process exits, unless it was released before. */
export function removeOnExit(dir: string): () => void {
  install();
  directories.add(dir);
  return () => directories.delete(dir);
}

/** Whether a process with this pid still runs (signal 0: nothing is sent). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
