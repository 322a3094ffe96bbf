import adapter from "@sveltejs/adapter-static";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/**
 * A static SPA: every URL is served the same `index.html` fallback and the client router
 * takes over; nothing is prerendered because every page needs the signed-in user.
 * @type {import('@sveltejs/kit').Config}
 */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({
      pages: "build",
      assets: "build",
      fallback: "index.html",
      precompress: false,
      strict: true,
    }),
    // The fallback page is served at any depth (/requests/abc): asset URLs must be absolute.
    paths: { relative: false },
  },
};

export default config;
