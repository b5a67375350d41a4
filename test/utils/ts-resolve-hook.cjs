// Jest loads globalSetup/globalTeardown through CommonJS `require`, which cannot resolve the
// `.js` specifiers our TypeScript sources use (Node ESM style). Map them to the `.ts` files.
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const original = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (parent && request.startsWith('.') && request.endsWith('.js')) {
    const ts = path.resolve(path.dirname(parent.filename), request.slice(0, -3) + '.ts');
    if (fs.existsSync(ts)) return ts;
  }
  return original.call(this, request, parent, ...rest);
};
