import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbLedger } from '../../../lambda/aws/dynamodb';
import { AwsCallError } from '../../../lambda/errors';
import type { LedgerRecord } from '../../../lambda/ports';
import { WORLD } from '../../fixtures/aws/responses';

const documents = mockClient(DynamoDBDocumentClient);
const TABLE = 'node-join-remediator-ledger';
const PK = `NODEGROUP#${WORLD.clusterName}/${WORLD.nodegroupName}`;
const NOW = new Date('2026-11-29T06:00:00.000Z');
const NOW_SECONDS = Date.parse('2026-11-29T06:00:00.000Z') / 1000;

function ledger(): DynamoDbLedger {
  return new DynamoDbLedger(TABLE, new DynamoDBClient({ region: WORLD.region }));
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

const OUTCOME: LedgerRecord = {
  kind: 'outcome',
  clusterName: WORLD.clusterName,
  nodegroupName: WORLD.nodegroupName,
  time: '2026-11-29T06:00:00.000Z',
  remediationId: '6f1c1a52-8c1e-4a37-9a61-0d6f3f0b8a11',
  trigger: 'sweep',
  outcome: 'REMEDIATED',
  reason: 'Add route done.',
};

beforeEach(() => documents.reset());

describe('acquireLease', () => {
  it('writes the lease conditionally: free, expired, or already ours', async () => {
    // Prepare
    documents.on(PutCommand).resolves({});

    // Act
    const result = await ledger().acquireLease(WORLD.clusterName, WORLD.nodegroupName, 'request-1', 900, NOW);

    // Assess
    expect(result).toEqual({ acquired: true });
    expect(documents).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ pk: PK, sk: 'LEASE', owner: 'request-1', expiresAt: NOW_SECONDS + 900 }),
      ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #owner = :owner',
      ExpressionAttributeValues: { ':now': NOW_SECONDS, ':owner': 'request-1' },
    });
  });

  it('reads the holder back when the condition fails', async () => {
    // Prepare
    documents.on(PutCommand).rejects(conditionFailed());
    documents.on(GetCommand).resolves({ Item: { pk: PK, sk: 'LEASE', owner: 'request-0', expiresAt: NOW_SECONDS + 300 } });

    // Act
    const result = await ledger().acquireLease(WORLD.clusterName, WORLD.nodegroupName, 'request-1', 900, NOW);

    // Assess
    expect(result).toEqual({ acquired: false, heldBy: 'request-0', expiresAt: '2026-11-29T06:05:00.000Z' });
    expect(documents).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { pk: PK, sk: 'LEASE' }, ConsistentRead: true });
  });

  it('maps any other failure to AwsCallError', async () => {
    // Prepare
    documents.on(PutCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    // Act
    const run = ledger().acquireLease(WORLD.clusterName, WORLD.nodegroupName, 'request-1', 900, NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(AwsCallError);
    await expect(ledger().acquireLease(WORLD.clusterName, WORLD.nodegroupName, 'r', 1, NOW)).rejects.toThrow(/AccessDeniedException/);
  });
});

describe('releaseLease', () => {
  it('deletes only a lease the owner holds, and takes a lost lease quietly', async () => {
    // Prepare
    documents.on(DeleteCommand).rejects(conditionFailed());

    // Act
    await ledger().releaseLease(WORLD.clusterName, WORLD.nodegroupName, 'request-1');

    // Assess
    expect(documents).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { pk: PK, sk: 'LEASE' },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: { ':owner': 'request-1' },
    });
  });
});

describe('the ledger', () => {
  it('appends a record under LEDGER#<time>#<uuid>, kept 90 days', async () => {
    // Prepare
    documents.on(PutCommand).resolves({});

    // Act
    await ledger().append(OUTCOME);

    // Assess
    const item = documents.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(item).toMatchObject({ ...OUTCOME, pk: PK, expiresAt: NOW_SECONDS + 90 * 86_400 });
    expect(item['sk']).toMatch(/^LEDGER#2026-11-29T06:00:00\.000Z#[0-9a-f-]{36}$/);
  });

  it('reads a node group history newest first, without the table attributes', async () => {
    // Prepare
    documents.on(QueryCommand).resolves({ Items: [{ ...OUTCOME, pk: PK, sk: 'LEDGER#x', expiresAt: 1 }] });

    // Act
    const history = await ledger().history(WORLD.clusterName, WORLD.nodegroupName, { limit: 5 });

    // Assess
    expect(history).toEqual([OUTCOME]);
    expect(documents).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeValues: { ':pk': PK, ':prefix': 'LEDGER#' },
      ScanIndexForward: false,
      Limit: 5,
    });
  });

  it('bounds the history by `since` on the sort key and follows pages', async () => {
    // Prepare
    documents
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ ...OUTCOME, pk: PK, sk: 'a' }], LastEvaluatedKey: { pk: PK, sk: 'a' } })
      .resolvesOnce({ Items: [{ ...OUTCOME, reason: 'older', pk: PK, sk: 'b' }] });

    // Act
    const history = await ledger().history(WORLD.clusterName, WORLD.nodegroupName, { since: '2026-11-28T00:00:00.000Z' });

    // Assess
    expect(history.map((r) => (r.kind === 'outcome' ? r.reason : ''))).toEqual([OUTCOME.reason, 'older']);
    expect(documents).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeValues: expect.objectContaining({ ':from': 'LEDGER#2026-11-28T00:00:00.000Z' }),
    });
    expect(documents).toHaveReceivedCommandWith(QueryCommand, { ExclusiveStartKey: { pk: PK, sk: 'a' } });
  });
});
