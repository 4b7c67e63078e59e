export * from './data-source-options';
export * from './database.module';
export * from './money';
export * from './naming.strategy';
export * from './pg-types';
export * from './transaction';
