import { Navigate } from "react-router";
import { ErrorBox } from "./ErrorBox";
import { useSpaces } from "./spaces";

/** / goes to the apps of the first space the user sees. */
export function SpaceHome() {
  const spaces = useSpaces();
  if (spaces.isPending) return <p role="status">Loading spaces…</p>;
  if (spaces.error) return <ErrorBox error={spaces.error} />;
  const first = spaces.data[0];
  if (!first)
    return (
      <section className="card">
        <h1>No spaces</h1>
        <p>You have no role in any space yet. Ask an org manager to give you one (plat set-space-role).</p>
      </section>
    );
  return <Navigate to={`/spaces/${first.id}/apps`} replace />;
}
