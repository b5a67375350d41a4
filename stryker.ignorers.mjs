import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

/**
 * `swagger-text`: the arguments of zod's `.meta(…)` are descriptions and examples for the API
 * docs, not behaviour, so no mutant is made of them (they would all survive the unit tests and
 * say nothing about the code). The schema the call is made on is still mutated.
 */
export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'swagger-text', {
    shouldIgnore(path) {
      const call = path.parentPath;
      if (path.listKey !== 'arguments' || !call?.isCallExpression()) return undefined;
      const callee = call.node.callee;
      const named = callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && callee.property.name === 'meta';
      return named ? 'API documentation text (zod .meta)' : undefined;
    },
  }),
];
