/**
 * DynamoDB on the emulator's endpoint is a real implementation (dynalite) behind the front
 * door: the SDK's document client round-trips items, conditional writes fail the way DynamoDB
 * fails them, and every call is authenticated and recorded like the other services'.
 */
import { ConditionalCheckFailedException, CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startEmulator, type RunningEmulator } from '../../../../emulator/index';
import { ledgerCreateTableInput } from '../../../../emulator/local-function';
import { LEDGER_TABLE, nodegroupPartitionKey } from '../../../../lambda/ledger/schema';

describe('DynamoDB through the emulator (embedded dynalite)', () => {
  let emulator: RunningEmulator;
  let documents: DynamoDBDocumentClient;
  let raw: DynamoDBClient;
  const TABLE = 'eks-node-join-remediator-ledger';

  beforeAll(async () => {
    emulator = await startEmulator({ scenario: 'seed', kubernetes: false });
    raw = new DynamoDBClient({ region: emulator.region, endpoint: emulator.awsEndpoint, credentials: emulator.credentialsOf('remediator'), maxAttempts: 1 });
    documents = DynamoDBDocumentClient.from(raw);
    await raw.send(new CreateTableCommand(ledgerCreateTableInput(TABLE)));
  });
  afterAll(async () => {
    raw?.destroy();
    await emulator?.close();
  });

  const pk = nodegroupPartitionKey('eks-workshop', 'new_nodegroup_2');

  it('round-trips an item and queries by key prefix', async () => {
    // Prepare
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'LEDGER#2026-11-30T18:00:00.000Z#a', outcome: 'REMEDIATED' } }));
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'LEDGER#2026-11-30T19:00:00.000Z#b', outcome: 'HEALTHY' } }));

    // Act
    const got = await documents.send(new GetCommand({ TableName: TABLE, Key: { pk, sk: 'LEDGER#2026-11-30T18:00:00.000Z#a' } }));
    const newestFirst = await documents.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': LEDGER_TABLE.ledgerSortKeyPrefix },
        ScanIndexForward: false,
      }),
    );

    // Assess
    expect(got.Item).toEqual({ pk, sk: 'LEDGER#2026-11-30T18:00:00.000Z#a', outcome: 'REMEDIATED' });
    expect(newestFirst.Items?.map((i) => i.outcome)).toEqual(['HEALTHY', 'REMEDIATED']);
  });

  it('refuses a conditional write on a held lease with ConditionalCheckFailedException', async () => {
    // Prepare: a lease held by another run until far in the future
    const lease = { pk, sk: LEDGER_TABLE.leaseSortKey, owner: 'request-1', expiresAt: 4_102_444_800 };
    await documents.send(new PutCommand({ TableName: TABLE, Item: lease }));

    // Act
    const attempt = documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: { ...lease, owner: 'request-2' },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':now': 1_790_000_000, ':owner': 'request-2' },
      }),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const kept = await documents.send(new GetCommand({ TableName: TABLE, Key: { pk, sk: LEDGER_TABLE.leaseSortKey } }));
    expect(kept.Item?.owner).toBe('request-1');
    await documents.send(new DeleteCommand({ TableName: TABLE, Key: { pk, sk: LEDGER_TABLE.leaseSortKey } }));
  });

  it('records each call with its operation and signer, and applies injected faults', async () => {
    // Prepare
    emulator.clearCalls();
    emulator.injectFault({ service: 'dynamodb', operation: 'GetItem', error: 'throttle', count: 1 });

    // Act
    const throttled = documents.send(new GetCommand({ TableName: TABLE, Key: { pk, sk: 'nothing' } }));

    // Assess
    await expect(throttled).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(emulator.calls()).toEqual([
      expect.objectContaining({
        service: 'dynamodb',
        operation: 'GetItem',
        principalArn: 'arn:aws:iam::123456789012:role/node-join-remediator',
        errorCode: 'ThrottlingException',
        params: expect.objectContaining({ TableName: TABLE }),
      }),
    ]);
  });

  it('refuses a request signed with an unknown key, as DynamoDB does', async () => {
    // Prepare
    const stranger = new DynamoDBClient({
      region: emulator.region,
      endpoint: emulator.awsEndpoint,
      credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x'.repeat(40) },
      maxAttempts: 1,
    });

    // Act
    const attempt = DynamoDBDocumentClient.from(stranger).send(new GetCommand({ TableName: TABLE, Key: { pk, sk: 'x' } }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    stranger.destroy();
  });
});
