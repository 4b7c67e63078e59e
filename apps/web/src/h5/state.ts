import { createSession } from '../shared/session';
import type { CitizenUser } from '../shared/types';

export const { session, api } = createSession<CitizenUser>('h5');
