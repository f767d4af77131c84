import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Principal } from '@auren/auth';
import type { AuthenticatedRequest } from './ingest-auth.guard';

/** The principal {@link IngestAuthGuard} put on the request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().principal as Principal,
);
