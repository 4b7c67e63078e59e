import { Module } from '@nestjs/common';
import { BatchService } from './batches/batch.service';
import { CampaignService } from './campaigns/campaign.service';
import { FunderService } from './funders/funder.service';
import { MerchantService } from './merchants/merchant.service';
import { StoreAccessService } from './merchants/store-access.service';
import { ReferenceService } from './reference.service';

const services = [
  FunderService,
  CampaignService,
  BatchService,
  MerchantService,
  StoreAccessService,
  ReferenceService,
];

@Module({ providers: services, exports: services })
export class IssuingModule {}
