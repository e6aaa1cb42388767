export * from './agreement';
export * from './record';
