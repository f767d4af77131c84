/** Who a credential belongs to and what it may see. */
export interface Principal {
  userId: string;
  kind: 'anonymous' | 'test' | 'api_key' | 'jwt';
  /**
   * API and test keys: an id of the key that is not the secret (the first 12 hex digits of its
   * SHA-256, see {@link keyIdOf}), for per-key rate limits and logs.
   */
  keyId?: string;
  /** When true, ingest writes `userId` into every event this credential sends. */
  boundToUser: boolean;
  /** The `all` permission: sees every user's events. */
  seesAllUsers: boolean;
  /** Agents the credential may watch; `null`: not restricted. */
  allowedAgents: string[] | null;
}

export type AuthFailureCode = 'AUTH_REQUIRED' | 'AUTH_FAILED' | 'TOKEN_EXPIRED';

export class AuthFailure {
  constructor(
    readonly code: AuthFailureCode,
    readonly message: string,
  ) {}
}

export type AuthResult = Principal | AuthFailure;

export const TEST_USER_ID = 'test_user';
export const ANONYMOUS_USER_ID = 'anonymous';
