/**
 * Serial-console evidence (--read-console-output): which lines of an instance's console are
 * kept. Only lines matching a known nodeadm / kubelet / cloud-init failure are ever kept, each
 * cut to MAX_LINE_LENGTH and at most MAX_LINES per instance: the console may hold secrets.
 * Patterns follow what nodeadm and kubelet log on the usual bootstrap failures
 * (awslabs/amazon-eks-ami nodeadm logs through zap: `{"level":"error",...}` / "level=error").
 */
export const CONSOLE_FAILURE_PATTERNS: readonly RegExp[] = [
  /nodeadm.*(error|fail)/i,
  /"level":"(error|fatal)"/i,
  /Unauthorized/,
  /is forbidden/i,
  /AccessDenied|UnauthorizedOperation|not authorized to perform/i,
  /failed calling webhook/i,
  /Unable to register node/i,
  /NoCredentialProviders|no EC2 IMDS role found|failed to refresh cached credentials/i,
  /(IMDS|instance metadata|169\.254\.169\.254).*(disabled|timeout|refused|unreachable|error)/i,
  /dial tcp .*(i\/o timeout|connection refused)/i,
  /Failed to start.*kubelet/i,
];

export const MAX_LINES = 20;
export const MAX_LINE_LENGTH = 300;

/** The console lines worth showing, in order, deduplicated. */
export function matchConsoleLines(console: string): string[] {
  const kept: string[] = [];
  for (const raw of console.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || kept.includes(line.slice(0, MAX_LINE_LENGTH))) continue;
    if (CONSOLE_FAILURE_PATTERNS.some((p) => p.test(line))) kept.push(line.slice(0, MAX_LINE_LENGTH));
    if (kept.length >= MAX_LINES) break;
  }
  return kept;
}
