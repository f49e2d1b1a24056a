// Where every bench mode writes its figures: its own section of BENCHMARKS.md, between
// <!-- bench:<mode> --> and <!-- /bench -->, replaced on each run and appended the first time.
import { readFile, writeFile } from "node:fs/promises";

const END = "<!-- /bench -->";
const HEADER =
  "# Benchmarks\n\nFigures from `npm run bench`; each section names the command that produced it.\n\n";

/** Writes `section` as the `mode` section of `file` (BENCHMARKS.md), and returns the file's name. */
export async function writeBenchSection(
  mode: string,
  section: string,
  file = "BENCHMARKS.md",
): Promise<string> {
  const existing = await readFile(file, "utf8").catch(() => HEADER);
  const marker = `<!-- bench:${mode} -->`;
  const start = existing.indexOf(marker);
  const end = start >= 0 ? existing.indexOf(END, start) : -1;
  const block = `${marker}\n${section}${END}\n`;
  await writeFile(
    file,
    start >= 0 && end >= 0
      ? existing.slice(0, start) + block + existing.slice(end + `${END}\n`.length)
      : existing + "\n" + block,
  );
  return file;
}
