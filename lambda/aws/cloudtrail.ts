/**
 * The CloudTrailPort adapter: CloudTrail LookupEvents (management events of the last 90 days,
 * no trail needed) for the resources of a node's path to the AWS APIs. One call pages per
 * resource, bounded: INSTANCES_BOOTED_BEFORE_FIX needs the newest changes, not the whole history.
 * LookupEvents is rate-limited to 2 requests per second per account and region; the shared
 * client config's adaptive retries back off on its ThrottlingException.
 */
import { CloudTrailClient, LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import type { CloudTrailEventInfo, CloudTrailPort } from '../ports';
import { awsCallError, awsClientConfig, isoTime, type AwsClientOptions } from './clients';

/** LookupEvents returns at most 50 events per page. */
export const LOOKUP_EVENTS_PAGE_SIZE = 50;
/** Events read per resource at most (two pages): enough for the newest changes of one route table. */
export const DEFAULT_MAX_EVENTS_PER_RESOURCE = 100;

/** The CloudTrailEvent JSON string's fields the diagnosis reads. */
interface CloudTrailRecord {
  userIdentity?: { arn?: string };
  errorCode?: string;
  eventSource?: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
}

/** Request fields naming the resource an EC2 call changed, in case the event's Resources leave one out. */
const ID_FIELDS = ['routeTableId', 'subnetId', 'natGatewayId', 'vpcEndpointId', 'internetGatewayId', 'vpcId', 'associationId'];

function idsIn(value: Record<string, unknown> | null | undefined): string[] {
  if (!value) return [];
  return ID_FIELDS.map((field) => value[field]).filter((id): id is string => typeof id === 'string' && id !== '');
}

function parseRecord(json: string | undefined): CloudTrailRecord {
  if (!json) return {};
  try {
    const parsed = JSON.parse(json) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as CloudTrailRecord) : {};
  } catch {
    return {};
  }
}

export function cloudTrailEventInfoFromEvent(event: Event): CloudTrailEventInfo {
  const record = parseRecord(event.CloudTrailEvent);
  const callerArn = record.userIdentity?.arn ?? event.Username;
  const eventSource = record.eventSource ?? event.EventSource;
  return {
    eventId: event.EventId ?? '',
    eventName: event.EventName ?? '',
    eventTime: isoTime(event.EventTime),
    ...(eventSource ? { eventSource } : {}),
    ...(callerArn ? { callerArn } : {}),
    resourceNames: [
      ...new Set([
        ...(event.Resources ?? []).map((r) => r.ResourceName ?? '').filter((name) => name !== ''),
        ...idsIn(record.requestParameters),
      ]),
    ],
    ...(record.errorCode ? { errorCode: record.errorCode } : {}),
  };
}

export function createCloudTrailAdapter(options: AwsClientOptions = {}, client?: CloudTrailClient): CloudTrailPort {
  const cloudtrail = client ?? new CloudTrailClient(awsClientConfig(options));
  return {
    async lookupResourceEvents(resourceName, startTime, endTime, maxEvents = DEFAULT_MAX_EVENTS_PER_RESOURCE) {
      const events: CloudTrailEventInfo[] = [];
      let nextToken: string | undefined;
      try {
        do {
          const page = await cloudtrail.send(
            new LookupEventsCommand({
              LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: resourceName }],
              StartTime: startTime,
              EndTime: endTime,
              MaxResults: LOOKUP_EVENTS_PAGE_SIZE,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          );
          events.push(...(page.Events ?? []).map(cloudTrailEventInfoFromEvent));
          nextToken = page.NextToken;
        } while (nextToken && events.length < maxEvents);
      } catch (error) {
        throw awsCallError('LookupEvents', error);
      }
      return events.slice(0, maxEvents);
    },
  };
}
