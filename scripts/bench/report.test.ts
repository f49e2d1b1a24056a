import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeBenchSection } from "./report.ts";

describe("writeBenchSection", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const scratch = async () => (dir = await mkdtemp(path.join(tmpdir(), "bench-report-")));

  it("replaces its own section and leaves the others as they were", async () => {
    const file = path.join(await scratch(), "BENCHMARKS.md");
    const others =
      "# Benchmarks\n\n<!-- bench:a -->\n## A\n<!-- /bench -->\n\n<!-- bench:b -->\n## B old\n<!-- /bench -->\n\ntail\n";
    await writeFile(file, others);
    await writeBenchSection("b", "## B new\n", file);
    expect(await readFile(file, "utf8")).toBe(
      "# Benchmarks\n\n<!-- bench:a -->\n## A\n<!-- /bench -->\n\n<!-- bench:b -->\n## B new\n<!-- /bench -->\n\ntail\n",
    );
  });

  it("appends a section the file does not have yet, and starts a missing file", async () => {
    const file = path.join(await scratch(), "BENCHMARKS.md");
    await writeBenchSection("a", "## A\n", file);
    await writeBenchSection("b", "## B\n", file);
    const text = await readFile(file, "utf8");
    expect(text.startsWith("# Benchmarks\n")).toBe(true);
    expect(
      text.endsWith(
        "<!-- bench:a -->\n## A\n<!-- /bench -->\n\n<!-- bench:b -->\n## B\n<!-- /bench -->\n",
      ),
    ).toBe(true);
  });
});
