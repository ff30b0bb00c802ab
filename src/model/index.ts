export * from './types.js';
export * from './names.js';
export * from './address.js';
export * from './rdata.js';
