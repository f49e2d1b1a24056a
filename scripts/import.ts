// Imports an HSDS / Open Referral UK file into one partner's database (docs/import-format.md):
//   npm run import -- --partner council path/to/file.json [--replace]
import path from "node:path";
import { PARTNERS, isPartnerId } from "../schema/vocabulary.ts";
import { importConfig } from "./config.ts";
import { HsdsFileError, importFile } from "../subgraphs/kit/hsds/import.ts";
import { HsdsValidationError } from "../subgraphs/kit/hsds/validate.ts";

const USAGE = `usage: npm run import -- --partner <${PARTNERS.join("|")}> <file.json> [--replace]
  --replace  mark this partner's services that are not in the file as deleted`;

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function parseArgs(argv: string[]) {
  let partner: string | undefined;
  let file: string | undefined;
  let replace = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--partner" || arg === "-p") {
      partner = argv[++i];
      if (partner === undefined) throw new UsageError("--partner needs a value");
    } else if (arg.startsWith("--partner=")) partner = arg.slice("--partner=".length);
    else if (arg === "--replace") replace = true;
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith("-")) throw new UsageError(`unknown option "${arg}"`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`one file at a time (got "${file}" and "${arg}")`);
  }
  if (partner === undefined) throw new UsageError("--partner is required");
  if (!isPartnerId(partner))
    throw new UsageError(`unknown partner "${partner}" (expected one of ${PARTNERS.join(", ")})`);
  if (file === undefined) throw new UsageError("a file to import is required");
  return { partner, file, replace };
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

async function main() {
  const { partner, file, replace } = parseArgs(process.argv.slice(2));
  const cfg = importConfig(partner);
  const target = cfg.databaseUrl
    ? `PostgreSQL (${partner.toUpperCase()}_DATABASE_URL)`
    : `PGlite ${shown(cfg.pgliteDir)}`;
  const started = performance.now();
  const r = await importFile(partner, file, { replace, target: cfg });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `imported ${file} into ${partner} (${target}) in ${seconds} s: ` +
      `${r.organizations} organizations, ${r.services} services, ${r.locations} locations, ` +
      `${r.coDeliveries} co-deliveries, ${r.tombstoned} tombstoned`,
  );
}

main().catch((err: unknown) => {
  // Problems with the input are the user's to fix: say what is wrong, without a stack trace.
  if (err instanceof UsageError) console.error(`import: ${err.message}\n${USAGE}`);
  else if (err instanceof HsdsValidationError || err instanceof HsdsFileError)
    console.error(`import: ${err.message}\nNothing was imported.`);
  else {
    console.error("import: failed; nothing was imported.");
    console.error(err);
  }
  process.exit(1);
});
