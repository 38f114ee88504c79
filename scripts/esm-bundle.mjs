// The options of the Action's bundle (dist/index.js, scripts/bundle.mjs): ESM for Node 20, and a
// banner that gives the bundled CommonJS modules `require`, `__filename` and `__dirname`, which an
// ES module lacks. The CLI's bundle is a CommonJS script of its own (scripts/bundle-cli.mjs).
export const ESM_FOR_NODE = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  charset: "utf8",
  banner: {
    js: [
      'import { createRequire as __bundleCreateRequire } from "node:module";',
      'import { fileURLToPath as __bundleFileURLToPath } from "node:url";',
      'import { dirname as __bundleDirname } from "node:path";',
      "const require = __bundleCreateRequire(import.meta.url);",
      "const __filename = __bundleFileURLToPath(import.meta.url);",
      "const __dirname = __bundleDirname(__filename);",
    ].join("\n"),
  },
};
