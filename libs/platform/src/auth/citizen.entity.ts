import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('citizen')
export class CitizenEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  /** Kept because it is the sign-in identifier; shown to staff only masked. */
  @Column('text')
  phone: string;

  /** Real-name verified (an ID number was checked and bound to this account). */
  @Column('boolean', { default: false })
  verified: boolean;

  /** HMAC of the ID number under ID_HASH_SALT; the number itself is never stored. */
  @Column('text', { nullable: true })
  idNumberHash: string | null;

  @Column('text', { nullable: true })
  district: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  lastLoginAt: Date | null;
}
