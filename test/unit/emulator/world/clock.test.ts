import { SimulationClock } from '../../../../emulator/world/clock';

describe('emulator simulation clock', () => {
  let clock: SimulationClock;

  beforeEach(() => {
    clock = new SimulationClock();
  });

  afterEach(() => {
    clock.close();
  });

  it('runs tasks in due order when advanced, including tasks scheduled by tasks', () => {
    // Prepare
    const ran: string[] = [];
    clock.scheduleIn(10, 'b', () => ran.push('b'));
    clock.scheduleIn(5, 'a', () => {
      ran.push('a');
      clock.scheduleIn(1, 'a2', () => ran.push('a2'));
    });
    clock.scheduleIn(100, 'late', () => ran.push('late'));

    // Act
    clock.advance(10);

    // Assess
    expect(ran).toEqual(['a', 'a2', 'b']);
    expect(clock.pending().map((t) => t.label)).toEqual(['late']);
  });

  it('runs tasks whose time is in the past at runDue, and real timers fire on their own', async () => {
    // Prepare
    const ran: string[] = [];
    clock.scheduleAt(clock.now() - 1000, 'past', () => ran.push('past'));
    clock.scheduleIn(0.02, 'soon', () => ran.push('soon'));

    // Act
    clock.runDue();
    const afterRunDue = [...ran];
    await new Promise((resolve) => setTimeout(resolve, 60));

    // Assess
    expect(afterRunDue).toEqual(['past']);
    expect(ran).toEqual(['past', 'soon']);
  });

  it('keeps running after a failing task and reports it', () => {
    // Prepare
    const failures: string[] = [];
    const reporting = new SimulationClock((label) => failures.push(label));
    const ran: string[] = [];
    reporting.scheduleIn(1, 'boom', () => {
      throw new Error('boom');
    });
    reporting.scheduleIn(2, 'next', () => ran.push('next'));

    // Act
    reporting.advance(5);
    reporting.close();

    // Assess
    expect(failures).toEqual(['boom']);
    expect(ran).toEqual(['next']);
  });

  it('drops everything when closed', () => {
    // Prepare
    const ran: string[] = [];
    clock.scheduleIn(1, 'x', () => ran.push('x'));

    // Act
    clock.close();
    clock.advance(5);

    // Assess
    expect(ran).toEqual([]);
    expect(clock.pending()).toEqual([]);
  });
});
