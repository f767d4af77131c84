export * from './agent-event';
export * from './event-types';
export * from './event.dto';
export * from './validators';
export * from './validate-event';
export * from './subscriptions';
export * from './delivery-rule';
export * from './socket-events';
