import { reactive } from 'vue';
import { createApi, type Api } from './api';

export interface SessionState<U> {
  token: string | null;
  expiresAt: string | null;
  user: U | null;
}

/**
 * One signed-in person per page (H5, till, console), kept in localStorage so a reload keeps them in.
 * A 401 from any call signs them out and the page shows its sign-in form again.
 */
export function createSession<U>(page: string) {
  const key = `jinli.${page}.session`;
  const state = reactive<SessionState<U>>({ token: null, expiresAt: null, user: null }) as SessionState<U>;
  try {
    const saved = JSON.parse(localStorage.getItem(key) ?? 'null') as SessionState<U> | null;
    if (saved?.token && saved.expiresAt && Date.parse(saved.expiresAt) > Date.now())
      Object.assign(state, saved);
  } catch {
    // a damaged entry: start signed out
  }
  const listeners: (() => void)[] = [];
  const session = {
    state,
    signIn(token: string, expiresAt: string, user: U) {
      Object.assign(state, { token, expiresAt, user });
      localStorage.setItem(key, JSON.stringify(state));
    },
    signOut() {
      Object.assign(state, { token: null, expiresAt: null, user: null });
      localStorage.removeItem(key);
      for (const l of listeners) l();
    },
    onSignOut(l: () => void) {
      listeners.push(l);
    },
    get signedIn() {
      return !!state.token;
    },
  };
  const api: Api = createApi({ token: () => state.token, onUnauthorized: () => session.signOut() });
  return { session, api };
}
