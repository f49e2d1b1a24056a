// Writes a deterministic synthetic dataset, one import file per partner:
//   npm run generate -- [--services N] [--seed S] [--today YYYY-MM-DD] [--out DIR]
import path from "node:path";
import { DEFAULT_SEED, DEFAULT_SERVICES, DEFAULT_TODAY, writeDataset } from "./generate/dataset.ts";

const USAGE = `usage: npm run generate -- [--services N] [--seed S] [--today YYYY-MM-DD] [--out DIR]
  --services  total services across council, charity and health (default ${DEFAULT_SERVICES})
  --seed      integer seed; the same seed gives byte-identical files (default ${DEFAULT_SEED})
  --today     the date contract ends and capacity updates are relative to (default ${DEFAULT_TODAY})
  --out       output directory (default .data/generated)`;

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function parseArgs(argv: string[]) {
  const opts = {
    services: DEFAULT_SERVICES,
    seed: DEFAULT_SEED,
    today: DEFAULT_TODAY,
    out: ".data/generated",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const integer = (v: string) => {
      if (!/^-?\d+$/.test(v)) throw new UsageError(`${flag} must be an integer (got "${v}")`);
      return Number(v);
    };
    switch (flag) {
      case "--services":
        opts.services = integer(value());
        break;
      case "--seed":
        opts.seed = integer(value());
        break;
      case "--today":
        opts.today = value();
        break;
      case "--out":
        opts.out = value();
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        return process.exit(0);
      default:
        throw new UsageError(`unknown argument "${argv[i]}"`);
    }
  }
  return opts;
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const files = await writeDataset(path.resolve(opts.out), opts);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  for (const f of files) {
    const mb = (f.bytes / 1_048_576).toFixed(1);
    console.log(
      `${f.partner.padEnd(8)} ${String(f.services).padStart(7)} services  ${mb.padStart(7)} MB  ${shown(f.file)}`,
    );
  }
  console.log(
    `generated ${opts.services} services (seed ${opts.seed}, today ${opts.today}) in ${seconds} s`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof RangeError) {
    console.error(`generate: ${err.message}`);
    if (err instanceof UsageError) console.error(USAGE);
  } else console.error(err);
  process.exit(1);
});
