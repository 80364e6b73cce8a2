/**
 * executePlan: the one place that changes the world, and the one dry-run guard.
 *
 * - Dry run: every action stays 'planned' and not a single port method is called.
 * - Actions run in plan order. The first failure is recorded on its action ('failed', with
 *   detail.error {name, code, message} and whatever was already done), every later action is
 *   'skipped' without being attempted, and the failure is returned as `failedStep`.
 * - Route writes are idempotent and never overwrite someone else's route: a CreateRoute that
 *   races another writer re-reads the table and only counts as done when the route found is
 *   ours (same NAT gateway, active); a ReplaceRoute re-reads the table first and only replaces
 *   a route that is still a blackhole to a NAT gateway (an active route is never replaced).
 * - REPLACE_INSTANCES terminates each instance keeping the desired capacity (the Auto Scaling
 *   group launches a fresh one); an instance already gone counts as done. With `registrationNow`,
 *   registration is re-read first and an instance that registered since the plan is spared; a
 *   SCALE_CYCLE is refused if any Node of the node group exists by the time it would scale down.
 * - SCALE_CYCLE waits until the node group accepts updates, sets minSize/desiredSize 0 (maxSize
 *   kept), waits until it is ACTIVE and its Auto Scaling groups have drained, then restores the
 *   original sizes. Whatever fails after the scale-down, a restore is attempted and the error
 *   says what state the node group was left in.
 * - Every wait (node group busy or settling) is bounded by `deadline`.
 */
import { AwsCallError, NotFoundError, ResourceInUseError, RouteAlreadyExistsError } from './errors';
import { describeTarget as describeRouteTarget, routeTarget } from './diagnosis/network';
import { restoreCommand } from './diagnosis/stranded-scaling';
import {
  DEFAULT_ROUTE_CIDR,
  isLeavingItsGroup,
  SCALABLE_NODEGROUP_STATUSES,
  type ActionErrorDetail,
  type CreateAccessEntryDetail,
  type EngineAction,
  type NodegroupInfo,
  type Plan,
  type ReplaceInstancesDetail,
  type RestoreScalingDetail,
  type RouteActionDetail,
  type RouteInfo,
  type ScaleCycleDetail,
  type ScalingConfig,
} from './model';
import type { Ports, RunLogger } from './ports';
import type { ActionStatus, ActionType } from './report';

/** The logging surface execute needs: the one of lambda/ports.ts. */
export type ExecutionLogger = RunLogger;

export interface ExecuteOptions {
  dryRun: boolean;
  logger?: ExecutionLogger;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** when waits for the node group give up; default: 15 minutes from now */
  deadline?: Date;
  /** seconds between node group polls (and between retries of a busy call) */
  pollSeconds?: number;
  /**
   * Reads the node group's registration right now (the Kubernetes API), so that the last word
   * before an irreversible step is fresh: an instance may register after the route is fixed, or
   * while execute waits for a busy node group. Absent (no Kubernetes API): the plan's judgement stands.
   */
  registrationNow?: () => Promise<RegistrationNow>;
}

/** What `registrationNow` reports: how many Nodes the node group has, and which instances they are. */
export interface RegistrationNow {
  nodeCount: number;
  registeredInstanceIds: ReadonlySet<string>;
}

export type ErrorDetail = ActionErrorDetail;

export interface FailedStep {
  /** position of the failed action in the plan */
  index: number;
  type: ActionType;
  resourceId: string;
  error: ErrorDetail;
}

export interface ExecutionResult {
  actions: EngineAction[];
  failedStep?: FailedStep;
}

export const DEFAULT_EXECUTE_WAIT_MS = 15 * 60_000;
export const DEFAULT_EXECUTE_POLL_SECONDS = 15;
/** Upper bound on attempts of one call that keeps answering "busy", whatever the deadline. */
export const MAX_BUSY_ATTEMPTS = 20;

/** Node group states in which UpdateNodegroupConfig is accepted: SCALABLE_NODEGROUP_STATUSES. */
/** Node group states that end by themselves: wait for them. */
const TRANSITIONAL_STATUSES = new Set(['CREATING', 'UPDATING']);

// --- Errors of the execution itself --------------------------------------------------------------

