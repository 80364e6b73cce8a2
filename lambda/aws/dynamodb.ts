/**
 * The LedgerPort adapter: leases and the remediation ledger in one DynamoDB table (layout in
 * lambda/ledger/schema.ts), through the document client of @aws-sdk/lib-dynamodb.
 *
 * - Lease: a conditional PutItem on sk "LEASE" that succeeds when no lease exists, the lease has
 *   expired (expiresAt, epoch seconds, before now) or the caller already holds it. A failed
 *   condition is read back (GetItem, strongly consistent) to say who holds it and until when.
 * - Release: DeleteItem conditioned on the owner (someone else's lease is never released).
 * - Ledger: one PutItem per record, sk "LEDGER#<time>#<uuid>" (never overwrites another), kept
 *   90 days by the table's TTL; history = Query on the partition, newest first.
 *
 * IAM: dynamodb:PutItem, GetItem, DeleteItem, Query on the table.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { LEDGER_TABLE, nodegroupPartitionKey } from '../ledger/schema';
import type { LeaseResult, LedgerPort, LedgerRecord } from '../ports';
import { awsCallError, awsClientConfig, instrumented, awsErrorCode, type AwsClientOptions } from './clients';

const DAY_SECONDS = 86_400;

function epochSeconds(date: Date | number): number {
  return Math.floor((typeof date === 'number' ? date : date.getTime()) / 1000);
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || awsErrorCode(error) === 'ConditionalCheckFailedException';
}

/** The table's own attributes, stripped when a record is read back. */
const KEY_ATTRIBUTES = [LEDGER_TABLE.partitionKey, LEDGER_TABLE.sortKey, LEDGER_TABLE.timeToLiveAttribute] as const;

export class DynamoDbLedger implements LedgerPort {
  readonly durable = true;
  private readonly documents: DynamoDBDocumentClient;

  /** `client`: a DynamoDBClient built with the shared client config (awsClientConfig). */
  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient(awsClientConfig()),
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async append(record: LedgerRecord): Promise<void> {
    const time = Date.parse(record.time);
    const item = {
      ...record,
      [LEDGER_TABLE.partitionKey]: nodegroupPartitionKey(record.clusterName, record.nodegroupName),
      [LEDGER_TABLE.sortKey]: `${LEDGER_TABLE.ledgerSortKeyPrefix}${record.time}#${randomUUID()}`,
      [LEDGER_TABLE.timeToLiveAttribute]: epochSeconds(time) + LEDGER_TABLE.ledgerRetentionDays * DAY_SECONDS,
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': LEDGER_TABLE.sortKey },
        }),
      );
    } catch (error) {
      throw awsCallError('PutItem', error);
    }
  }

  async history(
    clusterName: string,
    nodegroupName: string,
    options: { since?: string; limit?: number } = {},
  ): Promise<LedgerRecord[]> {
    const prefix = LEDGER_TABLE.ledgerSortKeyPrefix;
    // ISO-8601 times sort as strings, so "since" is a lower bound on the sort key.
    const range = options.since
      ? { condition: '#sk BETWEEN :from AND :to', values: { ':from': `${prefix}${options.since}`, ':to': `${prefix}\uffff` } }
      : { condition: 'begins_with(#sk, :prefix)', values: { ':prefix': prefix } };
    const records: LedgerRecord[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      let page;
      try {
        page = await this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: `#pk = :pk AND ${range.condition}`,
            ExpressionAttributeNames: { '#pk': LEDGER_TABLE.partitionKey, '#sk': LEDGER_TABLE.sortKey },
            ExpressionAttributeValues: { ':pk': nodegroupPartitionKey(clusterName, nodegroupName), ...range.values },
            ScanIndexForward: false,
            ...(options.limit !== undefined ? { Limit: options.limit - records.length } : {}),
            ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
          }),
        );
      } catch (error) {
        throw awsCallError('Query', error);
      }
      for (const item of page.Items ?? []) records.push(recordFromItem(item));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey && (options.limit === undefined || records.length < options.limit));
    return records;
  }

  async acquireLease(
    clusterName: string,
    nodegroupName: string,
    owner: string,
    ttlSeconds: number,
    now: Date,
  ): Promise<LeaseResult> {
    const key = this.leaseKey(clusterName, nodegroupName);
    // Two attempts: a lease released between the failed write and the read is free again.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, owner, expiresAt: epochSeconds(now) + ttlSeconds, acquiredAt: now.toISOString() },
            ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #owner = :owner',
            ExpressionAttributeNames: { '#pk': LEDGER_TABLE.partitionKey, '#expiresAt': LEDGER_TABLE.timeToLiveAttribute, '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': epochSeconds(now), ':owner': owner },
          }),
        );
        return { acquired: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw awsCallError('PutItem', error);
      }
      let holder;
      try {
        holder = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      } catch (error) {
        throw awsCallError('GetItem', error);
      }
      const item = holder.Item;
      if (item) {
        return {
          acquired: false,
          heldBy: String(item['owner'] ?? 'unknown'),
          expiresAt: new Date(Number(item[LEDGER_TABLE.timeToLiveAttribute] ?? 0) * 1000).toISOString(),
        };
      }
    }
    // Taken and released twice in a row by others: report it as held for now, briefly.
    return { acquired: false, heldBy: 'unknown', expiresAt: new Date(now.getTime() + 60_000).toISOString() };
  }

  async releaseLease(clusterName: string, nodegroupName: string, owner: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.leaseKey(clusterName, nodegroupName),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Already expired and taken by another run, or gone: nothing of ours to release.
      if (isConditionFailure(error)) return;
      throw awsCallError('DeleteItem', error);
    }
  }

  private leaseKey(clusterName: string, nodegroupName: string): Record<string, string> {
    return {
      [LEDGER_TABLE.partitionKey]: nodegroupPartitionKey(clusterName, nodegroupName),
      [LEDGER_TABLE.sortKey]: LEDGER_TABLE.leaseSortKey,
    };
  }
}

function recordFromItem(item: Record<string, unknown>): LedgerRecord {
  const record: Record<string, unknown> = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete record[attribute];
  return record as unknown as LedgerRecord;
}

/** The ledger of the deployed shape, on the shared client config. */
export function createDynamoDbLedger(tableName: string, options: AwsClientOptions = {}): DynamoDbLedger {
  return new DynamoDbLedger(tableName, instrumented(new DynamoDBClient(awsClientConfig(options)), options));
}
