import type { ReactNode } from 'react';

/** The empty / loading / error / disconnected state of a view or panel. */
export function StateNotice({
  kind,
  title,
  children,
}: {
  kind: 'empty' | 'loading' | 'error' | 'disconnected';
  title: string;
  children?: ReactNode;
}) {
  return (
    <div
      className={`state state-${kind}`}
      role={kind === 'error' ? 'alert' : 'status'}
      data-state={kind}
    >
      {kind === 'loading' && <span className="spinner" aria-hidden="true" />}
      <strong>{title}</strong>
      {children && <div className="state-body">{children}</div>}
    </div>
  );
}
