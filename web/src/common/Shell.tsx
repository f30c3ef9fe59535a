import { Suspense } from "react";
import { NavLink, Outlet, useNavigate, useParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { sessionEnded, useSession } from "../session/session";
import { useSpaces } from "./spaces";

/** The frame of every screen: the space switcher, the menu (Cells for admins only), who is logged in, Log out. */
export function Shell() {
  const { session, api } = useSession();
  const client = useQueryClient();
  const params = useParams();
  const navigate = useNavigate();
  const spaces = useSpaces();
  const current = params.space ?? spaces.data?.[0]?.id;

  const logout = async () => {
    try {
      await api.logout();
    } finally {
      sessionEnded(client);
      client.setQueryData(["session-expired"], false);
      navigate("/login");
    }
  };

  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand">Platform</span>
        <nav aria-label="Main">
          {current && <NavLink to={`/spaces/${current}/apps`} end>Apps</NavLink>}
          {current && <NavLink to={`/spaces/${current}/push`}>Push</NavLink>}
          {session?.admin && <NavLink to="/cells">Cells</NavLink>}
        </nav>
        <div className="space-switcher">
          <label htmlFor="space">Space</label>
          <select id="space" value={current ?? ""} disabled={!spaces.data?.length}
            onChange={(e) => navigate(`/spaces/${e.target.value}/apps`)}>
            {spaces.data?.map((s) => (
              <option key={s.id} value={s.id}>{s.orgName} / {s.name}</option>
            ))}
          </select>
        </div>
        <span className="user">{session?.username}{session?.admin ? " (admin)" : ""}</span>
        <button type="button" onClick={() => void logout()}>Log out</button>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p role="status">Loading…</p>}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
