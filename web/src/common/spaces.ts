import { useQuery } from "@tanstack/react-query";
import type { SpaceAction, SpaceResponse } from "../api/types";
import { useApi } from "../session/session";

export const spacesKey = ["spaces"] as const;

export function useSpaces() {
  const api = useApi();
  return useQuery({ queryKey: spacesKey, queryFn: () => api.spaces(), staleTime: 60_000 });
}

/** The space of the URL as the caller sees it, and what they may do in it (SpaceResponse.actions). */
export function useSpace(spaceId: string | undefined): { space: SpaceResponse | undefined; can: (action: SpaceAction) => boolean; loading: boolean } {
  const spaces = useSpaces();
  const space = spaces.data?.find((s) => s.id === spaceId);
  return { space, can: (action) => space?.actions.includes(action) ?? false, loading: spaces.isPending };
}
