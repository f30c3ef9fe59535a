/** Numbers as the dashboard shows them; pure functions, tested in test/format.test.ts. */

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const units = ["B", "K", "M", "G", "T"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)}${units[i]}`;
}

export function mb(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024}G` : `${n}M`;
}

export function percent(n: number | null | undefined): string {
  return n === null || n === undefined ? "–" : `${n.toFixed(1)}%`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${r}s`;
  return `${r}s`;
}

export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "–";
  return `${duration((now - t) / 1000)} ago`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "–" : d.toLocaleString();
}

/** "512M", "1G", "1024" (MB) -> MB, or null when it is not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+)\s*([MG]B?|[mg]b?)?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? "M").toUpperCase()[0];
  return unit === "G" ? n * 1024 : n;
}
