/** Small hooks and components shared by the look-back views. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { describeError } from './graphql';

export type AsyncState<T> =
  | { status: 'idle'; data: undefined; error: undefined }
  | { status: 'loading'; data: T | undefined; error: undefined }
  | { status: 'ok'; data: T; error: undefined }
  | { status: 'error'; data: T | undefined; error: unknown };

export type AsyncResult<T> = AsyncState<T> & { reload: () => void };

const IDLE = { status: 'idle', data: undefined, error: undefined } as const;

/**
 * Runs `load` when `key` changes (null: nothing to run). Answers of an older key are dropped,
 * so a quick change of range never shows the previous range's data as the new one's.
 */
export function useAsync<T>(key: string | null, load: () => Promise<T>): AsyncResult<T> {
  const [state, setState] = useState<AsyncState<T>>(IDLE);
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (key === null) {
      setState(IDLE);
      return;
    }
    let live = true;
    setState((s) => ({ status: 'loading', data: s.data, error: undefined }));
    loadRef.current().then(
      (data) => {
        if (live) setState({ status: 'ok', data, error: undefined });
      },
      (error: unknown) => {
        if (live) setState((s) => ({ status: 'error', data: s.data, error }));
      },
    );
    return () => {
      live = false;
    };
  }, [key, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

/** `value`, updated at most every `ms` (live versions can tick hundreds of times a second). */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const now = Date.now();
    const wait = last.current + ms - now;
    if (wait <= 0) {
      last.current = now;
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

/** The current time, refreshed every `ms` (for relative times). */
export function useNow(ms = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

type Tone = 'info' | 'warn' | 'bad';

/** A notice line; `bad` notices are announced (role=alert), the others politely (role=status). */
export function Notice(props: { tone?: Tone; children: ReactNode; testId?: string }) {
  const tone = props.tone ?? 'info';
  return (
    <div
      className={`lb-notice lb-notice-${tone}`}
      role={tone === 'bad' ? 'alert' : 'status'}
      data-testid={props.testId}
    >
      {props.children}
    </div>
  );
}

export function Loading(props: { what: string }) {
  return (
    <div className="lb-loading" role="status" aria-live="polite">
      <span className="lb-spinner" aria-hidden="true" /> Loading {props.what}…
    </div>
  );
}

export function Empty(props: { children: ReactNode; testId?: string }) {
  return (
    <p className="lb-empty" data-testid={props.testId}>
      {props.children}
    </p>
  );
}

export function ErrorNote(props: { error: unknown; onRetry?: () => void; what: string }) {
  return (
    <div className="lb-notice lb-notice-bad" role="alert" data-testid="lb-error">
      <span>
        Could not load {props.what}: {describeError(props.error)}
      </span>
      {props.onRetry && (
        <button type="button" className="lb-button" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** A banner for a lost live connection. */
export function Disconnected() {
  return (
    <Notice tone="warn" testId="lb-disconnected">
      Disconnected from the live gateway: live updates are paused and resume when it reconnects.
    </Notice>
  );
}

/** Key handler of a focusable row: Enter or Space runs `open`. */
export function onActivate(open: () => void) {
  return (event: {
    key: string;
    preventDefault(): void;
    target: unknown;
    currentTarget: unknown;
  }) => {
    if (event.target !== event.currentTarget) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open();
    }
  };
}

/** Arrow up/down move the focus between the rows of the same table body. */
export function moveRowFocus(event: {
  key: string;
  currentTarget: unknown;
  preventDefault(): void;
}): boolean {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return false;
  const row = event.currentTarget as HTMLElement;
  const next = (
    event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling
  ) as HTMLElement | null;
  if (next && next.tabIndex >= 0) {
    event.preventDefault();
    next.focus();
    return true;
  }
  return false;
}
