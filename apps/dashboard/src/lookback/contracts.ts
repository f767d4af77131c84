// The look-back views' window on libs/contracts: the dashboard's one bridge (../contracts.ts).
export type { AlertSeverity, AlertTransition, StreamedEvent } from '../contracts';
export { KNOWN_EVENT_TYPES } from '../contracts';
