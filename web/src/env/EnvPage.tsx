import { useState, type FormEvent } from "react";
import { useOutletContext } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { AppEnvResponse } from "../api/types";
import { ErrorBox } from "../common/ErrorBox";
import { useApi } from "../session/session";
import { envKey, type AppContext } from "../app/appState";

/** The app's variables, hidden until revealed; add, change, remove; says when instances must restart. */
export function EnvPage() {
  const ctx = useOutletContext<AppContext>();
  const api = useApi();
  const client = useQueryClient();
  const env = useQuery({ queryKey: envKey(ctx.space, ctx.name), queryFn: () => api.env(ctx.space, ctx.name), enabled: ctx.canReadSecrets });
  const [revealed, setRevealed] = useState<ReadonlySet<string>>(new Set());
  const [editing, setEditing] = useState<string | null>(null);
  const [editValue, setEditValue] = useState("");
  const [newName, setNewName] = useState("");
  const [newValue, setNewValue] = useState("");
  const done = (r: AppEnvResponse) => client.setQueryData(envKey(ctx.space, ctx.name), r);
  const set = useMutation({
    mutationFn: ({ name, value }: { name: string; value: string }) => api.setEnv(ctx.space, ctx.name, name, value),
    onSuccess: (r) => { done(r); setEditing(null); setNewName(""); setNewValue(""); },
  });
  const unset = useMutation({ mutationFn: (name: string) => api.unsetEnv(ctx.space, ctx.name, name), onSuccess: done });
  const restart = useMutation({
    mutationFn: () => api.restart(ctx.space, ctx.name),
    onSuccess: () => void client.invalidateQueries({ queryKey: envKey(ctx.space, ctx.name) }),
  });

  if (!ctx.canReadSecrets)
    return <p className="error" role="alert">Not allowed: only SpaceDevelopers (or admins) may read this app's environment variables.</p>;
  if (env.error) return <ErrorBox error={env.error} action="read this app's environment" />;
  if (!env.data) return <p role="status">Loading environment…</p>;

  const toggle = (name: string) =>
    setRevealed((s) => {
      const next = new Set(s);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  const add = (e: FormEvent) => {
    e.preventDefault();
    if (newName.trim()) set.mutate({ name: newName.trim(), value: newValue });
  };
  const names = Object.keys(env.data.user).sort();
  return (
    <div className="env">
      {env.data.restartRequired && (
        <div className="notice" role="status">
          <p>Running instances still have the previous environment: restart the app for the change to take effect.</p>
          {ctx.canWrite && <button type="button" onClick={() => restart.mutate()} disabled={restart.isPending}>Restart now</button>}
        </div>
      )}
      {set.error && <ErrorBox error={set.error} action="change this variable" />}
      {unset.error && <ErrorBox error={unset.error} action="remove this variable" />}
      {restart.error && <ErrorBox error={restart.error} action="restart this app" />}
      <table className="grid card" aria-label="Environment variables">
        <thead><tr><th scope="col">Name</th><th scope="col">Value</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {names.length === 0 && <tr><td colSpan={3}>No variables of your own yet.</td></tr>}
          {names.map((n) => (
            <tr key={n} data-variable={n}>
              <th scope="row"><code>{n}</code></th>
              <td>
                {editing === n ? (
                  <form onSubmit={(e) => { e.preventDefault(); set.mutate({ name: n, value: editValue }); }} className="inline">
                    <label htmlFor={`edit-${n}`} className="sr-only">New value of {n}</label>
                    <input id={`edit-${n}`} value={editValue} onChange={(e) => setEditValue(e.target.value)} autoFocus />
                    <button type="submit" className="primary">Save</button>
                    <button type="button" onClick={() => setEditing(null)}>Cancel</button>
                  </form>
                ) : revealed.has(n) ? (
                  <code className="value">{env.data.user[n]}</code>
                ) : (
                  <span className="hidden-value" aria-label="hidden">••••••</span>
                )}
              </td>
              <td className="row-actions">
                <button type="button" aria-label={`${revealed.has(n) ? "Hide" : "Reveal"} ${n}`} onClick={() => toggle(n)}>
                  {revealed.has(n) ? "Hide" : "Reveal"}
                </button>
                {ctx.canWrite && (
                  <>
                    <button type="button" aria-label={`Change ${n}`} onClick={() => { setEditing(n); setEditValue(env.data.user[n] ?? ""); }}>Change</button>
                    <button type="button" className="danger" aria-label={`Remove ${n}`} onClick={() => unset.mutate(n)}>Remove</button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {ctx.canWrite && (
        <form className="card add-env" onSubmit={add} aria-label="Add a variable">
          <h2>Add a variable</h2>
          <label htmlFor="env-name">Name</label>
          <input id="env-name" value={newName} onChange={(e) => setNewName(e.target.value)} autoComplete="off" />
          <label htmlFor="env-value">Value</label>
          <input id="env-value" value={newValue} onChange={(e) => setNewValue(e.target.value)} autoComplete="off" />
          <button type="submit" className="primary" disabled={set.isPending}>Add</button>
        </form>
      )}
      <details className="card">
        <summary>What the platform sets for every instance</summary>
        <table className="grid" aria-label="Platform variables">
          <tbody>
            {Object.entries(env.data.platform).sort().map(([k, v]) => (
              <tr key={k}><th scope="row"><code>{k}</code></th><td><code className="value">{v}</code></td></tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
