export * from './stream.interfaces';
export * from './stream-position';
export * from './memory-stream';
export * from './redis-stream';
export * from './stream-transport.strategy';
export * from './streaming.module';
