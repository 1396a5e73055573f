/**
 * Episodes of a condition per key (a symbol, a date): `update` answers `start` when the condition begins,
 * `end` when it stops, null while nothing changes. A rule raises its alert on `start` and ends the
 * notifier's episode on `end`, so a condition that persists is one alert, and its return is news again.
 */
export class Episodes {
  private readonly active = new Set<string>();

  update(key: string, on: boolean): 'start' | 'end' | null {
    if (on === this.active.has(key)) return null;
    if (on) this.active.add(key);
    else this.active.delete(key);
    return on ? 'start' : 'end';
  }

  has(key: string): boolean {
    return this.active.has(key);
  }
}
