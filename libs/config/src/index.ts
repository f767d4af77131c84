export * from './config';
export * from './rate-limit-config';
export * from './config.module';
export * from './bootstrap';
export * from './redis-target';
