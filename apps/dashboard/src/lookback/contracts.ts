/* eslint-disable no-restricted-imports -- the look-back views' window on libs/contracts: types
   only, from their own files, never the lib's index (it pulls server code into the bundle). */
export type { StreamedEvent } from '../../../../libs/contracts/src/agent-event';
export type { AlertSeverity, AlertTransition } from '../../../../libs/contracts/src/alerts';
