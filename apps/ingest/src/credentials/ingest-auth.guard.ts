import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthFailure, AuthResult, CredentialVerifier, Principal } from '@auren/auth';
import { ApiError } from '@auren/platform';

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/** Credentials per CONTRACT §2: development mode lets anonymous and `test*` keys in. */
@Injectable()
export class IngestAuthGuard implements CanActivate {
  constructor(private readonly verifier: CredentialVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.authenticate(context.switchToHttp().getRequest<AuthenticatedRequest>());
    return true;
  }

  /**
   * The request's principal, also put on `request.principal`; a 401 {@link ApiError} when its
   * credential is refused. The guard and the direct ingest routes (fast-routes.ts) both use it.
   * A plain value when the verifier answered synchronously (API keys, HS256, configured public
   * key); a promise only when a key had to be fetched (JWKS).
   */
  authenticate(request: AuthenticatedRequest): Principal | Promise<Principal> {
    const result = this.verifier.verifyIngest(request.headers.authorization);
    if (result instanceof Promise) return result.then((r) => this.accept(request, r));
    return this.accept(request, result);
  }

  private accept(request: AuthenticatedRequest, result: AuthResult): Principal {
    if (result instanceof AuthFailure) throw new ApiError(401, result.message, 'unauthorized');
    request.principal = result;
    return result;
  }
}
