export interface NoticeMessage {
  kind: 'success' | 'error';
  text: string;
  detail?: string;
}

/** A success or error message in a live region (announced to screen readers), with a dismiss button. */
export function Notice(props: { message: NoticeMessage | null; onDismiss: () => void }) {
  const m = props.message;
  return (
    <div class="notice-region" role="status" aria-live="polite">
      {m && (
        <div class={`notice notice-${m.kind}`}>
          <span class="badge-icon" aria-hidden="true">
            {m.kind === 'success' ? '✔' : '✖'}
          </span>
          <div class="notice-text">
            <strong>{m.text}</strong>
            {m.detail && <div class="notice-detail">{m.detail}</div>}
          </div>
          <button type="button" class="link-button" onClick={props.onDismiss}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