/** The 0.0.0.0/0 route in the table is not the one the plan wanted, and is left alone. */
export class ConflictingRouteError extends Error {
  override readonly name = 'ConflictingRouteError';
  constructor(
    message: string,
    readonly routeTableId: string,
  ) {
    super(message);
  }
}

/** A bounded wait ran out. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/** Nodes of the node group registered since the plan was made: scaling it to 0 would kill them. */
export class NodesRegisteredError extends Error {
  override readonly name = 'NodesRegisteredError';
}

/** The node group is in a state from which it cannot be scaled (DELETING, CREATE_FAILED...). */
export class NodegroupStateError extends Error {
  override readonly name = 'NodegroupStateError';
}

/** The scale cycle scaled the node group down but could not bring it back: says what to restore. */
export class ScaleCycleIncompleteError extends Error {
  override readonly name = 'ScaleCycleIncompleteError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// --- The loop ------------------------------------------------------------------------------------

interface Context {
  ports: Ports;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  deadline: Date;
  pollMs: number;
  logger?: ExecutionLogger;
  registrationNow?: () => Promise<RegistrationNow>;
}

/**
 * What an action did so far; merged into its detail whether it ends done or failed. Each runner
 * writes only the progress fields of its own action type (see the detail types in model.ts).
 */
type Progress = Partial<RouteActionDetail & ReplaceInstancesDetail & ScaleCycleDetail & RestoreScalingDetail & CreateAccessEntryDetail>;

/** The action with a new status and its detail extended by what execute recorded. */
function withProgress<A extends EngineAction>(action: A, status: ActionStatus, progress: Progress): A {
  return { ...action, status, detail: { ...action.detail, ...progress } } as A;
}

export async function executePlan(plan: Plan, ports: Ports, options: ExecuteOptions): Promise<ExecutionResult> {
  const { logger } = options;
  if (options.dryRun) {
    for (const action of plan.actions) {
      logger?.info('dry run: action planned, not executed', actionLog(action));
    }
    return { actions: plan.actions.map((action) => withProgress(action, 'planned', {})) };
  }

  const now = options.now ?? (() => new Date());
  const context: Context = {
    ports,
    now,
    sleep: options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    deadline: options.deadline ?? new Date(now().getTime() + DEFAULT_EXECUTE_WAIT_MS),
    pollMs: Math.max(1, options.pollSeconds ?? DEFAULT_EXECUTE_POLL_SECONDS) * 1000,
    ...(logger ? { logger } : {}),
    ...(options.registrationNow ? { registrationNow: options.registrationNow } : {}),
  };

  const actions: EngineAction[] = [];
  let failedStep: FailedStep | undefined;
  for (const [index, action] of plan.actions.entries()) {
    if (failedStep) {
      const skipped = withProgress(action, 'skipped', {});
      logger?.warn('action skipped after an earlier failure', actionLog(skipped));
      actions.push(skipped);
      continue;
    }
    const progress: Progress = {};
    try {
      await runAction(action, context, progress);
      const done = withProgress(action, 'done', progress);
      logger?.info('action done', actionLog(done));
      actions.push(done);
    } catch (error) {
      const detail = errorDetail(error);
      const failed = withProgress(action, 'failed', { ...progress, error: detail });
      logger?.error('action failed', actionLog(failed));
      actions.push(failed);
      failedStep = { index, type: action.type, resourceId: action.resourceId, error: detail };
    }
  }
  return failedStep ? { actions, failedStep } : { actions };
}

function actionLog(action: EngineAction): Record<string, unknown> {
  return { actionType: action.type, resourceId: action.resourceId, status: action.status, detail: action.detail };
}

export function errorDetail(error: unknown): ErrorDetail {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = error instanceof AwsCallError ? error.awsErrorCode : causeName(error);
  return code ? { name: error.name, code, message: error.message } : { name: error.name, message: error.message };
}

/** The AWS error code behind a typed error (its cause: an AwsCallError or an SDK exception), when there is one. */
function causeName(error: Error): string | undefined {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof AwsCallError) return cause.awsErrorCode;
  const fromSdk = cause instanceof Error && '$metadata' in cause;
  return fromSdk && cause.name !== 'Error' ? cause.name : undefined;
}

