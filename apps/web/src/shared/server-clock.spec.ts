import type { Api } from './api';
import { noteServerTime, serverNow, syncServerClock } from './server-clock';

/** A stand-in for the HTTP client: /time answers (or fails) as the test says. */
function timeApi(answers: (() => Promise<{ now: string }>)[]): Api {
  let i = 0;
  return { get: () => answers[Math.min(i++, answers.length - 1)]() } as unknown as Api;
}

describe('the server clock of the countdown', () => {
  it('takes a server time an answer carried while /time has not answered, and /time over it', async () => {
    const local = Date.now();
    // The phone runs 60 s behind: the catalogue's serverTime says so.
    noteServerTime(new Date(local + 60_000).toISOString(), local, local);
    expect(Math.abs(serverNow() - (Date.now() + 60_000))).toBeLessThan(1000);

    // /time fails once, then answers: the offset is /time's (10 s ahead), not the catalogue's.
    await syncServerClock(
      timeApi([
        () => Promise.reject(new Error('network')),
        () => Promise.resolve({ now: new Date(Date.now() + 10_000).toISOString() }),
      ]),
    );
    expect(Math.abs(serverNow() - (Date.now() + 10_000))).toBeLessThan(1000);

    // Later answers' server times no longer move a clock /time has set.
    noteServerTime(new Date(Date.now() - 30_000).toISOString(), Date.now(), Date.now());
    expect(Math.abs(serverNow() - (Date.now() + 10_000))).toBeLessThan(1000);
  });
});
