/**
 * Alert message shapes for the channels people read: a generic JSON webhook, Slack (incoming webhook),
 * Discord (webhook with an embed) and Telegram (Bot API sendMessage). Pure: an alert in, a request out.
 */
export type Severity = 'info' | 'warning' | 'critical';

export interface Alert {
  /** the rule that fired: breaker-trip, breaker-recovered, kill, escalation, drift, stale-data, journal-failure, … */
  rule: string;
  severity: Severity;
  title: string;
  text: string;
  /** what makes this episode distinct within the rule (de-duplication key) */
  key?: string;
  fields?: Record<string, string | number | boolean | null>;
  ts: number;
}

export type ChannelKind = 'webhook' | 'slack' | 'discord' | 'telegram';

export interface ChannelTarget {
  kind: ChannelKind;
  /** the URL posted to (Telegram: the Bot API base, the token is added to the path) */
  url: string;
  telegramToken?: string;
  telegramChatId?: string;
}

export interface OutboundRequest {
  url: string;
  body: string;
}

const COLOR: Record<Severity, number> = { info: 0x2f81f7, warning: 0xd29922, critical: 0xf85149 };
const ICON: Record<Severity, string> = { info: 'ℹ️', warning: '⚠️', critical: '🛑' };

const fieldLines = (f: Alert['fields']) => Object.entries(f ?? {}).map(([k, v]) => `${k}: ${v}`);

export function formatAlert(a: Alert, t: ChannelTarget, engine: string): OutboundRequest {
  switch (t.kind) {
    case 'webhook':
      return { url: t.url, body: JSON.stringify({ source: 'alphatrader', engine, ...a }) };
    case 'slack':
      return {
        url: t.url,
        body: JSON.stringify({
          text: `${ICON[a.severity]} *${a.title}*\n${a.text}`,
          blocks: [
            { type: 'header', text: { type: 'plain_text', text: `${ICON[a.severity]} ${a.title}`.slice(0, 150) } },
            { type: 'section', text: { type: 'mrkdwn', text: a.text.slice(0, 2900) } },
            ...(a.fields ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: fieldLines(a.fields).join(' · ').slice(0, 2900) || ' ' }] }] : []),
          ],
        }),
      };
    case 'discord':
      return {
        url: t.url,
        body: JSON.stringify({
          username: 'AlphaTrader',
          embeds: [{
            title: a.title.slice(0, 256), description: a.text.slice(0, 4096), color: COLOR[a.severity], timestamp: new Date(a.ts).toISOString(),
            fields: Object.entries(a.fields ?? {}).slice(0, 25).map(([name, v]) => ({ name: name.slice(0, 256), value: String(v).slice(0, 1024) || '—', inline: true })),
            footer: { text: `${engine} · ${a.rule}` },
          }],
        }),
      };
    case 'telegram':
      return {
        url: `${t.url.replace(/\/$/, '')}/bot${t.telegramToken}/sendMessage`,
        body: JSON.stringify({ chat_id: t.telegramChatId, text: [`${ICON[a.severity]} ${a.title}`, a.text, ...fieldLines(a.fields)].join('\n').slice(0, 4096), disable_web_page_preview: true }),
      };
  }
}
