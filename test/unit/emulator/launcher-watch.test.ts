import { launcherChain, startedByNpm, systemProcessTable, watchLaunchers, type ProcessTable } from '../../../emulator/launcher-watch';

/** A process table from `pid -> parent` plus a set of exited pids. */
function fakeTable(parents: Record<number, number>, exited: Set<number> = new Set()): ProcessTable {
  return {
    parentOf: (pid) => (exited.has(pid) ? undefined : parents[pid]),
    isRunning: (pid) => pid in parents && !exited.has(pid),
  };
}

describe('launcherChain', () => {
  it('lists the nearest ancestors first, up to the depth', () => {
    // Prepare: emulator 50 <- tsx 40 <- sh 30 <- npm 20 <- bash 10 <- init 1
    const table = fakeTable({ 50: 40, 40: 30, 30: 20, 20: 10, 10: 1 });
    // Act / Assess
    expect(launcherChain(table, 50, 3)).toEqual([40, 30, 20]);
  });

  it('stops before init and at unreadable processes', () => {
    expect(launcherChain(fakeTable({ 50: 40, 40: 1 }), 50, 3)).toEqual([40]);
    expect(launcherChain(fakeTable({ 50: 40 }), 50, 3)).toEqual([40]);
    expect(launcherChain(fakeTable({}), 50, 3)).toEqual([]);
  });
});

describe('watchLaunchers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('calls back once, with the launcher that exited, and not before', () => {
    // Prepare
    const exited = new Set<number>();
    const table = fakeTable({ 50: 40, 40: 30, 30: 20, 20: 10 }, exited);
    const onGone = jest.fn();
    watchLaunchers(table, [40, 30, 20], onGone, 100);
    // Act
    jest.advanceTimersByTime(1000);
    const callsWhileAlive = onGone.mock.calls.length;
    exited.add(30);
    jest.advanceTimersByTime(1000);
    // Assess
    expect(callsWhileAlive).toBe(0);
    expect(onGone.mock.calls).toEqual([[30]]);
  });

  it('watches nothing for an empty chain, and stops when asked', () => {
    const onGone = jest.fn();
    const table = fakeTable({}, new Set([40]));
    watchLaunchers(table, [], onGone, 100)();
    const stop = watchLaunchers(table, [40], onGone, 100);
    stop();
    jest.advanceTimersByTime(1000);
    expect(onGone).not.toHaveBeenCalled();
  });
});

describe('systemProcessTable', () => {
  it('reads this process: its parent runs, a pid that does not exist does not', () => {
    const table = systemProcessTable();
    if (!table) return; // Windows: no watch
    expect(table.parentOf(process.pid)).toBe(process.ppid);
    expect(table.isRunning(process.ppid)).toBe(true);
    expect(table.isRunning(2 ** 22 + 1)).toBe(false);
  });
});

describe('startedByNpm', () => {
  it('is true only under an npm script', () => {
    expect(startedByNpm({ npm_lifecycle_event: 'emulator' })).toBe(true);
    expect(startedByNpm({})).toBe(false);
  });
});
