/**
 * Amazon SNS over the Query protocol (Version 2010-03-31): topics (CreateTopic, ListTopics,
 * DeleteTopic) and Publish, whose messages are recorded for GET /_emulator/notifications instead
 * of being delivered. Publish validates as SNS does (API reference, Publish, "JSON-specific
 * constraints"): with MessageStructure json the message must be a JSON object with a string
 * `default` entry; non-string entries are ignored; the subject is ASCII, without line breaks,
 * at most 100 characters.
 */
import { AwsApiError } from '../errors';
import { parseForm, QUERY_SIGNING_ERRORS, QueryParams, queryErrorReply } from '../protocols/query';
import { xmlDocument, type XmlObject } from '../protocols/xml';
import type { World } from '../world/world';
import type { ParsedCall, ServiceProtocol, ServiceRequest } from './types';

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const VERSION = '2010-03-31';
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
/** 256 KiB, the Publish message limit */
const MAX_MESSAGE_BYTES = 262_144;

/** One Publish as SNS accepted it. */
export interface NotificationRecord {
  messageId: string;
  topicArn: string;
  subject: string | null;
  message: string;
  messageStructure: string | null;
  /** MessageStructure json: the entries SNS keeps (string values), by protocol ("default", "email", ...) */
  messages: Record<string, string> | null;
  messageAttributes: Record<string, { DataType: string; StringValue?: string }>;
  /** ISO-8601, simulation clock */
  time: string;
  principalArn: string;
}

const invalidParameter = (message: string): AwsApiError => new AwsApiError('InvalidParameter', message, 400);

function requestParams(request: ServiceRequest): QueryParams {
  return new QueryParams({ ...Object.fromEntries(request.query.entries()), ...parseForm(request.body) });
}

/** The message entries a MessageStructure json publish carries, or the error SNS answers. */
export function parseStructuredMessage(message: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  const entries = Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  if (entries.default === undefined) throw invalidParameter('Invalid parameter: Message Structure - No default entry in JSON message body');
  return entries;
}

export class SnsStore {
  private readonly topics = new Set<string>();
  private readonly published: NotificationRecord[] = [];

  constructor(private readonly world: Pick<World, 'region' | 'accountId' | 'clock' | 'ids'>) {}

  topicArn(name: string): string {
    return `arn:aws:sns:${this.world.region}:${this.world.accountId}:${name}`;
  }

  createTopic(name: string): string {
    if (!TOPIC_NAME.test(name)) {
      throw invalidParameter('Invalid parameter: Topic Name');
    }
    const arn = this.topicArn(name);
    this.topics.add(arn);
    return arn;
  }

  deleteTopic(arn: string): void {
    this.topics.delete(arn);
  }

  listTopics(): string[] {
    return [...this.topics].sort();
  }

  publish(params: QueryParams, principalArn: string): NotificationRecord {
    const topicArn = params.string('TopicArn') ?? params.string('TargetArn');
    if (!topicArn) throw invalidParameter('Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    const message = params.string('Message');
    if (message === undefined) {
      throw new AwsApiError('ValidationError', "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null", 400);
    }
    if (message === '') throw invalidParameter('Invalid parameter: Empty message');
    if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) throw invalidParameter('Invalid parameter: Message too long');
    const subject = params.string('Subject');
    if (subject !== undefined && (subject === '' || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject))) {
      throw invalidParameter('Invalid parameter: Subject');
    }
    const structure = params.string('MessageStructure');
    if (structure !== undefined && structure !== 'json') throw invalidParameter('Invalid parameter: MessageStructure');
    const messages = structure === 'json' ? parseStructuredMessage(message) : null;
    if (!this.topics.has(topicArn)) throw new AwsApiError('NotFound', 'Topic does not exist', 404);
    const attributes: NotificationRecord['messageAttributes'] = {};
    for (const entry of params.structs('MessageAttributes.entry')) {
      const name = entry.string('Name');
      if (!name) continue;
      attributes[name] = { DataType: entry.string('Value.DataType') ?? 'String', ...(entry.string('Value.StringValue') !== undefined ? { StringValue: entry.string('Value.StringValue') } : {}) };
    }
    const record: NotificationRecord = {
      messageId: this.world.ids.uuid(),
      topicArn,
      subject: subject ?? null,
      message,
      messageStructure: structure ?? null,
      messages,
      messageAttributes: attributes,
      time: new Date(this.world.clock.now()).toISOString(),
      principalArn,
    };
    this.published.push(record);
    return record;
  }

  notifications(): NotificationRecord[] {
    return structuredClone(this.published);
  }

  clearNotifications(): void {
    this.published.length = 0;
  }
}

function reply(action: string, result: XmlObject | undefined, requestId: string) {
  const body = xmlDocument(
    `${action}Response`,
    NAMESPACE,
    { ...(result ? { [`${action}Result`]: result } : {}), ResponseMetadata: { RequestId: requestId } },
    'member',
  );
  return { reply: { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body } };
}

export function createSnsService(store: SnsStore): ServiceProtocol {
  return {
    name: 'sns',
    recognizes: (request) => requestParams(request).string('Version') === VERSION,
    operationName: (request) => requestParams(request).action ?? 'Unknown',
    parse(request): ParsedCall {
      const params = requestParams(request);
      const action = params.action;
      const required = (name: string): string =>
        params.required(name, (n) => invalidParameter(`Invalid parameter: ${n} Reason: no value for required parameter`));
      const operations: Record<string, ParsedCall['execute']> = {
        CreateTopic: (context) => reply('CreateTopic', { TopicArn: store.createTopic(required('Name')) }, context.requestId),
        DeleteTopic: (context) => {
          store.deleteTopic(required('TopicArn'));
          return reply('DeleteTopic', undefined, context.requestId);
        },
        ListTopics: (context) => reply('ListTopics', { Topics: store.listTopics().map((arn) => ({ TopicArn: arn })) }, context.requestId),
        Publish: (context) => reply('Publish', { MessageId: store.publish(params, context.principal.arn).messageId }, context.requestId),
      };
      const execute = action ? operations[action] : undefined;
      if (!execute) throw new AwsApiError('InvalidAction', `The action ${action ?? '(none)'} is not valid for this web service.`, 400);
      return { operation: action as string, params: params.nested(), emitsCloudTrailEvent: false, execute };
    },
    errors: {
      ...QUERY_SIGNING_ERRORS,
      serverError: () => new AwsApiError('InternalError', 'An internal error occurred.', 500),
      accessDenied: (operation, callerArn) =>
        new AwsApiError('AuthorizationError', `User: ${callerArn} is not authorized to perform: SNS:${operation}`, 403),
    },
    errorReply: (error, requestId) => queryErrorReply(NAMESPACE, error, requestId),
  };
}
