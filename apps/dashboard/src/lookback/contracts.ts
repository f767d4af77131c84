// The look-back views' window on libs/contracts: the dashboard's one bridge (../contracts.ts).
export type {
  AlertSeverity,
  AlertTransition,
  RunTotals,
  RunTreeNode,
  StreamedEvent,
} from '../contracts';
export {
  KNOWN_EVENT_TYPES,
  RUN_COMPLETED,
  RUN_STARTED,
  runSpanField,
  runTreeOf,
} from '../contracts';
