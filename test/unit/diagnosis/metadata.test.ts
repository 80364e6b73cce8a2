import { checkInstanceMetadata } from '../../../lambda/diagnosis/metadata';
import { SEED } from '../../fixtures/snapshots/builder';
import { CONTEXT, snapshot } from '../../fixtures/snapshots/identity';

describe('checkInstanceMetadata', () => {
  it('reports unregistered instances whose IMDS endpoint is disabled, with the launch template fix', () => {
    const s = snapshot();
    s.instances[0]!.metadataHttpEndpoint = 'disabled';
    const [finding] = checkInstanceMetadata(s, CONTEXT);
    expect(finding).toMatchObject({ code: 'INSTANCE_METADATA_DISABLED', evidence: expect.objectContaining({ instanceIds: [SEED.instanceId] }) });
    expect(finding!.evidence['fix']).toContain('HttpEndpoint=enabled');
    s.instances[0]!.metadataHttpEndpoint = 'enabled';
    expect(checkInstanceMetadata(s, CONTEXT)).toEqual([]);
  });
});

