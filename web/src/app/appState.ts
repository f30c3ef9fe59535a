import type { AppDetailResponse } from "../api/types";

export const appKey = (space: string, name: string) => ["app", space, name] as const;
export const eventsKey = (space: string, name: string) => ["events", space, name] as const;
export const envKey = (space: string, name: string) => ["env", space, name] as const;

/** What the App screen's tabs share: the app with its instances (live), whether it is gone, what the user may do. */
export interface AppContext {
  space: string;
  name: string;
  detail: AppDetailResponse | undefined;
  removed: boolean;
  canWrite: boolean;
  canReadSecrets: boolean;
}

/** Uptime as of now: the stream sends when an instance started, not a count that changes every second. */
export function uptimeSeconds(startedAt: string | null, state: string, now: number): number | null {
  if (!startedAt || state !== "RUNNING") return null;
  const t = Date.parse(startedAt);
  return Number.isNaN(t) ? null : Math.max(0, (now - t) / 1000);
}
