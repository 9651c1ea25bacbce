// The one place that calls AWS: reads the database secret from Secrets Manager (see db/credentials.ts).
// Region and credentials come from the SDK's default chain (AWS_REGION and the task role on ECS).
// The task role needs secretsmanager:GetSecretValue on the secret, and kms:Decrypt on its KMS key when
// the secret is encrypted with a customer-managed key.
import type { SecretFetcher } from './credentials';

/** A SecretFetcher for `secretId` (ARN or name). The SDK is loaded on first use, so processes that never
 *  set DB_SECRET_ARN (local runs, tests) do not pay for loading it. */
export function secretsManagerFetcher(secretId: string): SecretFetcher {
  let client: Promise<{ send: (secretId: string, signal: AbortSignal) => Promise<string | undefined> }> | undefined;
  const load = async () => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    // Few, quick attempts: the caller keeps using the cached password meanwhile and tries again later.
    const sm = new sdk.SecretsManagerClient({ maxAttempts: 2 });
    return {
      send: async (id: string, signal: AbortSignal) =>
        (await sm.send(new sdk.GetSecretValueCommand({ SecretId: id }), { abortSignal: signal })).SecretString,
    };
  };
  return async (signal) => {
    client ??= load().catch((err: unknown) => {
      client = undefined; // try loading again next time
      throw err;
    });
    const secretString = await (await client).send(secretId, signal);
    if (secretString === undefined) throw new Error('the database secret has no SecretString');
    return secretString;
  };
}
