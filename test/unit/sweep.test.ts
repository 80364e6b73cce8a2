import { NODEGROUP_BUDGET_MS, nodegroupBudgetMs } from '../../lambda/sweep';

describe('nodegroupBudgetMs', () => {
  it('keeps 120 s per node group in a 15-minute function', () => {
    expect(nodegroupBudgetMs(900_000)).toBe(NODEGROUP_BUDGET_MS);
  });

  it('takes half the time of a function with a short timeout, so each invocation starts node groups and continuations end', () => {
    // A 60 s function: a fixed 120 s budget would start nothing and continue forever.
    expect(nodegroupBudgetMs(60_000)).toBe(30_000);
    expect(60_000).toBeGreaterThanOrEqual(nodegroupBudgetMs(60_000));
  });

  it('uses the fixed budget outside Lambda (no deadline)', () => {
    expect(nodegroupBudgetMs(undefined)).toBe(NODEGROUP_BUDGET_MS);
  });
});
