export * from './factories';
export * from './redemption-factories';
export * from './test-api';
