export * from './api-error';
export * from './http-errors';
export * from './method-not-allowed';
export * from './metrics.module';
export * from './health.module';
export * from './error-body.dto';
