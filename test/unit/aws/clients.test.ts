/**
 * The shared client configuration, exercised against a loopback HTTP server that speaks the
 * EC2 query protocol: AWS_ENDPOINT_URL is honoured, transient errors are retried, a stuck
 * request times out, and real wire errors reach the adapter's typed errors.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client } from '@aws-sdk/client-ec2';
import { awsClientConfig, awsErrorCode, chunk, DEFAULT_MAX_ATTEMPTS } from '../../../lambda/aws/clients';
import { Ec2Adapter } from '../../../lambda/aws/ec2';
import { AwsCallError, RouteAlreadyExistsError } from '../../../lambda/errors';

const ROUTE_TABLES_XML = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeRouteTablesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>0f2b1c3d-0000-4000-8000-000000000001</requestId>
  <routeTableSet>
    <item>
      <routeTableId>rtb-0c2d3e4f5a6b7c8d9</routeTableId>
      <vpcId>vpc-0b6e1f2a3c4d5e6f7</vpcId>
      <ownerId>123456789012</ownerId>
      <routeSet>
        <item><destinationCidrBlock>10.42.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state><origin>CreateRouteTable</origin></item>
      </routeSet>
      <associationSet>
        <item><routeTableAssociationId>rtbassoc-0d300e4ad4c000021</routeTableAssociationId><routeTableId>rtb-0c2d3e4f5a6b7c8d9</routeTableId><subnetId>subnet-0e1d2c3b4a5968778</subnetId><main>false</main><associationState><state>associated</state></associationState></item>
      </associationSet>
    </item>
  </routeTableSet>
</DescribeRouteTablesResponse>`;

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>0f2b1c3d-0000-4000-8000-000000000002</RequestID></Response>`;

interface Reply {
  status: number;
  body: string;
}

/** A loopback server answering with `replies` in order (the last one repeats); `hang` never answers. */
async function startServer(replies: Reply[] | 'hang') {
  const requests: { action: string | null; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (part: Buffer) => (body += part.toString()));
    req.on('end', () => {
      requests.push({ action: new URLSearchParams(body).get('Action'), body });
      if (replies === 'hang') return;
      const reply = replies[Math.min(requests.length - 1, replies.length - 1)]!;
      res.writeHead(reply.status, { 'content-type': 'text/xml' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ENV_KEYS = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;
let savedEnv: Record<string, string | undefined>;

beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIAREMEDIATOR000001';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'remediator/secret';
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];
});

afterEach(() => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

describe('awsClientConfig', () => {
  it('uses standard retries (faster than adaptive under throttling, issue 7), bounded attempts and the given region', async () => {
    // Act
    const client = new EC2Client(awsClientConfig({ region: 'us-west-2' }));

    // Assess
    expect(await client.config.region()).toBe('us-west-2');
    expect(client.config.retryMode).toBe('standard');
    expect(await client.config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
    client.destroy();
  });

  it('reaches the endpoint named by AWS_ENDPOINT_URL', async () => {
    // Prepare
    const server = await startServer([{ status: 200, body: ROUTE_TABLES_XML }]);
    process.env['AWS_ENDPOINT_URL'] = server.url;
    const adapter = new Ec2Adapter(undefined, { region: 'us-west-2' });

    try {
      // Act
      const table = await adapter.describeRouteTable('rtb-0c2d3e4f5a6b7c8d9');

      // Assess
      expect(server.requests.map((r) => r.action)).toEqual(['DescribeRouteTables']);
      expect(table).toMatchObject({ routeTableId: 'rtb-0c2d3e4f5a6b7c8d9', main: false, subnetIds: ['subnet-0e1d2c3b4a5968778'] });
    } finally {
      await server.close();
    }
  });

  it('retries a transient server error', async () => {
    // Prepare
    const server = await startServer([
      { status: 500, body: errorXml('InternalError', 'An internal error has occurred') },
      { status: 200, body: ROUTE_TABLES_XML },
    ]);
    process.env['AWS_ENDPOINT_URL'] = server.url;
    const adapter = new Ec2Adapter(undefined, { region: 'us-west-2' });

    try {
      // Act
      const tables = await adapter.describeRouteTables('vpc-0b6e1f2a3c4d5e6f7');

      // Assess
      expect(server.requests).toHaveLength(2);
      expect(tables).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('gives up on a request that never gets an answer', async () => {
    // Prepare
    const server = await startServer('hang');
    process.env['AWS_ENDPOINT_URL'] = server.url;
    const adapter = new Ec2Adapter(undefined, { region: 'us-west-2', requestTimeoutMs: 200, maxAttempts: 1 });

    try {
      // Act
      const result = adapter.describeRouteTables('vpc-0b6e1f2a3c4d5e6f7');

      // Assess
      await expect(result).rejects.toBeInstanceOf(AwsCallError);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('turns a real RouteAlreadyExists wire error into RouteAlreadyExistsError', async () => {
    // Prepare
    const server = await startServer([{ status: 400, body: errorXml('RouteAlreadyExists', 'The route identified by 0.0.0.0/0 already exists.') }]);
    process.env['AWS_ENDPOINT_URL'] = server.url;
    const adapter = new Ec2Adapter(undefined, { region: 'us-west-2' });

    try {
      // Act
      const result = adapter.createDefaultRoute('rtb-0c2d3e4f5a6b7c8d9', 'nat-0a1b2c3d4e5f60a01');

      // Assess
      await expect(result).rejects.toBeInstanceOf(RouteAlreadyExistsError);
      expect(server.requests).toHaveLength(1);
      expect(new URLSearchParams(server.requests[0]!.body).get('NatGatewayId')).toBe('nat-0a1b2c3d4e5f60a01');
    } finally {
      await server.close();
    }
  });
});

describe('helpers', () => {
  it('chunk splits into consecutive slices of at most the given size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });

  it('awsErrorCode prefers Code, then name, and never the generic "Error"', () => {
    expect(awsErrorCode({ Code: 'RouteAlreadyExists', name: 'Error' })).toBe('RouteAlreadyExists');
    expect(awsErrorCode(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe('ThrottlingException');
    expect(awsErrorCode(new Error('plain'))).toBe('UnknownError');
  });
});
