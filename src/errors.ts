import { isAbsolute } from "node:path";
import { displayPath } from "./paths.js";

/**
 * An error the user caused and can fix: a bad config, a missing path, unreadable input. The CLI
 * prints its message as one line and exits 2. Anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(
    message: string,
    /** "file:line" or "file", when the error has a place. */
    readonly where?: string,
  ) {
    super(message);
  }

  /** The one line the CLI prints. */
  format(): string {
    if (!this.where) return this.message;
    return `${isAbsolute(this.where) ? displayPath(this.where) : this.where}: ${this.message}`;
  }
}
