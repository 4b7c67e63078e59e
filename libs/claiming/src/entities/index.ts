import { VoucherEntity } from './voucher.entity';

export * from './voucher.entity';
export const CLAIMING_ENTITIES = [VoucherEntity];