async function runAction(action: EngineAction, context: Context, progress: Progress): Promise<void> {
  switch (action.type) {
    case 'CREATE_ROUTE':
      return createRoute(action.detail, context, progress);
    case 'REPLACE_ROUTE':
      return replaceRoute(action.detail, context, progress);
    case 'REPLACE_INSTANCES':
      return replaceInstances(action.detail.instanceIds, context, progress);
    case 'SCALE_CYCLE':
      return scaleCycle(action.detail, context, progress);
    case 'CREATE_ACCESS_ENTRY':
      return createAccessEntry(action.detail, context, progress);
    case 'RESTORE_SCALING':
      return restoreScaling(action.detail, context, progress);
  }
}

// --- Access entry (opt-in) -------------------------------------------------------------------------

/** eks:CreateAccessEntry; an entry that appeared meanwhile (ResourceInUse) is left as it is and counts as done. */
async function createAccessEntry(
  { clusterName, principalArn, type }: { clusterName: string; principalArn: string; type: string },
  { ports }: Context,
  progress: Progress,
): Promise<void> {
  try {
    await ports.eks.createAccessEntry(clusterName, principalArn, type);
    progress['alreadyPresent'] = false;
  } catch (error) {
    if (!(error instanceof ResourceInUseError)) throw error;
    progress['alreadyPresent'] = true;
  }
}

// --- Routes --------------------------------------------------------------------------------------

function defaultRoute(routes: RouteInfo[]): RouteInfo | undefined {
  return routes.find((r) => r.destinationCidrBlock === DEFAULT_ROUTE_CIDR);
}

function describeTarget(route: RouteInfo): string {
  return `${describeRouteTarget(routeTarget(route))} (${route.state})`;
}

function isOurRoute(route: RouteInfo | undefined, natGatewayId: string): boolean {
  return route !== undefined && route.natGatewayId === natGatewayId && route.state === 'active';
}

async function createRoute(
  { routeTableId, natGatewayId }: { routeTableId: string; natGatewayId: string },
  { ports }: Context,
  progress: Progress,
): Promise<void> {
  try {
    await ports.ec2.createDefaultRoute(routeTableId, natGatewayId);
    progress['alreadyPresent'] = false;
  } catch (error) {
    if (!(error instanceof RouteAlreadyExistsError)) throw error;
    await confirmExistingRoute(routeTableId, natGatewayId, ports, progress);
  }
}

/** After RouteAlreadyExists: done only if the route there is the one we wanted. */
async function confirmExistingRoute(routeTableId: string, natGatewayId: string, ports: Ports, progress: Progress): Promise<void> {
  const route = defaultRoute((await ports.ec2.describeRouteTable(routeTableId)).routes);
  if (isOurRoute(route, natGatewayId)) {
    progress['alreadyPresent'] = true;
    return;
  }
  if (route) progress['existingRoute'] = route;
  throw new ConflictingRouteError(
    `${routeTableId} already has a 0.0.0.0/0 route to ${route ? describeTarget(route) : 'nothing readable'}, ` +
      `written by someone else since the snapshot; it was left as it is instead of pointing it at ${natGatewayId}`,
    routeTableId,
  );
}

async function replaceRoute(
  { routeTableId, natGatewayId }: { routeTableId: string; natGatewayId: string },
  context: Context,
  progress: Progress,
): Promise<void> {
  const { ports } = context;
  // Re-read: the plan saw a blackhole, but the table may have changed since the snapshot.
  const current = defaultRoute((await ports.ec2.describeRouteTable(routeTableId)).routes);
  if (current === undefined) {
    // The blackhole route was deleted meanwhile: adding ours is what the plan wanted.
    progress['previousRouteGone'] = true;
    return createRoute({ routeTableId, natGatewayId }, context, progress);
  }
  if (current.state === 'active') {
    if (isOurRoute(current, natGatewayId)) {
      progress['alreadyPresent'] = true;
      return;
    }
    progress['existingRoute'] = current;
    throw new ConflictingRouteError(
      `${routeTableId}'s 0.0.0.0/0 route now goes to ${describeTarget(current)}: an active route is never replaced`,
      routeTableId,
    );
  }
  if (current.state !== 'blackhole' || current.natGatewayId === undefined) {
    // The plan only rewrites a blackhole route that pointed at a NAT gateway; one to a transit
    // gateway, peering, ENI... may be a deliberate egress design, so it is left for a person.
    progress['existingRoute'] = current;
    throw new ConflictingRouteError(
      `${routeTableId}'s 0.0.0.0/0 route now goes to ${describeTarget(current)}, not a blackhole to a NAT gateway: it was left as it is`,
      routeTableId,
    );
  }
  await ports.ec2.replaceDefaultRoute(routeTableId, natGatewayId);
  progress['replacedRoute'] = current;
  progress['alreadyPresent'] = false;
}

