import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | Error | null;
  loading: boolean;
  reload: () => Promise<void>;
  loadedAt: Date | null;
}

/** Loads data on mount (and every `pollMs` when given), keeping the last good data while a reload runs or fails. */
export function useLoad<T>(load: () => Promise<T>, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadedAt, setLoadedAt] = useState<Date | null>(null);
  const alive = useRef(true);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      const d = await load();
      if (!alive.current) return;
      setData(d);
      setError(null);
      setLoadedAt(new Date());
    } catch (e) {
      if (alive.current) setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      if (alive.current) setLoading(false);
    }
  }, [load]);
  useEffect(() => {
    alive.current = true;
    void reload();
    // No polling while the tab is hidden (saves the server work); catch up as soon as it is visible again.
    const timer = pollMs ? setInterval(() => void (document.hidden ? undefined : reload()), pollMs) : undefined;
    const onVisible = () => {
      if (pollMs && !document.hidden) void reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      alive.current = false;
      if (timer) clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [reload, pollMs]);
  return { data, error, loading, reload, loadedAt };
}

/** The message to show for a failed call. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError)
    return `${e.message} (${e.code}${e.field ? `, field ${e.field}` : ''}${e.retryAfter ? `, retry in ${e.retryAfter} s` : ''})`;
  if (e instanceof Error) return e.message;
  return String(e);
}
