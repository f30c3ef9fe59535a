// The dashboard's benchmark: bundle size, first render of the Apps screen with 1,000 apps, and the Logs screen fed
// 1,000 lines/s for 30 s, in Debian's headless Chromium against a real platd (api role) on a database of its own.
// Prints a table of each figure beside its reference. Run through web/bench/run.sh (it starts the services).
import { spawn, execFileSync } from "node:child_process";
import { readdirSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const dist = join(repo, "web", "dist");
const space = "00000000-0000-4000-8000-0000000000b1";
const rows = [];
const row = (metric, value, reference, ratio) => rows.push({ metric, value, reference, ratio });

// 1. Bundle: every JS and CSS file the page loads, gzipped (level 9), against the 200 KB goal.
let gz = 0;
let raw = 0;
for (const f of readdirSync(join(dist, "assets"))) {
  if (!/\.(js|css)$/.test(f)) continue;
  const bytes = readFileSync(join(dist, "assets", f));
  raw += bytes.length;
  gz += gzipSync(bytes, { level: 9 }).length;
}
row("JS+CSS gzipped", `${(gz / 1024).toFixed(1)} KB (${(raw / 1024).toFixed(0)} KB raw)`, "goal 200 KB", (gz / (200 * 1024)).toFixed(2));

const pg = process.env.PLATFORM_TEST_POSTGRES;
if (!pg) throw new Error("PLATFORM_TEST_POSTGRES is not set: run web/bench/run.sh");
const pgArgs = Object.fromEntries(pg.split(";").filter(Boolean).map((kv) => kv.split("=")));
const dbName = `bench_${Date.now()}`;
const psql = (sql, db = pgArgs.Database) =>
  execFileSync("psql", ["-h", pgArgs.Host, "-p", pgArgs.Port, "-U", pgArgs.Username, "-d", db, "-qAtc", sql],
    { env: { ...process.env, PGPASSWORD: pgArgs.Password }, encoding: "utf8" });
psql(`CREATE DATABASE ${dbName}`);

const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); }); });
const port = await freePort();
const api = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "dashboard-bench-"));
const platd = spawn("dotnet", [join(repo, "src/Platform.Server/bin/Release/net10.0/platd.dll"), "--roles", "api",
  `--Api:Url=${api}`, `--ConnectionStrings:Platform=Host=${pgArgs.Host};Port=${pgArgs.Port};Username=${pgArgs.Username};Password=${pgArgs.Password};Database=${dbName}`,
  `--DataDir=${dataDir}`, "--Blobstore:Kind=Directory", `--Blobstore:Directory=${join(dataDir, "blobs")}`, `--Api:DashboardDir=${dist}`,
  "--Api:MaxLogLinesPerApp=100000"], { stdio: ["ignore", "ignore", "inherit"] });
