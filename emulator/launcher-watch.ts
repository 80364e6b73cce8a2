/**
 * Keeps the emulator from outliving `npm run emulator`. npm passes SIGTERM to the script's shell
 * only, and the shell dies without passing it on, so tsx and the emulator would be left running.
 * Under npm the emulator therefore watches its launchers (tsx, the script shell, npm) and stops
 * when one of them is gone.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** tsx's CLI, the npm script's shell, npm itself. */
export const NPM_LAUNCHER_DEPTH = 3;

export interface ProcessTable {
  /** undefined when the process is gone or cannot be read */
  parentOf(pid: number): number | undefined;
  /** false once the process has exited (a zombie waiting to be reaped counts as exited) */
  isRunning(pid: number): boolean;
}

/** The first `depth` ancestors of `pid`, nearest first, stopping before init (pid 1). */
export function launcherChain(table: ProcessTable, pid: number, depth: number): number[] {
  const chain: number[] = [];
  let current = pid;
  while (chain.length < depth) {
    const parent = table.parentOf(current);
    if (parent === undefined || parent <= 1 || chain.includes(parent)) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}

/** Calls `onGone` once, when a process of `chain` is no longer running. Returns a stop function. */
export function watchLaunchers(table: ProcessTable, chain: readonly number[], onGone: (pid: number) => void, intervalMs = 250): () => void {
  if (chain.length === 0) return () => undefined;
  const timer = setInterval(() => {
    const gone = chain.find((pid) => !table.isRunning(pid));
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, intervalMs);
  // The watch alone must not keep the process alive.
  timer.unref();
  return () => clearInterval(timer);
}

/** Linux: /proc (sees zombies); elsewhere `ps` for parents and signal 0 for liveness; undefined on Windows. */
export function systemProcessTable(): ProcessTable | undefined {
  if (process.platform === 'win32') return undefined;
  if (process.platform === 'linux') {
    const stat = (pid: number): { state: string; parent: number } | undefined => {
      try {
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, parent] = text.slice(text.lastIndexOf(')') + 2).split(' ');
        return { state: state ?? '', parent: Number(parent) };
      } catch {
        return undefined;
      }
    };
    return {
      parentOf: (pid) => stat(pid)?.parent,
      isRunning: (pid) => {
        const state = stat(pid)?.state;
        return state !== undefined && state !== 'Z' && state !== 'X';
      },
    };
  }
  return {
    parentOf: (pid) => {
      try {
        const parent = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
        return Number.isInteger(parent) ? parent : undefined;
      } catch {
        return undefined;
      }
    },
    isRunning: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
  };
}

/** Started by an npm script (`npm run emulator`, or a process that `npm test` started). */
export function startedByNpm(env: NodeJS.ProcessEnv): boolean {
  return env.npm_lifecycle_event !== undefined && env.npm_lifecycle_event !== '';
}
