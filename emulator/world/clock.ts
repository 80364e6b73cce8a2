/**
 * The simulation clock: wall time plus an offset that tests (or the control endpoint) can
 * advance. Scheduled work runs in due order on one real timer; advancing the clock runs
 * whatever became due at once, so a test never has to sleep through a long timing.
 */

interface ScheduledTask {
  dueMs: number;
  sequence: number;
  label: string;
  run: () => void;
}

export interface PendingTaskView {
  label: string;
  dueAt: string;
}

export class SimulationClock {
  private offsetMs = 0;
  private tasks: ScheduledTask[] = [];
  private sequence = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private running = false;

  constructor(private readonly onTaskError: (label: string, error: unknown) => void = () => undefined) {}

  /** Milliseconds since the epoch, simulated. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  nowDate(): Date {
    return new Date(this.now());
  }

  /** Runs `run` at `dueMs` (simulated); a due time in the past runs at the next `runDue`. */
  scheduleAt(dueMs: number, label: string, run: () => void): void {
    if (this.closed) return;
    this.sequence += 1;
    this.tasks.push({ dueMs, sequence: this.sequence, label, run });
    this.tasks.sort((a, b) => a.dueMs - b.dueMs || a.sequence - b.sequence);
    this.arm();
  }

  scheduleIn(delaySeconds: number, label: string, run: () => void): void {
    this.scheduleAt(this.now() + Math.max(0, delaySeconds) * 1000, label, run);
  }

  /**
   * Moves simulated time forward, stepping to each task's due time as it runs it, so work
   * scheduled by a task (relative to "now") also runs if it falls inside the window.
   */
  advance(seconds: number): void {
    if (this.running || this.closed) return;
    const target = this.now() + Math.max(0, seconds) * 1000;
    this.running = true;
    try {
      for (;;) {
        const next = this.tasks[0];
        if (!next || next.dueMs > target) break;
        if (next.dueMs > this.now()) this.offsetMs += next.dueMs - this.now();
        this.tasks.shift();
        this.runTask(next);
      }
    } finally {
      this.running = false;
    }
    if (target > this.now()) this.offsetMs += target - this.now();
    this.runDue();
  }

  /** Runs every task whose time has come (including tasks they schedule for the past). */
  runDue(): void {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      for (;;) {
        const next = this.tasks[0];
        if (!next || next.dueMs > this.now()) break;
        this.tasks.shift();
        this.runTask(next);
      }
    } finally {
      this.running = false;
    }
    this.arm();
  }

  private runTask(task: ScheduledTask): void {
    try {
      task.run();
    } catch (error) {
      this.onTaskError(task.label, error);
    }
  }

  pending(): PendingTaskView[] {
    return this.tasks.map((t) => ({ label: t.label, dueAt: new Date(t.dueMs).toISOString() }));
  }

  close(): void {
    this.closed = true;
    this.tasks = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.tasks[0];
    if (!next || this.closed || this.running) return;
    // setTimeout caps at ~24.8 days; a long-off task is simply re-armed when the cap fires.
    const delay = Math.min(Math.max(0, next.dueMs - this.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runDue();
    }, delay);
  }
}
