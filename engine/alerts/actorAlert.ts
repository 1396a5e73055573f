import type { Notifier } from './Notifier.js';

/** An alert as an actor raises it (cold topic `alert` to the supervisor). */
export interface ActorAlert {
  rule: string;
  severity?: string;
  title: string;
  text?: string;
  key?: string;
  fields?: Record<string, string | number | boolean | null>;
  /** a recovery: the named rule's episode (same key) ends, so its next firing is news again */
  endEpisode?: string;
  /** only end the episode: nothing to tell a person (e.g. VPIN no longer toxic) */
  quiet?: boolean;
}

/** What the supervisor does with an actor's alert: end an episode, raise it (unless quiet); malformed: ignored. */
export function deliverActorAlert(n: Notifier | undefined, raw: unknown, from: string): void {
  const a = raw as ActorAlert | null;
  if (!a || typeof a.rule !== 'string' || typeof a.title !== 'string') return;
  if (a.endEpisode) n?.endEpisode(a.endEpisode, a.key);
  if (a.quiet) return;
  const severity = a.severity === 'critical' || a.severity === 'warning' ? a.severity : 'info';
  n?.raise({ rule: a.rule, severity, title: a.title, text: String(a.text ?? ''), key: a.key, fields: { ...a.fields, actor: from } });
}
