import { useOutletContext } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { ErrorBox } from "../common/ErrorBox";
import { dateTime } from "../common/format";
import { useApi } from "../session/session";
import { eventsKey, type AppContext } from "../app/appState";

const labels: Record<string, string> = {
  "app.create": "created",
  "app.upload": "pushed",
  "app.build": "staging",
  "app.stage": "staged",
  "app.stage.failed": "staging failed",
  "app.start": "started",
  "app.stop": "stopped",
  "app.restart": "restarted",
  "app.scale": "scaled",
  "app.update": "updated",
  "app.env": "environment",
  "app.crash": "crashed",
  "app.delete": "deleted",
  "app.exec": "exec",
  "app.ssh": "exec setting",
};

/** The app's timeline, newest first; its stream says when to read it again (a new event). */
export function EventsPage() {
  const ctx = useOutletContext<AppContext>();
  const api = useApi();
  const events = useQuery({ queryKey: eventsKey(ctx.space, ctx.name), queryFn: () => api.events(ctx.space, ctx.name), staleTime: Infinity });
  if (events.error) return <ErrorBox error={events.error} action="see this app's events" />;
  if (!events.data) return <p role="status">Loading events…</p>;
  if (events.data.length === 0) return <p className="card">No events yet.</p>;
  return (
    <ol className="timeline card" aria-label="Events">
      {events.data.map((e) => (
        <li key={e.id} className={`event event-${e.type.replace(/\./g, "-")}`}>
          <time dateTime={e.timestamp}>{dateTime(e.timestamp)}</time>
          <span className="event-type">{labels[e.type] ?? e.type}</span>
          <span className="event-description">{e.description}</span>
          <span className="event-actor">by {e.actor}</span>
        </li>
      ))}
    </ol>
  );
}
