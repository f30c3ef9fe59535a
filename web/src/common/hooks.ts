import { useCallback } from "react";
import { useQuery } from "@tanstack/react-query";
import { ApiError } from "../api/client";
import { useSession } from "../session/session";

export function useInfo() {
  const { api } = useSession();
  return useQuery({ queryKey: ["info"], queryFn: () => api.info(), staleTime: Infinity });
}

/**
 * What a screen does when its stream fails for good: ask the API why (GET /v1/sessions/current). An ended session goes
 * back to the login; otherwise the reason (the app is gone, the role does not allow it) is shown and it tries again
 * unless that is hopeless (403, 404).
 */
export function useStreamFailure(show: (error: unknown) => void, probe?: () => Promise<unknown>) {
  const { api, expired } = useSession();
  return useCallback(async () => {
    try {
      await api.session();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        expired();
        return false;
      }
      show(e);
      return true;
    }
    if (probe) {
      try {
        await probe();
      } catch (e) {
        show(e);
        return !(e instanceof ApiError && (e.status === 403 || e.status === 404));
      }
    }
    return true;
  }, [api, expired, show, probe]);
}
