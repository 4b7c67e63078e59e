import { InitialSchema1764201600000 } from './1764201600000-initial-schema';
import { RedemptionOrderRef1764400000000 } from './1764400000000-redemption-order-ref';

/** Migrations in order. Never edit one that has landed on main: add a new one. */
export const MIGRATIONS = [InitialSchema1764201600000, RedemptionOrderRef1764400000000];
