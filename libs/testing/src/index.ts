export * from './factories';
export * from './test-api';
export * from './claiming';
