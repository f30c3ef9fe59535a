import { createContext, useCallback, useContext, useMemo, type ReactNode } from "react";
import { QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { Api, ApiError } from "../api/client";
import type { SessionResponse } from "../api/types";

export const sessionKey = ["session"] as const;

interface SessionContextValue {
  api: Api;
  session: SessionResponse | null | undefined;
  loading: boolean;
  /** Called on a 401: the session is gone; the login screen says so. */
  expired: () => void;
}

/** The session is gone (a 401): forget it and everything read with it; the login screen says why. */
export function sessionEnded(client: QueryClient) {
  if (client.getQueryData(sessionKey)) client.setQueryData(expiredKey, true);
  client.setQueryData(sessionKey, null);
  client.removeQueries({ predicate: (q) => q.queryKey[0] !== sessionKey[0] && q.queryKey[0] !== expiredKey[0] });
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** Why the login screen is shown, when it is not the first visit. */
export const expiredKey = ["session-expired"] as const;

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  // The CSRF token lives in the query cache with the session, never in a cookie a script could read.
  const api = useMemo(() => new Api(() => client.getQueryData<SessionResponse | null>(sessionKey)?.csrfToken ?? null), [client]);
  const query = useQuery({
    queryKey: sessionKey,
    queryFn: async () => {
      try {
        return await api.session();
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: Infinity,
    retry: false,
  });
  const expired = useCallback(() => sessionEnded(client), [client]);
  const value = useMemo(() => ({ api, session: query.data, loading: query.isPending, expired }), [api, query.data, query.isPending, expired]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

export function useApi(): Api {
  return useSession().api;
}
