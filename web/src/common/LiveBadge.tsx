import type { StreamStatus } from "../api/useEventStream";

const text: Record<StreamStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  closed: "Disconnected",
};

/** Whether the screen's live stream is connected. */
export function LiveBadge({ status }: { status: StreamStatus }) {
  return <span className={`live live-${status}`} role="status" data-stream={status}>{text[status]}</span>;
}
