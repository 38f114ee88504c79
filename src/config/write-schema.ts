/** `npm run schema`: writes schema/config.schema.json from the zod schema, for editors. */
import { writeFileSync } from "node:fs";
import { configJsonSchema } from "./schema.js";

writeFileSync(
  new URL("../../schema/config.schema.json", import.meta.url),
  `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
);
