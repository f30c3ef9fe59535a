import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { CellResponse } from "../api/types";
import { useEventStream } from "../api/useEventStream";
import { ErrorBox } from "../common/ErrorBox";
import { LiveBadge } from "../common/LiveBadge";
import { useStreamFailure } from "../common/hooks";
import { ago, dateTime, mb } from "../common/format";
import { useNow } from "../common/useNow";
import { useSession } from "../session/session";

const cellsKey = ["cells"] as const;

function Meter({ used, capacity, label }: { used: number; capacity: number; label: string }) {
  const fraction = capacity > 0 ? Math.min(1, used / capacity) : 0;
  return (
    <div className="meter-cell">
      <meter min={0} max={capacity || 1} value={used} aria-label={label} />
      <span>{mb(used)} of {capacity > 0 ? mb(capacity) : "unlimited"} ({Math.round(fraction * 100)}%)</span>
    </div>
  );
}

/** Admins only: each cell's capacity in use, instances, state and last heartbeat, live. */
export function CellsPage() {
  const { session } = useSession();
  const client = useQueryClient();
  const now = useNow();
  const [error, setError] = useState<unknown>(null);
  const failed = useStreamFailure(setError);
  const cells = useQuery<CellResponse[]>({ queryKey: cellsKey, queryFn: () => Promise.resolve([]), enabled: false, staleTime: Infinity });
  const { status } = useEventStream(session?.admin ? () => "/v1/cells/stream" : null, {
    on: { cells: (data) => { setError(null); client.setQueryData(cellsKey, data as CellResponse[]); } },
    onFailed: failed,
  }, [session?.admin]);

  if (!session?.admin)
    return <p className="error" role="alert">Not allowed: only platform admins may see the cells.</p>;
  return (
    <section>
      <div className="page-head"><h1>Cells</h1><LiveBadge status={status} /></div>
      {error ? <ErrorBox error={error} action="see the cells" /> : null}
      {!cells.data ? <p role="status">Loading cells…</p> : cells.data.length === 0 ? <p className="card">No cell has reported yet.</p> : (
        <table className="grid" aria-label="Cells">
          <thead>
            <tr><th scope="col">Cell</th><th scope="col">Host</th><th scope="col">State</th><th scope="col">Memory</th>
              <th scope="col">Disk</th><th scope="col">Instances</th><th scope="col">Last heartbeat</th></tr>
          </thead>
          <tbody>
            {cells.data.map((c) => (
              <tr key={c.id}>
                <th scope="row">{c.id}</th>
                <td>{c.host}</td>
                <td><span className={`state state-${c.state}`}>{c.state}</span></td>
                <td><Meter used={c.memoryUsedMb} capacity={c.memoryCapacityMb} label={`Memory of ${c.id}`} /></td>
                <td><Meter used={c.diskUsedMb} capacity={c.diskCapacityMb} label={`Disk of ${c.id}`} /></td>
                <td className="num">{c.instances}{c.maxInstances > 0 ? ` / ${c.maxInstances}` : ""}</td>
                <td title={dateTime(c.lastHeartbeat)}>{ago(c.lastHeartbeat, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
