import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('district')
export class DistrictEntity {
  @PrimaryColumn('text')
  code: string;

  @Column('text')
  name: string;
}

@Entity('category')
export class CategoryEntity {
  @PrimaryColumn('text')
  code: string;

  @Column('text')
  name: string;
}