// --- Instances -----------------------------------------------------------------------------------

async function replaceInstances(instanceIds: string[], context: Context, progress: Progress): Promise<void> {
  const terminated: string[] = [];
  const alreadyGone: string[] = [];
  progress['terminatedInstanceIds'] = terminated;
  const registered = (await freshRegistration(context, progress))?.registeredInstanceIds;
  const joinedSince = instanceIds.filter((id) => registered?.has(id));
  if (joinedSince.length > 0) {
    // Never terminate a registered instance: it joined after the plan (e.g. once the route was fixed).
    progress['registeredSinceSnapshotInstanceIds'] = joinedSince;
    context.logger?.info('instances registered since the plan; not terminated', { instanceIds: joinedSince });
  }
  for (const instanceId of instanceIds.filter((id) => !joinedSince.includes(id))) {
    try {
      await whileBusy(context, `terminating ${instanceId}`, () => context.ports.autoscaling.terminateInstanceKeepCapacity(instanceId));
      terminated.push(instanceId);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      // Already terminated or detached by someone else: the goal (it is gone) is reached.
      alreadyGone.push(instanceId);
      progress['alreadyGoneInstanceIds'] = alreadyGone;
      progress['note'] = `${alreadyGone.join(', ')} no longer belonged to an Auto Scaling group (already gone)`;
    }
  }
}

// --- Scale cycle ---------------------------------------------------------------------------------

async function scaleCycle(
  { clusterName, nodegroupName, original }: { clusterName: string; nodegroupName: string; original: ScalingConfig },
  context: Context,
  progress: Progress,
): Promise<void> {
  const { eks } = context.ports;
  await waitForNodegroup(context, clusterName, nodegroupName, { drained: false });
  // Right before the irreversible step: scale to 0 only if still no instance is registered.
  const now = await freshRegistration(context, progress);
  if (now && now.nodeCount > 0) {
    throw new NodesRegisteredError(
      `${now.nodeCount} node(s) of ${nodegroupName} registered since the plan was made, so it was not scaled to 0`,
    );
  }

  // maxSize stays (EKS needs it >= 1); minSize must drop too or desiredSize 0 is refused.
  const scaledDown: ScalingConfig = { minSize: 0, maxSize: original.maxSize, desiredSize: 0 };
  const updateIds: string[] = [];
  progress['updateIds'] = updateIds;
  updateIds.push(
    await whileBusy(context, `scaling ${nodegroupName} to 0`, () => eks.updateNodegroupScaling(clusterName, nodegroupName, scaledDown)),
  );
  progress['scaledDownTo'] = scaledDown;

  const leftAt = `node group ${nodegroupName} was left at minSize 0, desiredSize 0 (maxSize ${original.maxSize}); restore minSize ${original.minSize}, desiredSize ${original.desiredSize}`;
  try {
    await waitForNodegroup(context, clusterName, nodegroupName, { drained: true });
  } catch (waitError) {
    // Never leave the node group at zero silently: try to restore once, then say what is left.
    const restore = await eks.updateNodegroupScaling(clusterName, nodegroupName, original).then(
      (updateId) => ({ updateId }),
      (error: unknown) => ({ error }),
    );
    if ('updateId' in restore) {
      updateIds.push(restore.updateId);
      progress['restoredTo'] = original;
      throw new ScaleCycleIncompleteError(
        `${message(waitError)}; the original scaling (minSize ${original.minSize}, desiredSize ${original.desiredSize}) was restored, ` +
          'but the old instances may not have been replaced',
        { cause: waitError },
      );
    }
    progress['nodegroupLeftAt'] = scaledDown;
    progress['restoreCommand'] = restoreCommand(clusterName, nodegroupName, original);
    throw new ScaleCycleIncompleteError(`${message(waitError)}; restoring failed (${message(restore.error)}): ${leftAt}`, {
      cause: waitError,
    });
  }

  try {
    updateIds.push(
      await whileBusy(context, `restoring ${nodegroupName}`, () => eks.updateNodegroupScaling(clusterName, nodegroupName, original)),
    );
  } catch (error) {
    progress['nodegroupLeftAt'] = scaledDown;
    progress['restoreCommand'] = restoreCommand(clusterName, nodegroupName, original);
    throw new ScaleCycleIncompleteError(`restoring the scaling failed (${message(error)}): ${leftAt}`, { cause: error });
  }
  progress['restoredTo'] = original;
}

