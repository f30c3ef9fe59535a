import { useState, type FormEvent } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Navigate, useLocation } from "react-router";
import { ApiError } from "../api/client";
import { ErrorBox } from "../common/ErrorBox";
import { expiredKey, sessionKey, useSession } from "./session";

export function LoginPage() {
  const { api, session } = useSession();
  const client = useQueryClient();
  const location = useLocation();
  const expired = useQuery({ queryKey: expiredKey, queryFn: () => false, staleTime: Infinity, initialData: false }).data;
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  if (session) {
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from && from !== "/login" ? from : "/"} replace />;
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api.login(username, password);
      client.setQueryData(expiredKey, false);
      client.setQueryData(sessionKey, s);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "Login failed", String(err)));
      setPassword("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Platform</h1>
        {expired && !error && (
          <p className="notice" role="status">Your session has ended. Log in again.</p>
        )}
        <label htmlFor="username">Username</label>
        <input id="username" name="username" autoComplete="username" required value={username}
          onChange={(e) => setUsername(e.target.value)} autoFocus />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password}
          onChange={(e) => setPassword(e.target.value)} />
        {error && <ErrorBox error={error} />}
        <button type="submit" className="primary" disabled={busy}>Log in</button>
      </form>
    </main>
  );
}
