import { matchConsoleLines } from '../../../lambda/diagnosis/console-output';

describe('matchConsoleLines', () => {
  it('keeps only known failure lines, never the rest of the console', () => {
    const console = [
      'cloud-init[1620]: Cloud-init v. 22.2.2 running',
      'export AWS_SECRET_ACCESS_KEY=abc123',
      'nodeadm[1842]: {"level":"error","msg":"Command failed","error":"IMDS endpoint is disabled"}',
      'kubelet[2211]: "Unable to register node with API server" err="Unauthorized"',
    ].join('\n');
    expect(matchConsoleLines(console)).toEqual([
      'nodeadm[1842]: {"level":"error","msg":"Command failed","error":"IMDS endpoint is disabled"}',
      'kubelet[2211]: "Unable to register node with API server" err="Unauthorized"',
    ]);
  });
});
