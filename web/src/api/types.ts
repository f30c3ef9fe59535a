// The API's JSON bodies (camelCase), written from src/Platform.Contracts/Api. Keep in step with those records.

/** RFC 9457 problem details: every error answer of the API. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
}

export interface SessionResponse {
  username: string;
  admin: boolean;
  csrfToken: string | null;
  expiresAt: string | null;
}

export interface MeResponse {
  id: string;
  username: string;
  admin: boolean;
  tokenKind: string;
  tokenSpaceId: string | null;
}

export type SpaceAction = "Read" | "ReadSecrets" | "Write" | "Exec" | "Manage" | "ManageQuota" | "BindSecurityGroups";

export interface SpaceResponse {
  id: string;
  name: string;
  orgId: string;
  orgName: string;
  quota: string | null;
  allowSsh: boolean;
  roles: string[];
  actions: SpaceAction[];
  createdAt: string;
}

export interface VolumeMount {
  name: string;
  path: string;
}

export interface AppResponse {
  id: string;
  name: string;
  state: "STARTED" | "STOPPED" | string;
  instances: number;
  memoryMb: number;
  diskMb: number;
  buildpack: string | null;
  command: string | null;
  routes: string[];
  runningInstances: number;
  dropletId: string | null;
  detectedBuildpack: string | null;
  createdAt: string;
  updatedAt: string;
  lastUploadedAt: string | null;
  volumes: VolumeMount[] | null;
}

export interface InstanceResponse {
  id: string;
  index: number;
  state: string;
  cellId: string | null;
  address: string | null;
  reason: string | null;
  since: string;
  cpuPercent: number | null;
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  diskBytes: number | null;
  diskLimitBytes: number | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  metricsAt: string | null;
}

export interface AppDetailResponse {
  app: AppResponse;
  instanceDetails: InstanceResponse[];
  startCommand: string | null;
  dropletDigest: string | null;
  stack: string | null;
}

export interface AppRequest {
  name?: string;
  instances?: number;
  memory?: string;
  disk?: string;
  buildpack?: string;
  command?: string;
}

export interface ScaleRequest {
  instances?: number;
  memory?: string;
  disk?: string;
}

export interface PackageResponse {
  id: string;
  appId: string;
  digest: string;
  sizeBytes: number;
  createdAt: string;
}

export interface BuildResponse {
  id: string;
  appId: string;
  packageId: string;
  state: "STAGING" | "STAGED" | "FAILED" | string;
  error: string | null;
  buildpack: string | null;
  dropletId: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface LogLineResponse {
  id: number;
  timestamp: string;
  source: string;
  sourceIndex: number;
  stream: string;
  text: string;
}

export interface EventResponse {
  id: string;
  appId: string | null;
  type: string;
  actor: string;
  description: string;
  timestamp: string;
  spaceId: string | null;
  orgId: string | null;
}

export interface AppEnvResponse {
  user: Record<string, string>;
  platform: Record<string, string>;
  restartRequired: boolean;
}

export interface CellResponse {
  id: string;
  host: string;
  state: "alive" | "lost" | string;
  memoryCapacityMb: number;
  memoryUsedMb: number;
  diskCapacityMb: number;
  diskUsedMb: number;
  instances: number;
  maxInstances: number;
  lastHeartbeat: string;
  secondsSinceHeartbeat: number;
}

export interface InstanceMetricsPoint {
  time: string;
  cpuPercent: number | null;
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  diskBytes: number | null;
  diskLimitBytes: number | null;
}

export interface InstanceMetricsSeries {
  instanceId: string;
  index: number;
  points: InstanceMetricsPoint[];
}

export interface RouterMetricsPoint {
  time: string;
  intervalSeconds: number;
  requests: number;
  errors5xx: number;
  meanLatencyMs: number | null;
  p95LatencyMs: number | null;
  requestsPerSecond: number;
  errorRate: number;
}

export interface AppMetricsResponse {
  appId: string;
  since: string;
  instances: InstanceMetricsSeries[];
  router: RouterMetricsPoint[];
}

export interface AppRemoved {
  id: string;
  name: string;
}

export interface InfoResponse {
  version: string;
  appsDomain: string;
  routerUrl: string;
  maxUploadBytes: number;
}
