import { Logger } from '@nestjs/common';
import { AuthFailure, type AuthResult, type CredentialVerifier } from '@auren/auth';
import type { QueryViewer } from '../queries';
import { gqlError } from './graphql-errors';

/** What each GraphQL request carries: the outcome of its credential check. */
export interface GraphqlContext {
  auth: AuthResult;
}

const logger = new Logger('GraphQL');

/**
 * Checks `Authorization: Bearer <api key or JWT>` with the same verifier as ingest (CONTRACT §2):
 * development mode lets a missing header through (as every user) and accepts `test…` tokens;
 * production refuses both. Never throws (mercurius would answer 500): a failure is kept and
 * reported by the resolvers as UNAUTHENTICATED.
 */
export async function graphqlContext(
  verifier: CredentialVerifier,
  authorization: string | string[] | undefined,
): Promise<GraphqlContext> {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  try {
    return { auth: await verifier.verifyIngest(header) };
  } catch (error) {
    logger.error(`credential verification failed: ${(error as Error)?.message ?? String(error)}`);
    return {
      auth: new AuthFailure('AUTH_FAILED', 'credentials cannot be verified right now; retry later'),
    };
  }
}

/** The viewer of a request, or UNAUTHENTICATED (with the verifier's reason). */
export function viewerOf(context: GraphqlContext): QueryViewer {
  const { auth } = context;
  if (auth instanceof AuthFailure) {
    throw gqlError('UNAUTHENTICATED', auth.message, { reason: auth.code });
  }
  return {
    userId: auth.userId,
    seesAllUsers: auth.seesAllUsers,
    allowedAgents: auth.allowedAgents,
  };
}
