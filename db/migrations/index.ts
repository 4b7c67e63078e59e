import { InitialSchema1764201600000 } from './1764201600000-initial-schema';
import { CampaignSharesBothSides1764250000000 } from './1764250000000-campaign-shares-both-sides';
import { ClaimRoundTransfers1764300000000 } from './1764300000000-claim-round-transfers';
import { Redemption1764400000000 } from './1764400000000-redemption';
import { SettlementRuns1764500000000 } from './1764500000000-settlement-runs';
import { ReportingAggregates1764500100000 } from './1764500100000-reporting-aggregates';
import { StatementLineReferences1764500200000 } from './1764500200000-statement-line-references';
import { OneVoucherPerOrder1764700000000 } from './1764700000000-one-voucher-per-order';
import { PayoutCorrections1764710000000 } from './1764710000000-payout-corrections';
import { SettlementGuards1764710100000 } from './1764710100000-settlement-guards';
import { RedeemFunction1764720000000 } from './1764720000000-redeem-function';
import { RoundRoomInTrigger1764730000000 } from './1764730000000-round-room-in-trigger';
import { PayoutFileDownloads1764740000000 } from './1764740000000-payout-file-downloads';
import { CampaignPublishedAt1764750000000 } from './1764750000000-campaign-published-at';

/** Migrations in order. Never edit one that has landed on main: add a new one. */
export const MIGRATIONS = [
  InitialSchema1764201600000,
  CampaignSharesBothSides1764250000000,
  ClaimRoundTransfers1764300000000,
  Redemption1764400000000,
  SettlementRuns1764500000000,
  ReportingAggregates1764500100000,
  StatementLineReferences1764500200000,
  OneVoucherPerOrder1764700000000,
  PayoutCorrections1764710000000,
  SettlementGuards1764710100000,
  RedeemFunction1764720000000,
  RoundRoomInTrigger1764730000000,
  PayoutFileDownloads1764740000000,
  CampaignPublishedAt1764750000000,
];
