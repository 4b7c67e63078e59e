import { CLAIMING_ENTITIES } from '@jinli/claiming';
import { ISSUING_ENTITIES } from '@jinli/issuing';
import { PLATFORM_ENTITIES } from '@jinli/platform';
import { REDEMPTION_ENTITIES } from '@jinli/redemption';
import { SETTLEMENT_ENTITIES } from '@jinli/settlement';

/** Every TypeORM entity of Jinli. The schema itself is defined by the SQL migrations. */
export const ALL_ENTITIES: Function[] = [
  ...PLATFORM_ENTITIES,
  ...ISSUING_ENTITIES,
  ...CLAIMING_ENTITIES,
  ...REDEMPTION_ENTITIES,
  ...SETTLEMENT_ENTITIES,
];
