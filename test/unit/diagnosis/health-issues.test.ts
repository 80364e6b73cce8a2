import { checkClusterHealth, checkNodegroupHealth } from '../../../lambda/diagnosis/health-issues';
import { SEED } from '../../fixtures/snapshots/builder';
import { CONTEXT, NOTHING_UNREGISTERED, snapshot } from '../../fixtures/snapshots/identity';

describe('health issues', () => {
  it('reports every node group code but NodeCreationFailure, with meaning and fix', () => {
    const s = snapshot();
    s.nodegroup.healthIssues = [
      { code: 'NodeCreationFailure', resourceIds: [SEED.instanceId] },
      { code: 'Ec2LaunchTemplateVersionMismatch', message: 'The launch template version does not match', resourceIds: [SEED.asgName] },
    ];
    const findings = checkNodegroupHealth(s, CONTEXT);
    expect(findings.map((f) => f.evidence['code'])).toEqual(['Ec2LaunchTemplateVersionMismatch']);
    expect(findings[0]!.evidence['fix']).toContain(`aws eks update-nodegroup-version --cluster-name ${SEED.clusterName} --nodegroup-name ${SEED.nodegroupName}`);
    expect(findings[0]!.severity).toBe('error');
  });

  it('explains StsRegionalEndpointDisabled with the console step, and is a warning when every node joined', () => {
    const s = snapshot();
    s.cluster.healthIssues = [{ code: 'StsRegionalEndpointDisabled', resourceIds: [] }];
    const [finding] = checkClusterHealth(s, CONTEXT);
    expect(finding).toMatchObject({ code: 'CLUSTER_HEALTH_ISSUE', severity: 'error' });
    expect(finding!.evidence['fix']).toContain('Security Token Service (STS) > Endpoints: activate us-west-2');
    expect(checkClusterHealth(s, NOTHING_UNREGISTERED)[0]!.severity).toBe('warning');
  });
});

