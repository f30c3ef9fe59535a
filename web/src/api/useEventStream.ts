import { useEffect, useRef, useState } from "react";

export type StreamStatus = "connecting" | "live" | "reconnecting" | "closed";

export interface StreamOptions {
  /** Handlers by event type ("message" for events without one); data is the parsed JSON. */
  on: Record<string, (data: unknown, event: MessageEvent<string>) => void>;
  /**
   * Called when the stream failed for good (an HTTP error: the session ended, the app is gone, the user may not see
   * it). Returns whether to connect again (after a second).
   */
  onFailed?: () => Promise<boolean>;
}

/**
 * Follows a Server-Sent Events stream of the API with the browser's EventSource: it reconnects by itself after a
 * dropped connection (sending Last-Event-ID, so resumable streams go on where they stopped); after an HTTP error it
 * asks onFailed whether to start over. url() is read at each fresh connection, so it can carry where to resume.
 * Returns the stream's status and how many times it reconnected.
 */
export function useEventStream(url: (() => string) | null, options: StreamOptions, deps: unknown[]): { status: StreamStatus; reconnects: number } {
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [reconnects, setReconnects] = useState(0);
  const optionsRef = useRef(options);
  optionsRef.current = options;

  useEffect(() => {
    if (!url) return;
    let source: EventSource | null = null;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let opened = 0;

    const connect = () => {
      if (stopped) return;
      const es = new EventSource(url(), { withCredentials: true });
      source = es;
      setStatus(opened === 0 ? "connecting" : "reconnecting");
      es.addEventListener("ready", () => {
        if (opened > 0) setReconnects((n) => n + 1);
        opened++;
        setStatus("live");
      });
      const types = new Set(Object.keys(optionsRef.current.on));
      for (const type of types) {
        es.addEventListener(type, (event) => {
          const message = event as MessageEvent<string>;
          let data: unknown;
          try {
            data = JSON.parse(message.data);
          } catch {
            return;
          }
          optionsRef.current.on[type]?.(data, message);
        });
      }
      es.onerror = () => {
        if (stopped) return;
        if (es.readyState === EventSource.CONNECTING) {
          setStatus("reconnecting");
          return;
        }
        es.close();
        setStatus("closed");
        const failed = optionsRef.current.onFailed ?? (() => Promise.resolve(true));
        void failed().then((again) => {
          if (again && !stopped) retry = setTimeout(connect, 1000);
        });
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { status, reconnects };
}
