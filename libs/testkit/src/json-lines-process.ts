/**
 * A child process that prints one JSON object per line on stdout (an interop
 * script, say): the objects it printed so far, its stderr and its exit.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface JsonLinesProcess {
  readonly proc: ChildProcess;
  /** The JSON objects of stdout so far; lines that are not JSON are skipped. */
  readonly lines: Record<string, unknown>[];
  /** stderr so far. */
  err: string;
  /** Resolves with the exit code once the process has exited and closed its output. */
  readonly exit: Promise<number | null>;
}

export interface JsonLinesOptions {
  /** `pipe` to write to (or close) the process's stdin; default `ignore`. */
  stdin?: 'ignore' | 'pipe';
}

/** Spawns `command` with `args` and collects the JSON lines it prints. */
export function spawnJsonLines(
  command: string,
  args: readonly string[],
  opts: JsonLinesOptions = {},
): JsonLinesProcess {
  const proc = spawn(command, [...args], { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const exit = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const child: JsonLinesProcess = { proc, lines, err: '', exit };
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not one of the script's JSON lines
      }
    }
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => (child.err += d));
  return child;
}

/** Resolves with the exit code, or 'timeout' when the process is still running after `ms`. */
export async function exitWithin(
  child: JsonLinesProcess,
  ms: number,
): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    child.exit,
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** The last JSON line (the result, for a script that ends with one); {} before any. */
export function lastJsonLine(child: JsonLinesProcess): Record<string, unknown> {
  return child.lines[child.lines.length - 1] ?? {};
}

/** Kills the process if it still runs (SIGKILL) and waits for its exit. */
export async function killJsonLines(child: JsonLinesProcess): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGKILL');
    await child.exit;
  }
}
