/** `GET /dashboard/config.json` (apps/gateway/src/page/dashboard-settings.ts). */
export interface DashboardConfig {
  mode: 'development' | 'production';
  historyUrl: string | null;
  testToken: string | null;
}

export async function loadDashboardConfig(): Promise<DashboardConfig> {
  const response = await fetch('/dashboard/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/dashboard/config.json answered ${response.status}`);
  const body = (await response.json()) as Partial<DashboardConfig>;
  return {
    mode: body.mode === 'development' ? 'development' : 'production',
    historyUrl: typeof body.historyUrl === 'string' ? body.historyUrl : null,
    testToken:
      body.mode === 'development' && typeof body.testToken === 'string' ? body.testToken : null,
  };
}

const TOKEN_KEY = 'auren.dashboard.token';

/** The pasted JWT, for this tab only (sessionStorage: gone when the tab closes). */
export const tokenStore = {
  get(): string | null {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  set(token: string | null): void {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // Storage refused (private mode): the token lives in memory only.
    }
  },
};

const THEME_KEY = 'auren.dashboard.theme';
export type Theme = 'light' | 'dark';

export function initialTheme(): Theme {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    // fall through
  }
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches
    ? 'dark'
    : 'light';
}

export function saveTheme(theme: Theme): void {
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // not kept
  }
}
