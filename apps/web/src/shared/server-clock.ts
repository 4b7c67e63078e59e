import type { Api } from './api';

/**
 * The server's clock: a countdown to a round must not trust the phone's own time (phones drift, and
 * some people set them forward to "be first"). The offset is half-round-trip corrected, each
 * attempt timed on its own (a retry's wait is not a round trip).
 */
let offsetMs = 0;
let known = false;
let synced: Promise<void> | null = null;

export function syncServerClock(api: Api): Promise<void> {
  synced ??= (async () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const sent = Date.now();
        const { now } = await api.get<{ now: string }>('/time', { retries: 0 });
        noteServerTime(now, sent, Date.now(), true);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
      }
    }
    synced = null; // try again next time; meanwhile any server time an answer carried
  })();
  return synced;
}

/**
 * A server time an answer carried (`serverTime`), sent at `sent` and received at `received` (local
 * ms). Used while /time has not answered (`exact`: the answer of /time itself, always used).
 */
export function noteServerTime(iso: string, sent: number, received: number, exact = false): void {
  const server = Date.parse(iso);
  if (!Number.isFinite(server) || (known && !exact)) return;
  offsetMs = server - (sent + received) / 2;
  known = exact || known;
}

export function serverNow(): number {
  return Date.now() + offsetMs;
}

export function clockOffsetMs(): number {
  return offsetMs;
}
