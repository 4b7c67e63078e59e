export * from './all-exceptions.filter';
export * from './error-body';
export * from './jinli.exception';
export * from './validation';
