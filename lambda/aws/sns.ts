/**
 * SNS adapter: publishes finished reports to the topic a platform team subscribed to, as one
 * message per report with `MessageStructure: 'json'`: e-mail subscribers get the readable text,
 * every other protocol (SQS, Lambda, HTTPS) the JSON report (`default`).
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html, MessageStructure)
 *
 * IAM: sns:Publish on the topic.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { ReportNotification, ReportPublisher } from '../ports';
import { awsCallError, awsClientConfig, instrumented, type AwsClientOptions } from './clients';

/** SNS subjects are at most 100 printable ASCII characters. */
const MAX_SUBJECT = 100;

export class SnsReportPublisher implements ReportPublisher {
  constructor(
    private readonly topicArn: string,
    private readonly client: SNSClient = new SNSClient(awsClientConfig()),
  ) {}

  async publish(notification: ReportNotification): Promise<void> {
    const subject = notification.subject.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_SUBJECT);
    try {
      await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: subject,
          MessageStructure: 'json',
          Message: JSON.stringify({ default: notification.json, email: notification.text }),
        }),
      );
    } catch (error) {
      throw awsCallError('Publish', error);
    }
  }
}

/**
 * The report publisher of the deployed shape, on the shared client config. The client is built
 * for the topic's own region: SNS accepts Publish only in the region of the topic, and an
 * organisation's members publish to one central topic from every region (contract section 9).
 */
export function createSnsReportPublisher(topicArn: string, options: AwsClientOptions = {}): SnsReportPublisher {
  const topicRegion = topicArn.split(':')[3];
  const clientOptions = { ...options, ...(topicRegion ? { region: topicRegion } : {}) };
  return new SnsReportPublisher(topicArn, instrumented(new SNSClient(awsClientConfig(clientOptions)), clientOptions));
}
