import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createSnsReportPublisher, SnsReportPublisher } from '../../../lambda/aws/sns';
import { AwsCallError } from '../../../lambda/errors';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:node-join-reports';

beforeEach(() => sns.reset());

describe('SnsReportPublisher', () => {
  it('publishes one json-structured message: the report by default, readable text for e-mail', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const json = JSON.stringify({ outcome: 'REMEDIATED' });

    // Act
    await new SnsReportPublisher(TOPIC, new SNSClient({ region: 'us-west-2' })).publish({
      subject: '[REMEDIATED] eks-workshop/new_nodegroup_2 ✓',
      json,
      text: 'REMEDIATED  eks-workshop/new_nodegroup_2',
    });

    // Assess
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ TopicArn: TOPIC, MessageStructure: 'json', Subject: '[REMEDIATED] eks-workshop/new_nodegroup_2 ?' });
    expect(JSON.parse(input.Message!)).toEqual({ default: json, email: 'REMEDIATED  eks-workshop/new_nodegroup_2' });
  });

  it('maps a failure to AwsCallError', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(Object.assign(new Error('no'), { name: 'AuthorizationErrorException' }));

    // Act
    const run = new SnsReportPublisher(TOPIC, new SNSClient({ region: 'us-west-2' })).publish({ subject: 's', json: '{}', text: 't' });

    // Assess
    await expect(run).rejects.toBeInstanceOf(AwsCallError);
  });
});

describe('createSnsReportPublisher', () => {
  it('builds the client for the topic\'s region, not the function\'s (a central topic of the organisation)', async () => {
    // Act: a member in us-west-2 publishing to a central topic in eu-west-1.
    const publisher = createSnsReportPublisher('arn:aws:sns:eu-west-1:111122223333:reports', { region: 'us-west-2' });
    // Assess
    const client = (publisher as unknown as { client: SNSClient }).client;
    await expect(client.config.region()).resolves.toBe('eu-west-1');
  });
});
