import { lazy } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { AppsPage } from "./apps/AppsPage";
import { AppLayout } from "./app/AppLayout";
import { AppSummaryPage } from "./app/AppSummaryPage";
import { Shell } from "./common/Shell";
import { SpaceHome } from "./common/SpaceHome";
import { LoginPage } from "./session/LoginPage";
import { useSession } from "./session/session";

// Screens past the first are loaded when first opened: the Apps screen's script stays small (uPlot is the Metrics
// screen's alone).
const CellsPage = lazy(() => import("./cells/CellsPage").then((m) => ({ default: m.CellsPage })));
const EnvPage = lazy(() => import("./env/EnvPage").then((m) => ({ default: m.EnvPage })));
const EventsPage = lazy(() => import("./events/EventsPage").then((m) => ({ default: m.EventsPage })));
const LogsPage = lazy(() => import("./logs/LogsPage").then((m) => ({ default: m.LogsPage })));
const MetricsPage = lazy(() => import("./metrics/MetricsPage").then((m) => ({ default: m.MetricsPage })));
const PushPage = lazy(() => import("./push/PushPage").then((m) => ({ default: m.PushPage })));

/** Every screen has its own URL, so a link can be shared. */
export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireSession />}>
        <Route path="/" element={<SpaceHome />} />
        <Route path="/cells" element={<CellsPage />} />
        <Route path="/spaces/:space/apps" element={<AppsPage />} />
        <Route path="/spaces/:space/push" element={<PushPage />} />
        <Route path="/spaces/:space/apps/:name" element={<AppLayout />}>
          <Route index element={<AppSummaryPage />} />
          <Route path="logs" element={<LogsPage />} />
          <Route path="events" element={<EventsPage />} />
          <Route path="metrics" element={<MetricsPage />} />
          <Route path="env" element={<EnvPage />} />
        </Route>
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function RequireSession() {
  const { session, loading } = useSession();
  const location = useLocation();
  if (loading) return <p className="loading" role="status">Loading…</p>;
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <Shell />;
}

function NotFound() {
  return (
    <section className="card">
      <h1>Not found</h1>
      <p>There is no page here. Pick a space or an app from the menu.</p>
    </section>
  );
}
