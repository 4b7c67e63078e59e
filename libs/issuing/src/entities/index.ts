export * from './campaign.entity';
export * from './funder.entity';
export * from './merchant.entity';
export * from './reference.entity';
export * from './voucher-batch.entity';

import { CampaignEntity, CampaignFunderEntity } from './campaign.entity';
import { FunderEntity } from './funder.entity';
import { MerchantEntity, StoreEntity } from './merchant.entity';
import { CategoryEntity, DistrictEntity } from './reference.entity';
import { ClaimRoundEntity, VoucherBatchEntity } from './voucher-batch.entity';

export const ISSUING_ENTITIES = [
  DistrictEntity,
  CategoryEntity,
  FunderEntity,
  CampaignEntity,
  CampaignFunderEntity,
  VoucherBatchEntity,
  ClaimRoundEntity,
  MerchantEntity,
  StoreEntity,
];
