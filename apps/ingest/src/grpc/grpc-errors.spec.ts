import { status } from '@grpc/grpc-js';
import { ApiError } from '@auren/platform';
import { decodeRpcStatus } from './google-rpc-status';
import { fromApiError, GRPC_ERROR_DETAILS_KEY, GRPC_STATUS_DETAILS_KEY } from './grpc-errors';

const trailer = (metadata: ReturnType<typeof fromApiError>['metadata']) =>
  decodeRpcStatus(metadata.get(GRPC_STATUS_DETAILS_KEY)[0] as Buffer);

describe(fromApiError.name, () => {
  it('a 400 with field errors: BadRequest in grpc-status-details-bin, JSON trailer kept', () => {
    const sut = fromApiError(
      new ApiError(400, 'x', 'validation', [
        {
          field: 'performance_metrics.confidence_score',
          message: 'must be a number, not a string',
        },
      ]),
      1,
    );

    expect(sut.code).toBe(status.INVALID_ARGUMENT);
    expect(trailer(sut.metadata)).toEqual({
      code: status.INVALID_ARGUMENT,
      message: sut.details,
      fieldViolations: [
        {
          field: 'performance_metrics.confidence_score',
          description: 'must be a number, not a string',
        },
      ],
    });
    expect(sut.metadata.get(GRPC_ERROR_DETAILS_KEY)).toHaveLength(1);
  });

  it('a 503: UNAVAILABLE with RetryInfo of the configured delay', () => {
    const sut = fromApiError(new ApiError(503, 'down', 'backend_unavailable'), 4);

    expect(sut.code).toBe(status.UNAVAILABLE);
    expect(trailer(sut.metadata)).toEqual({
      code: status.UNAVAILABLE,
      message: 'down',
      retryAfterSeconds: 4,
    });
  });

  it('a 401: a plain Status, no details', () => {
    const sut = fromApiError(new ApiError(401, 'no credential', 'unauthorized'), 1);

    expect(trailer(sut.metadata)).toEqual({
      code: status.UNAUTHENTICATED,
      message: 'no credential',
    });
  });
});
