/** Runs real command-line programs (aws, kubectl, the project's CLI) for the end-to-end tests. */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `unset`: variables of this process's environment the program must not inherit. */
export function run(file: string, args: string[], env: Record<string, string>, timeoutMs = 60_000, unset: string[] = []): Promise<ProcessResult> {
  const inherited = { ...process.env };
  for (const name of unset) delete inherited[name];
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...inherited, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The absolute path of a program on PATH, or undefined when it is not installed. */
export function which(program: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export const PROJECT_ROOT = path.join(__dirname, '..', '..', '..');
