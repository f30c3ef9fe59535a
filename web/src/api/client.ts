import type {
  AppDetailResponse, AppEnvResponse, AppMetricsResponse, AppRequest, AppResponse, BuildResponse, CellResponse,
  EventResponse, InfoResponse, LogLineResponse, PackageResponse, Problem, ScaleRequest, SessionResponse, SpaceResponse,
} from "./types";

/** An error answer of the API (or no answer at all), with the problem's title and detail for people. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;

  constructor(status: number, title: string, detail: string) {
    super(`${title}: ${detail}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }

  static async from(response: Response): Promise<ApiError> {
    let problem: Problem = {};
    try {
      const text = await response.text();
      if (text) problem = JSON.parse(text) as Problem;
    } catch {
      // Not JSON (a proxy's page): the status says enough.
    }
    return new ApiError(
      response.status,
      problem.title ?? (response.statusText || `HTTP ${response.status}`),
      problem.detail ?? `the API answered ${response.status}`,
    );
  }
}

const esc = encodeURIComponent;

export function spacePath(space: string): string {
  return `/v1/spaces/${esc(space)}`;
}

export function appPath(space: string, name: string): string {
  return `${spacePath(space)}/apps/${esc(name)}`;
}

/**
 * The /v1 API as the dashboard uses it: same origin, the session cookie goes by itself, and every call that changes
 * something carries the session's CSRF token (from POST /v1/sessions or GET /v1/sessions/current).
 */
export class Api {
  constructor(private readonly csrf: () => string | null, private readonly base = "") {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && method !== "HEAD") {
      const token = this.csrf();
      if (token) headers["X-CSRF-Token"] = token;
    }
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch {
      throw new ApiError(0, "API unreachable", "the platform's API did not answer: check that platd runs, then try again");
    }
    if (!response.ok) throw await ApiError.from(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // Session
  login = (username: string, password: string) => this.request<SessionResponse>("POST", "/v1/sessions", { username, password });
  session = () => this.request<SessionResponse>("GET", "/v1/sessions/current");
  logout = () => this.request<void>("DELETE", "/v1/sessions");
  info = () => this.request<InfoResponse>("GET", "/v1/info");

  // Spaces and apps
  spaces = () => this.request<SpaceResponse[]>("GET", "/v1/spaces");
  apps = (space: string) => this.request<AppResponse[]>("GET", `${spacePath(space)}/apps`);
  app = (space: string, name: string) => this.request<AppDetailResponse>("GET", appPath(space, name));
  createApp = (space: string, body: AppRequest) => this.request<AppResponse>("POST", `${spacePath(space)}/apps`, body);
  scale = (space: string, name: string, body: ScaleRequest) => this.request<AppResponse>("POST", `${appPath(space, name)}/scale`, body);
  start = (space: string, name: string) => this.request<AppResponse>("POST", `${appPath(space, name)}/start`);
  stop = (space: string, name: string) => this.request<AppResponse>("POST", `${appPath(space, name)}/stop`);
  restart = (space: string, name: string) => this.request<AppResponse>("POST", `${appPath(space, name)}/restart`);
  deleteApp = (space: string, name: string) => this.request<void>("DELETE", appPath(space, name));
  createBuild = (space: string, name: string) => this.request<BuildResponse>("POST", `${appPath(space, name)}/builds`);
  build = (space: string, name: string, id: string) => this.request<BuildResponse>("GET", `${appPath(space, name)}/builds/${esc(id)}`);
  logs = (space: string, name: string, limit: number) =>
    this.request<LogLineResponse[]>("GET", `${appPath(space, name)}/logs?limit=${limit}`);
  events = (space: string, name: string) => this.request<EventResponse[]>("GET", `${appPath(space, name)}/events`);
  metrics = (space: string, name: string, since?: string) =>
    this.request<AppMetricsResponse>("GET", `${appPath(space, name)}/metrics${since ? `?since=${esc(since)}` : ""}`);

  // Environment
  env = (space: string, name: string) => this.request<AppEnvResponse>("GET", `${appPath(space, name)}/env`);
  setEnv = (space: string, name: string, variable: string, value: string) =>
    this.request<AppEnvResponse>("PUT", `${appPath(space, name)}/env/${esc(variable)}`, { value });
  unsetEnv = (space: string, name: string, variable: string) =>
    this.request<AppEnvResponse>("DELETE", `${appPath(space, name)}/env/${esc(variable)}`);

  // Cells (admins)
  cells = () => this.request<CellResponse[]>("GET", "/v1/cells");

  /**
   * PUT .../package with the archive as the body, through XMLHttpRequest: fetch cannot report upload progress.
   * onProgress gets the fraction sent (0..1).
   */
  uploadPackage(space: string, name: string, file: Blob, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<PackageResponse> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", this.base + `${appPath(space, name)}/package`);
      xhr.setRequestHeader("Content-Type", "application/zip");
      xhr.setRequestHeader("Accept", "application/json");
      const token = this.csrf();
      if (token) xhr.setRequestHeader("X-CSRF-Token", token);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(1);
          resolve(JSON.parse(xhr.responseText) as PackageResponse);
        } else {
          let problem: Problem = {};
          try { problem = JSON.parse(xhr.responseText) as Problem; } catch { /* not JSON */ }
          reject(new ApiError(xhr.status, problem.title ?? `HTTP ${xhr.status}`, problem.detail ?? "the upload was refused"));
        }
      };
      xhr.onerror = () => reject(new ApiError(0, "Upload failed", "the connection to the API broke during the upload: try again"));
      xhr.onabort = () => reject(new ApiError(0, "Upload cancelled", "the upload was cancelled"));
      signal?.addEventListener("abort", () => xhr.abort());
      xhr.send(file);
    });
  }
}
