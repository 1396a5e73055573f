import type { EngineConfig } from '../../engine/config/schema.js';

export interface DashboardSettings {
  host: string;
  port: number;
  rateHz: number;
  maxBufferedBytes: number;
  maxBehindTicks: number;
  historySeconds: number;
  metricsAuth: boolean;
}

/**
 * The `dashboard:` section with its defaults. The schema fills them for validated configurations; this
 * also covers configuration objects built in code (tests, tools) that only give host and port.
 */
export function dashboardSettings(cfg: Pick<EngineConfig, 'dashboard'>): DashboardSettings {
  const d = cfg.dashboard as Partial<DashboardSettings> & { host: string; port: number };
  return {
    host: d.host,
    port: d.port,
    rateHz: d.rateHz ?? 10,
    maxBufferedBytes: d.maxBufferedBytes ?? 1024 * 1024,
    maxBehindTicks: d.maxBehindTicks ?? 50,
    historySeconds: d.historySeconds ?? 300,
    metricsAuth: d.metricsAuth ?? true,
  };
}
