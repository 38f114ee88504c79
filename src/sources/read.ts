/** Reading a source file as text: the one place that decides what counts as readable. */
import { readFileSync } from "node:fs";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The file's text without a byte order mark, or why it cannot be read as text. */
export function readText(absPath: string): { text: string } | { problem: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(absPath);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { problem: `This file cannot be read${code ? ` (${code})` : ""}.` };
  }
  if (bytes.includes(0)) return { problem: "This is a binary file, not text." };
  try {
    return { text: decoder.decode(bytes).replace(/^\uFEFF/, "") };
  } catch {
    return { problem: "This file is not valid UTF-8; save it as UTF-8." };
  }
}
