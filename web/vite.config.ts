import { sveltekit } from "@sveltejs/kit/vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    // `vite dev` alone: send API calls to the local API on the same origin the cookies expect.
    proxy: { "/api": "http://localhost:8787" },
  },
  // The build's analysis step runs Kit's server bundle; the workspace root hoists cookie@2
  // (for fauxqs), while Kit needs its own nested cookie@0.6: bundle it instead of importing it.
  ssr: { noExternal: ["cookie"] },
  build: { target: "es2022", reportCompressedSize: false },
});
