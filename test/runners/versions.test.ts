import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assumeVersion, runner, runnerLabel } from "../../src/sources/index.js";
import { scratchDir } from "../harness.js";

const roots: string[] = [];
/** A throwaway repository (with .git, so the walk up stops there) holding `files`. */
function repo(files: Record<string, string>): string {
  const root = scratchDir("pil-runners-");
  roots.push(root);
  mkdirSync(join(root, ".git"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe("assumeVersion", () => {
  it("takes the config's version over anything the project pins", () => {
    const root = repo({ "package.json": JSON.stringify({ devDependencies: { prisma: "^5.22.0" } }) });
    expect(assumeVersion(runner("prisma"), join(root, "prisma/migrations"), "7.4.1")).toEqual({
      version: "7.4.1",
      source: "config",
    });
  });

  it("reads a package.json range when there is no lock file, walking up from the migrations folder", () => {
    const root = repo({ "package.json": JSON.stringify({ devDependencies: { prisma: "^5.22.0" } }) });
    expect(assumeVersion(runner("prisma"), join(root, "prisma/migrations"))).toEqual({
      version: "5.22.0",
      source: "package.json (prisma ^5.22.0)",
    });
  });

  it("prefers the exact version locked in package-lock.json over the package.json range", () => {
    const root = repo({
      "package.json": JSON.stringify({ dependencies: { "drizzle-orm": "^0.30.0" } }),
      "package-lock.json": JSON.stringify({
        lockfileVersion: 3,
        packages: { "": {}, "node_modules/drizzle-orm": { version: "0.30.10" } },
      }),
    });
    expect(assumeVersion(runner("drizzle"), join(root, "drizzle"))).toEqual({
      version: "0.30.10",
      source: "package-lock.json (drizzle-orm 0.30.10)",
    });
  });

  it("finds the workspace root's lock file above a member package", () => {
    const root = repo({
      "package-lock.json": JSON.stringify({
        lockfileVersion: 3,
        packages: { "node_modules/prisma": { version: "7.3.0" } },
      }),
      "packages/api/package.json": JSON.stringify({ devDependencies: { prisma: "^7.0.0" } }),
    });
    expect(assumeVersion(runner("prisma"), join(root, "packages/api/prisma/migrations")).version).toBe(
      "7.3.0",
    );
  });

  it("reads golang-migrate and dbmate versions from go.mod", () => {
    const root = repo({
      "go.mod": [
        "module example.com/app",
        "",
        "require (",
        "\tgithub.com/amacneil/dbmate/v2 v2.28.0",
        "\tgithub.com/golang-migrate/migrate/v4 v4.18.1 // indirect",
        ")",
      ].join("\n"),
    });
    expect(assumeVersion(runner("golang-migrate"), join(root, "db/migrations"))).toEqual({
      version: "4.18.1",
      source: "go.mod (github.com/golang-migrate/migrate/v4 v4.18.1)",
    });
    expect(assumeVersion(runner("dbmate"), join(root, "db/migrations")).version).toBe("2.28.0");
  });

  it("reads flyway-core from pom.xml, resolving a version property", () => {
    const root = repo({
      "pom.xml": [
        "<project><properties><flyway.version>10.20.1</flyway.version></properties>",
        "<dependencies><dependency><groupId>org.flywaydb</groupId>",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Maven property reference, not a template.
        "<artifactId>flyway-core</artifactId><version>${flyway.version}</version></dependency></dependencies></project>",
      ].join("\n"),
    });
    expect(assumeVersion(runner("flyway"), join(root, "src/main/resources/db/migration"))).toEqual({
      version: "10.20.1",
      source: "pom.xml (flyway 10.20.1)",
    });
  });

  it("reads flyway-core from build.gradle", () => {
    const root = repo({
      "build.gradle": "dependencies { implementation 'org.flywaydb:flyway-core:9.22.3' }\n",
    });
    expect(assumeVersion(runner("flyway"), join(root, "db")).version).toBe("9.22.3");
  });

  it("assumes the latest behaviour when nothing pins a version, and does not look above the repository", () => {
    const root = repo({});
    expect(assumeVersion(runner("prisma"), join(root, "prisma/migrations"))).toEqual({
      version: null,
      source: "default (latest behaviour)",
    });
  });

  it("labels the runner with the assumed version for messages", () => {
    expect(runnerLabel(runner("golang-migrate"), { version: "4.18.1", source: "go.mod" })).toBe(
      "golang-migrate 4.18.1",
    );
    expect(runnerLabel(runner("prisma"), { version: null, source: "default" })).toBe("Prisma (latest)");
  });
});
