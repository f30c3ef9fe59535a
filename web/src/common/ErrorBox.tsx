import { ApiError } from "../api/client";

/** An API problem as a person reads it: its title and detail; a 403 says what the user may not do. */
export function ErrorBox({ error, action }: { error: unknown; action?: string }) {
  const e = error instanceof ApiError ? error : new ApiError(0, "Something went wrong", error instanceof Error ? error.message : String(error));
  const title = e.status === 403 ? `Not allowed${action ? `: ${action}` : ""}` : e.title;
  return (
    <div className="error" role="alert">
      <strong>{title}</strong>
      <p>{e.detail}</p>
    </div>
  );
}
