/** The Action's entry point (action.yml → dist/index.js, bundled by scripts/bundle.mjs). */
import { run } from "./action.js";

await run();
