import type { Api } from './api';

/**
 * The server's clock, read once: a countdown to a round must not trust the phone's own time (phones
 * drift, and some people set them forward to "be first"). The offset is half-round-trip corrected.
 */
let offsetMs = 0;
let synced: Promise<void> | null = null;

export function syncServerClock(api: Api): Promise<void> {
  synced ??= (async () => {
    try {
      const sent = Date.now();
      const { now } = await api.get<{ now: string }>('/time', { retries: 3 });
      const received = Date.now();
      offsetMs = Date.parse(now) - (sent + received) / 2;
    } catch {
      synced = null; // try again next time; meanwhile local time
    }
  })();
  return synced;
}

export function serverNow(): number {
  return Date.now() + offsetMs;
}

export function clockOffsetMs(): number {
  return offsetMs;
}
