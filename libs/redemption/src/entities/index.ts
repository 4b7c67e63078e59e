import { RedemptionEntity, RedemptionPartEntity, RefundEntity, ReversalEntity } from './redemption.entity';

export * from './redemption.entity';
export const REDEMPTION_ENTITIES = [RedemptionEntity, RedemptionPartEntity, RefundEntity, ReversalEntity];
