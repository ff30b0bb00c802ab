// Preload (`node --require`) that makes this Node.js one without the internal `_http_common`
// module, as a release that drops it (DEP0199) would be: require() of it fails like that of
// any missing module. node:http keeps working (Node loads its own internals another way).
// Used to check that the proxy's `engine: auto` falls back to node:http and keeps serving.
'use strict';
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === '_http_common') {
    throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
  }
  return load.call(this, request, ...rest);
};
