/**
 * SNS on the emulator: Publish over the Query protocol is recorded (GET /_emulator/notifications)
 * and validated as SNS validates it, MessageStructure json above all (a string `default` entry).
 */
import { CreateTopicCommand, InvalidParameterException, NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { startEmulator, type RunningEmulator } from '../../../../emulator/index';

describe('SNS through the emulator', () => {
  let emulator: RunningEmulator;
  let sns: SNSClient;
  let topicArn: string;

  beforeAll(async () => {
    emulator = await startEmulator({ scenario: 'seed', kubernetes: false });
    sns = new SNSClient({ region: emulator.region, endpoint: emulator.awsEndpoint, credentials: emulator.credentialsOf('remediator'), maxAttempts: 1 });
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'eks-node-join-remediator-reports' }))).TopicArn!;
  });
  afterAll(async () => {
    sns?.destroy();
    await emulator?.close();
  });

  it('records a MessageStructure json publish with its entries by protocol', async () => {
    // Prepare
    const report = { clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2', outcome: 'REMEDIATED' };
    const message = JSON.stringify({ default: JSON.stringify(report), email: 'eks-workshop/new_nodegroup_2 was REMEDIATED', sms: 42 });

    // Act
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: '[REMEDIATED] eks-workshop/new_nodegroup_2', Message: message, MessageStructure: 'json' }));

    // Assess
    expect(topicArn).toBe('arn:aws:sns:us-west-2:123456789012:eks-node-join-remediator-reports');
    expect(emulator.notifications()).toEqual([
      expect.objectContaining({
        messageId: MessageId,
        topicArn,
        subject: '[REMEDIATED] eks-workshop/new_nodegroup_2',
        messageStructure: 'json',
        // a non-string entry is ignored, as SNS ignores it
        messages: { default: JSON.stringify(report), email: 'eks-workshop/new_nodegroup_2 was REMEDIATED' },
        principalArn: 'arn:aws:iam::123456789012:role/node-join-remediator',
      }),
    ]);
    const overHttp = (await (await fetch(`${emulator.awsEndpoint}/_emulator/notifications`)).json()) as { messageId: string }[];
    expect(overHttp.map((n) => n.messageId)).toEqual([MessageId]);
  });

  it('refuses MessageStructure json without a default entry, or not JSON, with SNS messages', async () => {
    // Prepare
    const before = emulator.notifications().length;

    // Act
    const noDefault = sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ email: 'hi' }), MessageStructure: 'json' }));
    const notJson = sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'plain text', MessageStructure: 'json' }));

    // Assess
    await expect(noDefault).rejects.toThrow('Invalid parameter: Message Structure - No default entry in JSON message body');
    await expect(noDefault).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(notJson).rejects.toThrow('Invalid parameter: Message Structure - JSON message body failed to parse');
    expect(emulator.notifications()).toHaveLength(before);
  });

  it('refuses a subject with a line break and a topic that does not exist', async () => {
    // Act
    const badSubject = sns.send(new PublishCommand({ TopicArn: topicArn, Subject: 'two\nlines', Message: 'x' }));
    const noTopic = sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-west-2:123456789012:missing', Message: 'x' }));

    // Assess
    await expect(badSubject).rejects.toThrow('Invalid parameter: Subject');
    await expect(noTopic).rejects.toBeInstanceOf(NotFoundException);
  });
});
