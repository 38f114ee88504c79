/** How paths appear in output: relative to the working directory, with forward slashes. */
import { isAbsolute, relative, sep } from "node:path";

export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = isAbsolute(path) ? relative(cwd, path) : path;
  const shown = rel === "" ? "." : rel;
  return sep === "/" ? shown : shown.split(sep).join("/");
}
