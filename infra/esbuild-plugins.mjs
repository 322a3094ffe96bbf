import { dirname, join, resolve } from "node:path";

/**
 * esbuild plugins for the Lambda bundles (SST's `nodejs.plugins` and
 * functions/scripts/src/bundle.ts use this one list).
 *
 * zod re-exports every translation of its error messages as `z.locales` (~250 KiB minified);
 * nothing here uses them, and the English default is imported on its own. This swaps the
 * locale index for one that exports English only.
 */
export const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: resolve(args.resolveDir, args.path), namespace: "zod-english-only" };
    });
    build.onLoad({ filter: /.*/, namespace: "zod-english-only" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), "en.js"))};`,
      resolveDir: dirname(args.path),
      loader: "js",
    }));
  },
};

export default [zodEnglishOnly];
