import { ENV } from '../../lambda/config';
import { CONTEXT_KEYS } from '../../lib/app-context';
import { KNOB_SETTINGS, knobOfFlag, localizeSettings, settingName } from '../../lambda/settings';

describe('KNOB_SETTINGS', () => {
  it('gives every knob its Lambda env var, and a context key the CDK app reads', () => {
    // Act
    const settings = Object.entries(KNOB_SETTINGS);

    // Assess
    expect(settings.map(([knob]) => knob).sort()).toEqual(Object.keys(ENV).sort());
    const knobsWithFlags = settings.filter(([, s]) => s.flag !== undefined);
    expect(knobsWithFlags.map(([, s]) => s.contextKey).filter((key) => !(key in CONTEXT_KEYS))).toEqual([]);
    expect(KNOB_SETTINGS.allowSharedRouteTables).toEqual({
      flag: '--allow-shared-route-tables',
      contextKey: 'allowSharedRouteTables',
      env: 'ALLOW_SHARED_ROUTE_TABLES',
      boolean: true,
    });
  });

  it('maps a flag back to its knob, and nothing else', () => {
    expect(knobOfFlag('--nat-gateway-id')).toBe('natGatewayId');
    expect(knobOfFlag('--route-table-id')).toBeUndefined();
  });
});

describe('settingName', () => {
  it.each([
    ['allowInternetEgress', 'cli', undefined, '--allow-internet-egress'],
    ['allowInternetEgress', 'lambda', undefined, 'CDK context allowInternetEgress=true (Lambda env ALLOW_INTERNET_EGRESS=true)'],
    ['natGatewayId', 'cli', 'nat-0abc', '--nat-gateway-id nat-0abc'],
    ['natGatewayId', 'lambda', 'nat-0abc', 'CDK context natGatewayId=nat-0abc (Lambda env NAT_GATEWAY_ID=nat-0abc)'],
    ['optOutTag', 'cli', undefined, 'CDK context optOutTag=<optOutTag> (Lambda env OPT_OUT_TAG=<optOutTag>)'],
  ] as const)('%s in %s', (knob, surface, value, expected) => {
    expect(settingName(knob, surface, value)).toBe(expected);
  });
});

describe('localizeSettings', () => {
  const text = 'Route table rtb-1 is shared, so it is not changed unless shared route tables are allowed (--allow-shared-route-tables).';

  it('leaves the CLI text as it is', () => {
    expect(localizeSettings(text, 'cli')).toBe(text);
  });

  it('names the CDK context key and Lambda variable in Lambda', () => {
    expect(localizeSettings(text, 'lambda')).toBe(
      'Route table rtb-1 is shared, so it is not changed unless shared route tables are allowed ' +
        '(CDK context allowSharedRouteTables=true (Lambda env ALLOW_SHARED_ROUTE_TABLES=true)).',
    );
  });

  it('carries a flag value over, and leaves AWS CLI options of a fix command alone', () => {
    // Act
    const localized = localizeSettings('use --nat-gateway-id nat-0abc or run aws ec2 create-route --route-table-id rtb-1 --nat-gateway-id nat-0abc', 'lambda');

    // Assess: the AWS CLI's own --nat-gateway-id is an AWS option, not the knob: the command stays runnable.
    expect(localized).toBe(
      'use CDK context natGatewayId=nat-0abc (Lambda env NAT_GATEWAY_ID=nat-0abc) or run aws ec2 create-route --route-table-id rtb-1 --nat-gateway-id nat-0abc',
    );
  });
});
