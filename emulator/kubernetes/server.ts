/**
 * A cluster's Kubernetes API endpoint: HTTPS on loopback with a certificate from the
 * cluster's own CA (what DescribeCluster returns as certificateAuthority.data), serving the
 * read-only node API of ./api.ts. The imperative shell around the request handler.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createCertificateAuthority, issueServerCertificate } from '../pki';
import { handleKubeRequest, type ClusterApiState } from './api';
import { internalError, type KubeResponse } from './status';
import type { KubeClusterView, RunningClusterApi } from './types';

export type { KubeAccessEntry, KubeClusterView, KubePrincipal, RunningClusterApi } from './types';
export { NODE_READER_GROUP, NODE_READING_ACCESS_POLICIES, SYSTEM_MASTERS_GROUP } from './authorizer';

export interface ClusterApiOptions {
  /** why a bearer token was refused (the client only ever sees "Unauthorized"); for emulator logs */
  onTokenRejected?: (reason: string) => void;
}

const LOOPBACK = '127.0.0.1';

export async function startClusterApi(view: KubeClusterView, options: ClusterApiOptions = {}): Promise<RunningClusterApi> {
  const ca = createCertificateAuthority('kubernetes');
  const serverCertificate = issueServerCertificate(ca, [LOOPBACK, 'localhost']);
  const state: ClusterApiState = {
    resourceVersion: 0,
    ...(options.onTokenRejected ? { onTokenRejected: options.onTokenRejected } : {}),
  };
  const sockets = new Set<Socket>();
  let serverAddress = '';

  const server = createServer({ key: serverCertificate.keyPem, cert: serverCertificate.certPem }, (request, response) => {
    void respond(request, response, (kubeRequest) => handleKubeRequest(kubeRequest, view, state, serverAddress));
  });
  // Tracked so close() can end keep-alive connections instead of waiting for clients.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server);
  serverAddress = `${LOOPBACK}:${(server.address() as AddressInfo).port}`;

  let closing: Promise<void> | undefined;
  return {
    endpoint: `https://${serverAddress}`,
    certificateAuthorityData: Buffer.from(ca.certPem, 'utf8').toString('base64'),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function respond(
  request: IncomingMessage,
  response: ServerResponse,
  handle: (request: Parameters<typeof handleKubeRequest>[0]) => Promise<KubeResponse>,
): Promise<void> {
  request.resume(); // bodies are never read; drain them so the connection can be reused
  const rawUrl = request.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  let answer: KubeResponse;
  try {
    answer = await handle({
      method: request.method ?? 'GET',
      path: queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart),
      query: new URLSearchParams(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1)),
      ...(request.headers.authorization !== undefined ? { authorization: request.headers.authorization } : {}),
      ...(request.headers.accept !== undefined ? { accept: request.headers.accept } : {}),
    });
  } catch (error) {
    answer = internalError(error instanceof Error ? error.message : String(error));
  }
  const payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  response.writeHead(answer.statusCode, {
    'Content-Type': answer.contentType ?? 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-cache, private',
  });
  response.end(payload);
}
