import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/queries/csv.js";

describe("readCsv (RFC 4180)", () => {
  const valid: { name: string; text: string; rows: { fields: string[]; line: number; endLine: number }[] }[] =
    [
      {
        name: "plain fields, LF line ends, a final line break",
        text: "a,b,c\n1,2,3\n",
        rows: [
          { fields: ["a", "b", "c"], line: 1, endLine: 1 },
          { fields: ["1", "2", "3"], line: 2, endLine: 2 },
        ],
      },
      {
        name: "CRLF line ends, and none at the end",
        text: "a,b\r\n1,2\r\n3,4",
        rows: [
          { fields: ["a", "b"], line: 1, endLine: 1 },
          { fields: ["1", "2"], line: 2, endLine: 2 },
          { fields: ["3", "4"], line: 3, endLine: 3 },
        ],
      },
      {
        name: "quoted fields with commas and doubled quotes",
        text: 'q,n\n"SELECT a, b FROM t WHERE c = \'x\' AND d = ""D""",5\n',
        rows: [
          { fields: ["q", "n"], line: 1, endLine: 1 },
          { fields: ["SELECT a, b FROM t WHERE c = 'x' AND d = \"D\"", "5"], line: 2, endLine: 2 },
        ],
      },
      {
        name: "line breaks inside a quoted field: the row keeps its first line",
        text: 'q,n\n"SELECT id\nFROM t\nWHERE x = $1",7\nBEGIN,9\n',
        rows: [
          { fields: ["q", "n"], line: 1, endLine: 1 },
          { fields: ["SELECT id\nFROM t\nWHERE x = $1", "7"], line: 2, endLine: 4 },
          { fields: ["BEGIN", "9"], line: 5, endLine: 5 },
        ],
      },
      {
        name: "CRLF inside a quoted field is kept as data",
        text: 'q\r\n"a\r\nb"\r\n',
        rows: [
          { fields: ["q"], line: 1, endLine: 1 },
          { fields: ["a\r\nb"], line: 2, endLine: 3 },
        ],
      },
      {
        name: "empty fields, and blank lines between rows",
        text: "a,b,c\n,,\n\n1,,3\n",
        rows: [
          { fields: ["a", "b", "c"], line: 1, endLine: 1 },
          { fields: ["", "", ""], line: 2, endLine: 2 },
          { fields: ["1", "", "3"], line: 4, endLine: 4 },
        ],
      },
      {
        name: "a byte order mark before the header",
        text: "\uFEFFquery,calls\nx,1\n",
        rows: [
          { fields: ["query", "calls"], line: 1, endLine: 1 },
          { fields: ["x", "1"], line: 2, endLine: 2 },
        ],
      },
    ];
  for (const c of valid) {
    it(`reads ${c.name}`, () => {
      const result = readCsv(c.text);
      expect(result.errors).toEqual([]);
      expect(result.rows).toEqual(c.rows);
    });
  }

  const invalid: {
    name: string;
    text: string;
    error: { message: RegExp; line: number; column: number };
    rows: number;
  }[] = [
    {
      name: "a quote inside an unquoted field",
      text: 'a,b\nx"y,1\n2,3\n',
      error: { message: /a quote inside an unquoted field/, line: 2, column: 2 },
      rows: 2,
    },
    {
      name: "text after a closing quote",
      text: 'a,b\n"x"y,1\n2,3\n',
      error: { message: /text after the closing quote/, line: 2, column: 4 },
      rows: 2,
    },
    {
      name: "a quoted field that never closes",
      text: 'a,b\n1,2\n"open,3\n4,5\n',
      error: { message: /never closed \(the rest of the file, 3 lines, is inside it\)/, line: 3, column: 1 },
      rows: 2,
    },
  ];
  for (const c of invalid) {
    it(`reports ${c.name} at its line and column, and drops only that row`, () => {
      const result = readCsv(c.text);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]?.message).toMatch(c.error.message);
      expect(result.errors[0]).toMatchObject({ line: c.error.line, column: c.error.column });
      expect(result.rows).toHaveLength(c.rows);
    });
  }
});
