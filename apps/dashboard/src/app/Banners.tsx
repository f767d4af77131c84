import type { Banner } from '../live/connection';

/** Notices from the connection: resume outcome, stream_gap, stream_reset, refused messages. */
export function Banners({
  banners,
  onDismiss,
  onAction,
}: {
  banners: Banner[];
  onDismiss: (id: number) => void;
  onAction: (action: NonNullable<Banner['action']>) => void;
}) {
  if (!banners.length) return null;
  return (
    <div className="banners" aria-live="polite">
      {banners.map((banner) => (
        <div
          key={banner.id}
          className={`banner banner-${banner.level}`}
          data-testid="banner"
          data-level={banner.level}
        >
          <span>{banner.text}</span>
          {banner.action === 'reload-recent' && (
            <button type="button" onClick={() => onAction('reload-recent')}>
              Reload recent events
            </button>
          )}
          <button type="button" onClick={() => onDismiss(banner.id)} aria-label="Dismiss notice">
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
