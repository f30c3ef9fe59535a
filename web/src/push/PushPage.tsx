import { useRef, useState, type DragEvent, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { ApiError, appPath } from "../api/client";
import type { LogLineResponse } from "../api/types";
import { useEventStream } from "../api/useEventStream";
import { ErrorBox } from "../common/ErrorBox";
import { bytes } from "../common/format";
import { useSpace } from "../common/spaces";
import { useApi } from "../session/session";
import { render } from "../logs/logBuffer";

type Step = "idle" | "creating" | "uploading" | "staging" | "starting";

const stepText: Record<Step, string> = {
  idle: "",
  creating: "Creating the app…",
  uploading: "Uploading…",
  staging: "Staging…",
  starting: "Starting…",
};

export function isArchive(file: File): boolean {
  return /\.(zip|war|jar)$/i.test(file.name);
}

/** Push from the browser: an archive onto a new or existing app, with upload progress and the live staging log. */
export function PushPage() {
  const { space = "" } = useParams();
  const api = useApi();
  const navigate = useNavigate();
  const { can } = useSpace(space);
  const apps = useQuery({ queryKey: ["apps", space, "names"], queryFn: () => api.apps(space) });
  const [name, setName] = useState("");
  const [memory, setMemory] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const [step, setStep] = useState<Step>("idle");
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [lines, setLines] = useState<LogLineResponse[]>([]);
  const [follow, setFollow] = useState<{ app: string; after: number } | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEventStream(follow ? () => `${appPath(space, follow.app)}/logs/stream?after=${follow.after}` : null, {
    on: { message: (data) => setLines((l) => (l.some((x) => x.id === (data as LogLineResponse).id) ? l : [...l.slice(-999), data as LogLineResponse])) },
  }, [space, follow?.app, follow?.after]);

  const choose = (f: File | undefined | null) => {
    if (!f) return;
    if (!isArchive(f)) {
      setError(new ApiError(0, "Not an archive", `${f.name} is not a .zip, .war or .jar file`));
      return;
    }
    setError(null);
    setFile(f);
    if (!name) setName(f.name.replace(/\.(zip|war|jar)$/i, "").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, ""));
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    choose(e.dataTransfer.files[0]);
  };

  const push = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || !name.trim()) return;
    const app = name.trim();
    setError(null);
    setLines([]);
    setProgress(0);
    try {
      let existing = apps.data?.find((a) => a.name === app);
      if (!existing) {
        setStep("creating");
        existing = await api.createApp(space, { name: app, ...(memory.trim() ? { memory: memory.trim() } : {}) });
      }
      const recent = await api.logs(space, app, 1);
      setFollow({ app, after: recent.at(-1)?.id ?? 0 });
      setStep("uploading");
      await api.uploadPackage(space, app, file, setProgress);
      setStep("staging");
      let build = await api.createBuild(space, app);
      // Staging takes seconds to minutes; its log streams above, and the build is looked at every 2 s until it ends.
      while (build.state === "STAGING") {
        await new Promise((r) => setTimeout(r, 2000));
        build = await api.build(space, app, build.id);
      }
      if (build.state !== "STAGED") throw new ApiError(0, "Staging failed", build.error ?? "the buildpack failed: see the staging log");
      setStep("starting");
      if (existing.state !== "STARTED") await api.start(space, app);
      navigate(`/spaces/${space}/apps/${encodeURIComponent(app)}`);
    } catch (err) {
      setError(err);
      setStep("idle");
    }
  };

  if (!can("Write"))
    return <p className="error" role="alert">Not allowed: pushing apps needs the SpaceDeveloper role in this space.</p>;
  const busy = step !== "idle";
  return (
    <section>
      <h1>Push an app</h1>
      <form className="card push" onSubmit={(e) => void push(e)}>
        <label htmlFor="push-name">App name</label>
        <input id="push-name" list="push-apps" value={name} onChange={(e) => setName(e.target.value)} required disabled={busy} />
        <datalist id="push-apps">{apps.data?.map((a) => <option key={a.id} value={a.name} />)}</datalist>
        <label htmlFor="push-memory">Memory (new apps; default 256M)</label>
        <input id="push-memory" value={memory} onChange={(e) => setMemory(e.target.value)} placeholder="256M" disabled={busy} />
        <div
          className={`dropzone${dragging ? " dragging" : ""}`}
          onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <label htmlFor="push-file">Archive (zip, war or jar)</label>
          <input id="push-file" ref={input} type="file" accept=".zip,.war,.jar" disabled={busy}
            onChange={(e) => choose(e.target.files?.[0])} />
          <p>{file ? `${file.name} (${bytes(file.size)})` : "Drop a .zip, .war or .jar here, or choose one."}</p>
        </div>
        <button type="submit" className="primary" disabled={busy || !file || !name.trim()}>Push</button>
        {step !== "idle" && <p role="status">{stepText[step]}</p>}
        {(step === "uploading" || progress > 0) && (
          <progress max={1} value={progress} aria-label="Upload progress">{Math.round(progress * 100)}%</progress>
        )}
      </form>
      {error ? <ErrorBox error={error} action="push this app" /> : null}
      {follow && (
        <section className="card">
          <h2 id="staging-log-title">Staging log</h2>
          <div className="log-view short" role="region" aria-labelledby="staging-log-title" tabIndex={0}>
            {lines.map((l) => <div key={l.id} className="log-line">{render(l)}</div>)}
          </div>
        </section>
      )}
    </section>
  );
}
