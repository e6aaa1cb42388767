export * from './central';
export * from './shard';
export * from './stats';
export * from './sync';
export * from './verify';
export * from './packs';
export * from './drift';
export * from './rollups';
