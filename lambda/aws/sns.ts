/** SNS adapter: publishes finished reports to the topic a platform team subscribed to. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { ReportPublisher } from '../ports';

/** SNS subjects are at most 100 ASCII characters. */
const MAX_SUBJECT = 100;

export class SnsReportPublisher implements ReportPublisher {
  private readonly client: SNSClient;

  constructor(
    private readonly topicArn: string,
    client?: SNSClient,
  ) {
    this.client = client ?? new SNSClient({});
  }

  async publish(subject: string, message: string): Promise<void> {
    const ascii = subject.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_SUBJECT);
    await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: ascii, Message: message }));
  }
}
