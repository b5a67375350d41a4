// Jest on Node 20 cannot `require()` ES modules, and @nestjs/throttler (CommonJS) requires
// @nestjs/common (ESM-only since Nest 12). So tests run everything as CommonJS: our TypeScript and
// every ES module under node_modules go through SWC (with decorator metadata for Nest's DI);
// files that are already CommonJS pass through untouched. `import.meta` has no CommonJS form, so
// its uses are rewritten to the CommonJS equivalents first.
const { createHash } = require('node:crypto');
const swc = require('@swc/core');

const OPTIONS = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs', ignoreDynamic: false },
  sourceMaps: 'inline',
};

const SELF = require('node:fs').readFileSync(__filename);
const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)|\bimport\.meta\b/m;

function rewriteImportMeta(src) {
  return src
    .replace(/import\.meta\.url/g, "('file://' + encodeURI(__filename))")
    .replace(/import\.meta\.dirname/g, '__dirname')
    .replace(/import\.meta\.filename/g, '__filename')
    .replace(/import\.meta\.resolve\(/g, 'require.resolve(');
}

module.exports = {
  process(src, filename) {
    const isTs = filename.endsWith('.ts');
    if (!isTs && !ESM_SYNTAX.test(src)) return { code: src };
    const out = swc.transformSync(rewriteImportMeta(src), {
      ...OPTIONS,
      filename,
      jsc: { ...OPTIONS.jsc, parser: isTs ? OPTIONS.jsc.parser : { syntax: 'ecmascript' } },
    });
    return { code: out.code, map: out.map };
  },
  getCacheKey(src, filename) {
    return createHash('sha1').update(SELF).update(filename).update(src).digest('hex');
  },
};
