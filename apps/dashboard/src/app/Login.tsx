import { useState, type FormEvent } from 'react';

/** Paste a JWT; it is kept in sessionStorage (this tab only). */
export function Login({
  onToken,
  reason,
  onCancel,
}: {
  onToken: (token: string) => void;
  reason?: string;
  onCancel?: () => void;
}) {
  const [token, setToken] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) onToken(token.trim());
  };
  return (
    <form className="panel login" onSubmit={submit} data-testid="login">
      <h2>Sign in with a token</h2>
      {reason && <p className="muted">{reason}</p>}
      <label htmlFor="token-input">JWT (kept for this tab only, in sessionStorage)</label>
      <textarea
        id="token-input"
        rows={3}
        spellCheck={false}
        autoComplete="off"
        value={token}
        onChange={(e) => setToken(e.target.value)}
        placeholder="eyJhbGciOi…"
      />
      <div className="row">
        <button type="submit" className="primary" disabled={!token.trim()}>
          Connect
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
