import { describe, expect, it } from "vitest";
import { constraintBuildsIndex } from "../../src/rules/constraint-builds-index.js";
import { checkRepo } from "../harness.js";
import { ruleTester } from "../rule-tester.js";

const setup = "CREATE TABLE users (id int, email text);\n";

ruleTester(constraintBuildsIndex, {
  valid: [
    {
      name: "a unique index built concurrently, then attached with USING INDEX",
      files: {
        "001.sql": setup,
        "002.sql": "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
        "003.sql": "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
      },
    },
    {
      name: "constraints on a table created in the same file",
      files: `${setup}ALTER TABLE users ADD PRIMARY KEY (id);\nALTER TABLE users ADD UNIQUE (email);`,
    },
    {
      name: "a foreign key or check constraint builds no index",
      files: { "001.sql": setup, "002.sql": "ALTER TABLE users ADD CONSTRAINT c CHECK (id > 0);" },
    },
  ],
  invalid: [
    {
      name: "ADD CONSTRAINT … UNIQUE on an existing table",
      files: {
        "001.sql": setup,
        "002.sql": "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
      },
      errors: [
        {
          file: "002.sql",
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 64,
          message: /UNIQUE \(email\).*ACCESS EXCLUSIVE/,
        },
      ],
      fix: "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key",
    },
    {
      name: "ADD PRIMARY KEY on an existing table",
      files: { "001.sql": setup, "002.sql": "ALTER TABLE users ADD PRIMARY KEY (id);" },
      errors: [{ file: "002.sql", line: 1, column: 1, endLine: 1, endColumn: 39, message: /PRIMARY KEY/ }],
      fix: "CREATE UNIQUE INDEX CONCURRENTLY users_pkey ON users (id);\nALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_pkey",
    },
    {
      name: "ADD COLUMN … UNIQUE on an existing table",
      files: { "001.sql": setup, "002.sql": "ALTER TABLE users ADD COLUMN handle text UNIQUE;" },
      errors: [{ file: "002.sql", line: 1, column: 1, endLine: 1, endColumn: 48 }],
    },
  ],
});

describe("constraint-builds-index help", () => {
  it("warns that a primary key on nullable columns also scans for SET NOT NULL", async () => {
    const result = await checkRepo({
      files: {
        "001.sql": "CREATE TABLE b (id int, n int NOT NULL);",
        "002.sql": "ALTER TABLE b ADD PRIMARY KEY (id);\nALTER TABLE b ADD PRIMARY KEY (n);",
      },
    });
    const helps = result.findings.filter((f) => f.rule === "constraint-builds-index").map((f) => f.help);
    expect(helps[0]).toMatch(
      /id allows NULL, so the primary key would also SET NOT NULL.*CHECK \(id IS NOT NULL\) NOT VALID/,
    );
    expect(helps[1]).not.toMatch(/NULL/);
  });
});
