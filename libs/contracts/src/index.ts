export * from './errors';
export * from './events';
export * from './reference';
export * from './roles';
export * from './statuses';
export * from './redemption';
