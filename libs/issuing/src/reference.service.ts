import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '@jinli/platform';
import { CategoryEntity, DistrictEntity } from './entities';

/** Districts and merchant categories, for forms and reports. */
@Injectable()
export class ReferenceService {
  constructor(private readonly tx: TransactionRunner) {}

  async all(): Promise<{ districts: DistrictEntity[]; categories: CategoryEntity[] }> {
    const ds = this.tx.dataSource;
    const [districts, categories] = await Promise.all([
      ds.getRepository(DistrictEntity).find(),
      ds.getRepository(CategoryEntity).find(),
    ]);
    return { districts, categories };
  }
}
