import { defaultProvider } from '../../../lambda/aws/credentials-from-environment';

describe('defaultProvider of the deployed bundle (environment only)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('returns the credentials Lambda puts in the environment', async () => {
    // Prepare: the three variables the Lambda runtime sets for the execution role.
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLEEXAMPLE01';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    process.env.AWS_SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE';
    // Act
    const credentials = await defaultProvider()();
    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE',
    });
  });

  it('rejects with the SDK\'s CredentialsProviderError when the environment has none (no other source is tried)', async () => {
    // Prepare: a profile that the full chain would read is ignored here.
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_PROFILE = 'some-profile';
    // Act / Assess
    await expect(defaultProvider()()).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });
});
