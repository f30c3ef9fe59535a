import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useOutletContext } from "react-router";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { LogLineResponse } from "../api/types";
import { appPath } from "../api/client";
import { useEventStream } from "../api/useEventStream";
import { ErrorBox } from "../common/ErrorBox";
import { LiveBadge } from "../common/LiveBadge";
import { useStreamFailure } from "../common/hooks";
import type { AppContext } from "../app/appState";
import { LogBuffer, matches, render, sourceOf, sources, type LogFilter, type LogSource } from "./logBuffer";

/** Lines kept in the page: older ones scroll away for good (Download saves what is held). */
export const LogCapacity = 20_000;
const RowHeight = 20;

/**
 * The app's log lines as they come (one SSE stream, resumed after a drop with Last-Event-ID): filters by source,
 * instance and text, pause and follow, download. New lines are gathered and drawn once per frame, and only the rows
 * in view are in the DOM, so a thousand lines a second keep the page responsive.
 */
export function LogsPage() {
  const ctx = useOutletContext<AppContext>();
  const bufferRef = useRef(new LogBuffer(LogCapacity));
  const pending = useRef<LogLineResponse[]>([]);
  const frame = useRef<number | null>(null);
  const [version, setVersion] = useState(0);
  const [paused, setPaused] = useState(false);
  const [follow, setFollow] = useState(true);
  const [shownSources, setShownSources] = useState<ReadonlySet<LogSource>>(new Set(sources));
  const [instance, setInstance] = useState<number | null>(null);
  const [text, setText] = useState("");
  const [streamError, setStreamError] = useState<unknown>(null);
  const [frozen, setFrozen] = useState<readonly LogLineResponse[] | null>(null);
  const failed = useStreamFailure(setStreamError);

  const flush = useCallback(() => {
    frame.current = null;
    const lines = pending.current;
    pending.current = [];
    if (bufferRef.current.push(lines) > 0) setVersion((v) => v + 1);
  }, []);

  useEffect(() => () => { if (frame.current !== null) cancelAnimationFrame(frame.current); }, []);

  const { status, reconnects } = useEventStream(
    () => {
      const last = bufferRef.current.lastId;
      // A fresh connection resumes after the last line held; the first one opens with the recent lines.
      return `${appPath(ctx.space, ctx.name)}/logs/stream${last > 0 ? `?after=${last}` : "?recent=200"}`;
    },
    {
      on: {
        message: (data) => {
          setStreamError(null);
          pending.current.push(data as LogLineResponse);
          if (frame.current === null) frame.current = requestAnimationFrame(flush);
        },
      },
      onFailed: failed,
    },
    [ctx.space, ctx.name],
  );

  const filter: LogFilter = useMemo(() => ({ sources: shownSources, instance, text }), [shownSources, instance, text]);
  const all = frozen ?? bufferRef.current.lines;
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const shown = useMemo(() => all.filter((l) => matches(l, filter)), [all, filter, version, frozen]);
  const instances = useMemo(() => {
    const n = Math.max(ctx.detail?.app.instances ?? 0, ...ctx.detail?.instanceDetails.map((i) => i.index + 1) ?? [0]);
    return Array.from({ length: n }, (_, i) => i);
  }, [ctx.detail]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => RowHeight,
    overscan: 20,
  });

  useEffect(() => {
    if (follow && !paused && shown.length > 0) virtual.scrollToIndex(shown.length - 1, { align: "end" });
  }, [shown.length, follow, paused, virtual]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < RowHeight * 2;
    if (!atBottom && follow && !paused) setFollow(false);
  };

  const togglePause = () => {
    if (paused) {
      setFrozen(null);
      setPaused(false);
    } else {
      setFrozen(bufferRef.current.lines.slice());
      setPaused(true);
    }
  };

  const download = () => {
    const blob = new Blob([bufferRef.current.text(filter)], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = `${ctx.name}-logs.txt`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const toggleSource = (s: LogSource) =>
    setShownSources((set) => {
      const next = new Set(set);
      if (next.has(s)) next.delete(s);
      else next.add(s);
      return next;
    });

  const buffer = bufferRef.current;
  const newWhilePaused = paused && frozen ? buffer.received - frozen.length : 0;
  return (
    <div className="logs-page">
      <div className="toolbar logs-toolbar">
        <fieldset>
          <legend>Sources</legend>
          {sources.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={shownSources.has(s)} onChange={() => toggleSource(s)} /> {s}
            </label>
          ))}
        </fieldset>
        <label htmlFor="log-instance">Instance</label>
        <select id="log-instance" value={instance ?? ""} onChange={(e) => setInstance(e.target.value === "" ? null : Number(e.target.value))}>
          <option value="">All</option>
          {instances.map((i) => <option key={i} value={i}>{i}</option>)}
        </select>
        <label htmlFor="log-search">Search</label>
        <input id="log-search" type="search" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="button" onClick={togglePause} aria-pressed={paused}>{paused ? "Resume" : "Pause"}</button>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <button type="button" onClick={download}>Download</button>
        <LiveBadge status={status} />
      </div>
      {streamError ? <ErrorBox error={streamError} action="read this app's logs" /> : null}
      <p className="muted" aria-live="polite">
        {shown.length} of {buffer.lines.length} lines shown{paused ? `, paused (${Math.max(0, newWhilePaused)} new)` : ""}
      </p>
      <div
        ref={scroller}
        className="log-view"
        role="region"
        aria-label="Logs"
        tabIndex={0}
        onScroll={onScroll}
        data-received={buffer.received}
        data-last-id={buffer.lastId}
        data-duplicates={buffer.duplicates}
        data-reconnects={reconnects}
      >
        <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
          {virtual.getVirtualItems().map((row) => {
            const line = shown[row.index]!;
            return (
              <div key={line.id} className={`log-line log-${sourceOf(line).toLowerCase()}${line.stream === "ERR" ? " log-err" : ""}`}
                style={{ transform: `translateY(${row.start}px)`, height: RowHeight }}>
                {render(line)}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
