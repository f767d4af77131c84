import {
  startTransition,
  useCallback,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import type { LiveStore } from '../live/store';
import { parseUrlState, serializeUrlState, type UrlState } from '../url-state';

/** Re-renders on every store flush (at most once per animation frame). */
export function useStoreVersion(store: LiveStore): number {
  return useSyncExternalStore(store.subscribe, store.getVersion);
}

/** The store version, but changing at most every `ms`: for charts and heavy lists. */
export function useThrottledVersion(
  store: LiveStore,
  ms: number,
  { transition = false }: { transition?: boolean } = {},
): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const unsubscribe = store.subscribe(() => {
      if (timer) return;
      const wait = Math.max(0, last + ms - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        // A transition renders in slices React yields between (no single long task for a big
        // view); an urgent update (a click) interrupts it.
        if (transition) startTransition(() => setVersion(store.version));
        else setVersion(store.version);
      }, wait);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [store, ms, transition]);
  return version;
}

/** A clock that ticks every `ms` (relative times, statuses). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** The URL's query string as state; `push` adds a history entry, `replace` (typing) does not. */
export function useUrlState(): [UrlState, (change: Partial<UrlState>, push?: boolean) => void] {
  const [state, setState] = useState(() => parseUrlState(location.search));
  const current = useRef(state);
  useEffect(() => {
    const onPop = () => {
      current.current = parseUrlState(location.search);
      setState(current.current);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const change = useCallback((patch: Partial<UrlState>, push = true) => {
    const next = { ...current.current, ...patch };
    current.current = next;
    const url = `${location.pathname}${serializeUrlState(next)}`;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    setState(next);
  }, []);
  return [state, change];
}
