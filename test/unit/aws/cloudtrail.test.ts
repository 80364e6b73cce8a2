import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createCloudTrailAdapter } from '../../../lambda/aws/cloudtrail';
import { AwsCallError } from '../../../lambda/errors';
import page from '../../fixtures/aws/cloudtrail-lookup-events.json';

const cloudTrailMock = mockClient(CloudTrailClient);
const START = new Date('2026-11-29T05:00:00Z');
const END = new Date('2026-11-29T06:00:00Z');

describe('CloudTrail adapter: LookupEvents by resource', () => {
  beforeEach(() => cloudTrailMock.reset());

  it('asks for one resource in a time window and maps caller, resources and failed calls', async () => {
    // Prepare
    cloudTrailMock.on(LookupEventsCommand).resolves({ ...page, NextToken: undefined, Events: page.Events.map((e) => ({ ...e, EventTime: new Date(e.EventTime) })) });

    // Act
    const events = await createCloudTrailAdapter({}, new CloudTrailClient({ region: 'us-west-2' })).lookupResourceEvents('rtb-0c2d3e4f5a6b7c8d9', START, END);

    // Assess
    expect(cloudTrailMock).toHaveReceivedCommandWith(LookupEventsCommand, {
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: 'rtb-0c2d3e4f5a6b7c8d9' }],
      StartTime: START,
      EndTime: END,
    });
    expect(events[0]).toEqual({
      eventId: '5b3c1f0e-8a1e-4c52-9d0b-3f1f3a2b9c01',
      eventName: 'CreateRoute',
      eventTime: '2026-11-29T05:50:12.000Z',
      eventSource: 'ec2.amazonaws.com',
      callerArn: 'arn:aws:sts::123456789012:assumed-role/platform-admin/alice',
      resourceNames: ['rtb-0c2d3e4f5a6b7c8d9', 'nat-0a1b2c3d4e5f60a01'],
    });
    // Resources left empty by CloudTrail: the request's ids stand in; the failed call is marked.
    expect(events[1]).toMatchObject({ resourceNames: ['rtb-0c2d3e4f5a6b7c8d9'], errorCode: 'Client.UnauthorizedOperation', callerArn: 'arn:aws:iam::123456789012:user/bob' });
  });

  it('pages with NextToken but stops at maxEvents', async () => {
    cloudTrailMock.on(LookupEventsCommand).resolves({ ...page, Events: page.Events.map((e) => ({ ...e, EventTime: new Date(e.EventTime) })) });

    const events = await createCloudTrailAdapter({}, new CloudTrailClient({ region: 'us-west-2' })).lookupResourceEvents('rtb-1', START, END, 3);

    expect(cloudTrailMock).toHaveReceivedCommandTimes(LookupEventsCommand, 2);
    expect(events).toHaveLength(3);
  });

  it('wraps a denial in an AwsCallError naming LookupEvents', async () => {
    cloudTrailMock.on(LookupEventsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    const failure = createCloudTrailAdapter({}, new CloudTrailClient({ region: 'us-west-2' })).lookupResourceEvents('rtb-1', START, END);

    await expect(failure).rejects.toThrow(AwsCallError);
    await expect(failure).rejects.toThrow(/LookupEvents failed: AccessDeniedException/);
  });
});