let browser;
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${api}/healthz`)).ok) break; } catch { /* starting */ }
    if (i > 300) throw new Error("platd did not start");
    await new Promise((r) => setTimeout(r, 200));
  }
  const admin = JSON.parse(readFileSync(join(dataDir, "bootstrap-admin.json"), "utf8"));
  const token = (await (await fetch(`${api}/v1/tokens`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(admin) })).json()).accessToken;
  const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  // 1,000 apps, created through the API (8 at a time).
  const names = Array.from({ length: 1000 }, (_, i) => `app-${String(i).padStart(4, "0")}`);
  for (let i = 0; i < names.length; i += 8)
    await Promise.all(names.slice(i, i + 8).map((name) => fetch(`${api}/v1/spaces/${space}/apps`, { method: "POST", headers: auth, body: JSON.stringify({ name, memory: "64M" }) })));

  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--enable-precise-memory-info"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${api}/login`);
  await page.getByLabel("Username").fill(admin.username);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();

  // 2. First render of the Apps screen (a fresh load, the session warm), 5 runs, median; reference: the same
  //    page fetching and parsing GET .../apps (the data alone) in the same browser.
  const renders = [];
  const fetches = [];
  const marks = [];
  page.on("response", (r) => { if (r.url().includes("/v1/")) marks.push(`${r.url().replace(api, "")} ${r.status()} @${Date.now()}`); });
  for (let run = 0; run < 5; run++) {
    marks.length = 0;
    const t0 = Date.now();
    await page.goto(`${api}/spaces/${space}/apps`);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1000, null, { timeout: 60000, polling: "raf" });
    renders.push(await page.evaluate(() => performance.now()));
    if (process.env.BENCH_VERBOSE) console.error(`run ${run}: ${Date.now() - t0} ms`, marks.map((m) => m.replace(/@(\d+)/, (_, t) => `+${t - t0}ms`)));
    fetches.push(await page.evaluate(async (url) => { const t = performance.now(); await (await fetch(url)).json(); return performance.now() - t; }, `/v1/spaces/${space}/apps`));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  row("Apps screen, 1,000 apps: load to 1,000 rows", `${median(renders).toFixed(0)} ms`, `GET apps + JSON ${median(fetches).toFixed(0)} ms`, (median(renders) / median(fetches)).toFixed(1));

  if (process.env.BENCH_ONLY === "apps") throw new Error("BENCH_ONLY=apps: stopping here");
  // 3. Logs: 1,000 lines/s for 30 s written into the log store (100 rows every 100 ms), the Logs screen open.
  const appId = JSON.parse(psql(`SELECT row_to_json(a) FROM (SELECT "Id" FROM apps WHERE "Name"='app-0000') a`, dbName)).Id;
  await page.goto(`${api}/spaces/${space}/apps/app-0000/logs`);
  const region = page.getByRole("region", { name: "Logs" });
  await page.locator("[data-stream='live']").first().waitFor();
  const cdp = await context.newCDPSession(page);
  const heap = async () => { await cdp.send("HeapProfiler.collectGarbage"); return (await cdp.send("Runtime.getHeapUsage")).usedSize; };
  const heapBefore = await heap();
  // Responsiveness: the longest gap between animation frames while the lines pour in.
  await page.evaluate(() => { window.__gaps = []; let last = performance.now(); const tick = (t) => { window.__gaps.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); }; requestAnimationFrame(tick); });
  const total = 30000;
  // One psql session takes a statement of 100 rows every 100 ms (what cells' and routers' batches look like).
  const feeder = spawn("psql", ["-h", pgArgs.Host, "-p", pgArgs.Port, "-U", pgArgs.Username, "-d", dbName, "-q"],
    { env: { ...process.env, PGPASSWORD: pgArgs.Password }, stdio: ["pipe", "ignore", "inherit"] });
  const heapSamples = [];
  const sampler = setInterval(() => { void heap().then((h) => heapSamples.push(h)); }, 10_000);
  const started = Date.now();
  for (let batch = 0; batch < total / 100; batch++) {
    feeder.stdin.write(`INSERT INTO log_lines ("AppId","Timestamp","Source","SourceIndex","Stream","Text") SELECT '${appId}', now(), 'APP/PROC/WEB', 0, 'OUT', 'bench line ' || g FROM generate_series(${batch * 100 + 1}, ${batch * 100 + 100}) g;\n`);
    const wait = started + (batch + 1) * 100 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  feeder.stdin.end();
  await new Promise((r) => feeder.once("exit", r));
  clearInterval(sampler);
  const heapDuring = heapSamples;
  const fed = (Date.now() - started) / 1000;
  await page.waitForFunction((n) => Number(document.querySelector("[aria-label='Logs']")?.getAttribute("data-received")) >= n, total, { timeout: 60000 });
  const caughtUp = (Date.now() - started) / 1000;
  const received = Number(await region.getAttribute("data-received"));
  const duplicates = Number(await region.getAttribute("data-duplicates"));
  const gaps = await page.evaluate(() => { window.__stop = true; const g = window.__gaps.slice(1).sort((a, b) => a - b); return { p99: g[Math.floor(g.length * 0.99)], max: g[g.length - 1], frames: g.length }; });
  const heapAfter = await heap();
  row("Logs, 1,000 lines/s x 30 s: lines shown", `${received} of ${total} (${duplicates} repeated)`, `${total} sent in ${fed.toFixed(1)} s`, (received / total).toFixed(3));
  row("Logs: caught up after the feed ended", `${(caughtUp - fed).toFixed(2)} s`, "feed 30 s", ((caughtUp - fed) / fed).toFixed(3));
  row("Logs: frame gap p99 / max while fed", `${gaps.p99.toFixed(0)} / ${gaps.max.toFixed(0)} ms (${gaps.frames} frames)`, "16.7 ms (60 fps)", (gaps.p99 / 16.7).toFixed(1));
  row("Logs: JS heap after GC, start -> 10/20/30 s", `${(heapBefore / 1e6).toFixed(1)} -> ${heapDuring.map((h) => (h / 1e6).toFixed(1)).join("/")} MB`, `${(heapBefore / 1e6).toFixed(1)} MB idle`, (heapAfter / heapBefore).toFixed(2));
} finally {
  await browser?.close();
  platd.kill("SIGTERM");
  await new Promise((r) => platd.once("exit", r));
  try { psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } catch { /* best effort */ }
  rmSync(dataDir, { recursive: true, force: true });
}

const width = (k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
const cols = ["metric", "value", "reference", "ratio"];
const line = (r) => "| " + cols.map((c) => String(r[c]).padEnd(width(c))).join(" | ") + " |";
console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
console.log("|" + cols.map((c) => "-".repeat(width(c) + 2)).join("|") + "|");
for (const r of rows) console.log(line(r));
writeFileSync(join(here, "last-run.txt"), rows.map(line).join("\n") + "\n");
