export * from './business-time';
export * from './clock';
