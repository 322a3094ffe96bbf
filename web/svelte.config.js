import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import adapter from "@sveltejs/adapter-static";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

const BUILD_DIR = "build";

/**
 * Moves SvelteKit's inline bootstrap `<script>` out of the fallback page into a file of its
 * own, so the Content-Security-Policy (functions/api/src/security-headers.ts, sent by
 * CloudFront and the local server) can say `script-src 'self'` with no per-build hash. Kit's
 * own `csp` option can only hash it into a `<meta>` policy, which cannot carry
 * `frame-ancestors`, and which a static CloudFront header policy cannot follow build by build.
 * The bootstrap finds its mount point with `document.currentScript`, which a classic
 * (non-module) external script still has. Fails the build if the page changes shape.
 * @param {import('@sveltejs/kit').Adapter} inner
 * @returns {import('@sveltejs/kit').Adapter}
 */
function externalBootstrap(inner) {
  return {
    ...inner,
    name: `${inner.name} + external bootstrap`,
    async adapt(builder) {
      await inner.adapt(builder);
      const page = join(BUILD_DIR, "index.html");
      const html = readFileSync(page, "utf8");
      const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
      const external = html.match(/<script\b[^>]*\bsrc=/g) ?? [];
      if (inline.length !== 1 || external.length !== 0) {
        throw new Error(
          `${page}: expected exactly one inline bootstrap script, found ${inline.length} inline`,
        );
      }
      const [tag, code] = /** @type {[string, string]} */ ([inline[0][0], inline[0][1]]);
      const name = `bootstrap.${createHash("sha256").update(code).digest("hex").slice(0, 12)}.js`;
      // Under immutable/: the name changes with the content, so it can be cached for good.
      const dir = join(BUILD_DIR, "_app", "immutable");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), `${code.trim()}\n`);
      writeFileSync(page, html.replace(tag, `<script src="/_app/immutable/${name}"></script>`));
      builder.log.minor(`Moved the bootstrap script to _app/immutable/${name}`);
    },
  };
}

/**
 * A static SPA: every URL is served the same `index.html` fallback and the client router
 * takes over; nothing is prerendered because every page needs the signed-in user.
 * @type {import('@sveltejs/kit').Config}
 */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: externalBootstrap(
      adapter({
        pages: BUILD_DIR,
        assets: BUILD_DIR,
        fallback: "index.html",
        precompress: false,
        strict: true,
      }),
    ),
    // The fallback page is served at any depth (/requests/abc): asset URLs must be absolute.
    paths: { relative: false },
  },
};

export default config;
