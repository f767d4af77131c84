import { useEffect, useState } from 'react';

/** The look-back views (src/lookback) load on first use: the live views do not wait for them. */
export type LookbackModule = typeof import('../lookback');

let loading: Promise<LookbackModule> | undefined;

export function loadLookback(): Promise<LookbackModule> {
  loading ??= import('../lookback');
  return loading;
}

/** The module once `wanted` (a look-back view is open), an Error if it failed to load. */
export function useLookback(wanted: boolean): LookbackModule | Error | null {
  const [module, setModule] = useState<LookbackModule | Error | null>(null);
  useEffect(() => {
    if (!wanted || module) return;
    let live = true;
    loadLookback().then(
      (loaded) => live && setModule(loaded),
      (error: Error) => {
        loading = undefined;
        if (live) setModule(error);
      },
    );
    return () => {
      live = false;
    };
  }, [wanted, module]);
  return module;
}
