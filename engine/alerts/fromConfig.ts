import { hostname } from 'node:os';
import type { EngineConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { ChannelTarget } from './channels.js';
import { Notifier } from './Notifier.js';

/**
 * The channels the configuration and the environment turn on. A channel enabled without its secret in the
 * environment is reported (once, at start) and left out, not guessed.
 */
export function alertChannels(cfg: EngineConfig['alerts'], env: NodeJS.ProcessEnv, log: Pick<Logger, 'error'>): ChannelTarget[] {
  const out: ChannelTarget[] = [];
  const need = (kind: string, v: string) => log.error(`alerts.${kind}.enabled is true but ${v} is not set: that channel is off`);
  const webhook = env.ALPHATRADER_ALERTS_WEBHOOK_URL?.trim();
  if (webhook) out.push({ kind: 'webhook', url: webhook });
  else if (cfg.webhook.enabled) need('webhook', 'ALPHATRADER_ALERTS_WEBHOOK_URL');
  const slack = env.ALPHATRADER_ALERTS_SLACK_URL?.trim();
  if (cfg.slack.enabled) slack ? out.push({ kind: 'slack', url: slack }) : need('slack', 'ALPHATRADER_ALERTS_SLACK_URL');
  const discord = env.ALPHATRADER_ALERTS_DISCORD_URL?.trim();
  if (cfg.discord.enabled) discord ? out.push({ kind: 'discord', url: discord }) : need('discord', 'ALPHATRADER_ALERTS_DISCORD_URL');
  const tg = env.ALPHATRADER_ALERTS_TELEGRAM_TOKEN?.trim();
  if (cfg.telegram.enabled) {
    if (!tg) need('telegram', 'ALPHATRADER_ALERTS_TELEGRAM_TOKEN');
    else if (!cfg.telegram.chatId) log.error('alerts.telegram.enabled is true but alerts.telegram.chatId is empty: that channel is off');
    else out.push({ kind: 'telegram', url: cfg.telegram.apiBase, telegramToken: tg, telegramChatId: cfg.telegram.chatId });
  }
  return out;
}

export function notifierFor(cfg: EngineConfig, env: NodeJS.ProcessEnv, log: Logger): Notifier {
  const a = cfg.alerts;
  return new Notifier({
    channels: alertChannels(a, env, log), engine: `${hostname()}:${process.pid}`,
    dedupeMs: a.dedupeMs, perMinute: a.perMinute, attempts: a.attempts, backoffMs: a.backoffMs, timeoutMs: a.timeoutMs, log,
  });
}