/**
 * RESTORE_SCALING: puts back the scaling a scale cycle of this tool left below its recorded
 * original (plan rule 8). Waits until the node group accepts updates; retried while busy.
 */
async function restoreScaling(
  { clusterName, nodegroupName, original }: { clusterName: string; nodegroupName: string; original: ScalingConfig },
  context: Context,
  progress: Progress,
): Promise<void> {
  progress['restoreCommand'] = restoreCommand(clusterName, nodegroupName, original);
  await waitForNodegroup(context, clusterName, nodegroupName, { drained: false });
  const updateId = await whileBusy(context, `restoring ${nodegroupName}`, () =>
    context.ports.eks.updateNodegroupScaling(clusterName, nodegroupName, original),
  );
  progress['updateIds'] = [updateId];
  progress['restoredTo'] = original;
}

/** The node group's registration now, or undefined when it cannot be read (the plan's judgement stands). */
async function freshRegistration(context: Context, progress: Progress): Promise<RegistrationNow | undefined> {
  if (!context.registrationNow) return undefined;
  try {
    return await context.registrationNow();
  } catch (error) {
    progress['registrationRecheck'] = `failed (${message(error)}); went by the plan's registration check`;
    context.logger?.warn('could not re-check registration before acting', { error: message(error) });
    return undefined;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Polls the node group until UpdateNodegroupConfig may be called (ACTIVE or DEGRADED), and
 * with `drained` also until the scale-down took effect: desiredSize 0 and no instance of its
 * Auto Scaling groups left that is not terminating. (Right after the update call the node
 * group may still read ACTIVE with the old instances; the drain check closes that race.)
 */
async function waitForNodegroup(
  context: Context,
  clusterName: string,
  nodegroupName: string,
  { drained }: { drained: boolean },
): Promise<NodegroupInfo> {
  for (;;) {
    const nodegroup = await context.ports.eks.describeNodegroup(clusterName, nodegroupName);
    const scalable = SCALABLE_NODEGROUP_STATUSES.has(nodegroup.status);
    if (!scalable && !TRANSITIONAL_STATUSES.has(nodegroup.status)) {
      throw new NodegroupStateError(`node group ${nodegroupName} is ${nodegroup.status} and cannot be scaled`);
    }
    if (scalable && (!drained || (await isDrained(context, nodegroup)))) return nodegroup;
    if (context.now().getTime() + context.pollMs > context.deadline.getTime()) {
      const goal = drained ? 'finish scaling to 0' : 'become ACTIVE';
      throw new WaitTimeoutError(
        `node group ${nodegroupName} did not ${goal} before ${context.deadline.toISOString()} (last status ${nodegroup.status})`,
      );
    }
    context.logger?.info('waiting for the node group', { nodegroupName, status: nodegroup.status, drained });
    await context.sleep(context.pollMs);
  }
}

async function isDrained(context: Context, nodegroup: NodegroupInfo): Promise<boolean> {
  if (nodegroup.scalingConfig.desiredSize !== 0) return false;
  if (nodegroup.autoScalingGroupNames.length === 0) return true;
  const groups = await context.ports.autoscaling.describeAutoScalingGroups(nodegroup.autoScalingGroupNames);
  return groups.every((g) => g.instances.every((i) => isLeavingItsGroup(i.lifecycleState)));
}

/** Calls `call`, retrying while it answers ResourceInUseError, bounded by the deadline and MAX_BUSY_ATTEMPTS. */
async function whileBusy<T>(context: Context, what: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const outOfTime = context.now().getTime() + context.pollMs > context.deadline.getTime();
      if (!(error instanceof ResourceInUseError) || outOfTime || attempt >= MAX_BUSY_ATTEMPTS) throw error;
      context.logger?.warn('resource busy, retrying', { what, attempt, error: error.message });
      await context.sleep(context.pollMs);
    }
  }
}
