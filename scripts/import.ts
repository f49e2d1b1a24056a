// Imports an HSDS / Open Referral UK feed into one partner's database (docs/import-format.md):
//   npm run import -- --partner council path/to/file.json [--replace [--dry-run] [--force]]
//   npm run import -- --partner council path/to/csv-folder
//   npm run import -- --partner council --url https://example.gov.uk/api/v3
import path from "node:path";
import cliProgress from "cli-progress";
import { PARTNERS, isPartnerId } from "../schema/vocabulary.ts";
import { importConfig, importSecret } from "./config.ts";
import { RemoteImportError, importThroughPartner } from "../subgraphs/kit/admin.import.ts";
import { DatabaseInUseError, readLock } from "../subgraphs/kit/db/lock.ts";
import { openDb } from "../subgraphs/kit/db/db.ts";
import {
  HsdsFileError,
  MAX_REPLACE_SHARE,
  ReplaceRefusedError,
  UnhideRefusedError,
  importHsds,
  readHsdsSource,
} from "../subgraphs/kit/hsds/import.ts";
import { FeedError, pullFeed } from "../subgraphs/kit/hsds/pull.ts";
import { formatReport, reportJson } from "../subgraphs/kit/hsds/report.ts";
import { HsdsValidationError, validateHsds } from "../subgraphs/kit/hsds/validate.ts";

const USAGE = `usage: npm run import -- --partner <${PARTNERS.join("|")}> (<file.json | csv folder> | --url <ORUK API base>) [options]
  --url <base>    pull from an ORUK / HSDS 3.0 API: GET <base>/services page by page, then
                  <base>/services/{id} for each
  --replace       mark this partner's services that are not in the feed as deleted; refused
                  when that is more than a fifth of them, unless --force
  --dry-run       do everything, print the report and what --replace would remove, write nothing
  --force         let --replace remove more than a fifth of the partner's services
  --rate <n>      with --url: at most n requests a second (default 5)
  --retry-delay <ms>
                  with --url: wait before the first retry of a failed request, doubled for each
                  of the next ones (default 500; 5 attempts in all)
  --json          print the report as JSON instead of text
  --allow-unhide  let locations the feed marks "wayfinder": { "confidential": false } become
                  public although they are confidential now (refused otherwise; audited)`;

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function parseArgs(argv: string[]) {
  let partner: string | undefined;
  let file: string | undefined;
  let url: string | undefined;
  let rate = 5;
  let retryDelayMs = 500;
  const flags = { replace: false, dryRun: false, force: false, json: false, allowUnhide: false };
  const value = (i: number, name: string) => {
    const v = argv[i];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--partner" || arg === "-p") partner = value(++i, "--partner");
    else if (arg.startsWith("--partner=")) partner = arg.slice("--partner=".length);
    else if (arg === "--url") url = value(++i, "--url");
    else if (arg.startsWith("--url=")) url = arg.slice("--url=".length);
    else if (arg === "--rate") {
      rate = Number(value(++i, "--rate"));
      if (!(rate > 0))
        throw new UsageError("--rate must be a positive number of requests a second");
    } else if (arg === "--retry-delay") {
      retryDelayMs = Number(value(++i, "--retry-delay"));
      if (!(retryDelayMs >= 0))
        throw new UsageError("--retry-delay must be a number of milliseconds, 0 or more");
    } else if (arg === "--replace") flags.replace = true;
    else if (arg === "--dry-run") flags.dryRun = true;
    else if (arg === "--force") flags.force = true;
    else if (arg === "--json") flags.json = true;
    else if (arg === "--allow-unhide") flags.allowUnhide = true;
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
  if (file === undefined && url === undefined)
    throw new UsageError("a file or folder to import, or --url, is required");
  if (file !== undefined && url !== undefined)
    throw new UsageError("give a file or --url, not both");
  if (url !== undefined && !/^https?:\/\//i.test(url))
    throw new UsageError(`--url must be an http(s) URL (got "${url}")`);
  return { partner, file, url, rate, retryDelayMs, ...flags };
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

/** A progress bar with rate and ETA on stderr; silent when stderr is not a terminal. */
function progressBar(label: string, unit: string) {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(8)} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  return {
    update(done: number, total: number) {
      if (!started) {
        bar.start(total, 0, { speed: "0" });
        started = true;
      }
      bar.setTotal(total);
      const seconds = (performance.now() - t0) / 1000;
      bar.update(done, { speed: seconds > 0 ? Math.round(done / seconds).toString() : "0" });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { partner } = args;
  const cfg = importConfig(partner);
  const target = cfg.databaseUrl
    ? `PostgreSQL (${partner.toUpperCase()}_DATABASE_URL)`
    : `PGlite ${shown(cfg.pgliteDir)}`;
  const started = performance.now();

  // Read everything first (file or every page of the feed): a feed that fails halfway leaves the
  // database untouched.
  let input: unknown;
  let source: string;
  if (args.url) {
    source = args.url;
    const bar = progressBar("fetch", "services");
    try {
      const pulled = await pullFeed(args.url, {
        requestsPerSecond: args.rate,
        backoffMs: args.retryDelayMs,
        onProgress: (done, total) => bar.update(done, total),
      });
      input = pulled.services;
    } finally {
      bar.stop();
    }
  } else {
    source = args.file!;
    input = await readHsdsSource(args.file!);
  }
  const bundle = validateHsds(input);

  // Into a running partner, through that partner's process: an embedded database has one writer
  // (subgraphs/kit/admin.import.ts). Otherwise open it here; a holder without a URL is refused.
  const owner = cfg.databaseUrl ? null : await readLock(cfg.pgliteDir);
  let result;
  if (owner?.url) {
    result = await importThroughPartner(
      { ...owner, url: owner.url },
      partner,
      input,
      { replace: args.replace, dryRun: args.dryRun, force: args.force },
      importSecret(),
    );
  } else {
    const db = await openDb({
      url: cfg.databaseUrl,
      dataDir: cfg.databaseUrl ? undefined : cfg.pgliteDir,
      migrationDirs: [],
    });
    const bar = progressBar("write", "rows");
    try {
      result = await importHsds(db, bundle, {
        replace: args.replace,
        dryRun: args.dryRun,
        force: args.force,
        allowUnhide: args.allowUnhide,
        onProgress: (done, total) => bar.update(done, total),
      });
    } finally {
      bar.stop();
      await db.close();
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (args.json) {
    console.log(
      JSON.stringify(
        { ...reportJson(result.report), removed: result.removed, dryRun: result.dryRun },
        null,
        2,
      ),
    );
    return;
  }
  const verb = args.dryRun ? "dry run (nothing written) of" : "imported";
  const via = owner?.url ? `, through the running subgraph at ${owner.url}` : "";
  console.log(`${verb} ${source} into ${partner} (${target}${via}) in ${seconds} s`);
  console.log(formatReport(result.report));
  if (args.replace) {
    const what = args.dryRun ? "would remove" : "removed";
    console.log(`--replace ${what} ${result.removed.length} services:`);
    for (const s of result.removed.slice(0, 50)) console.log(`  ${s.id}  ${s.name}`);
    if (result.removed.length > 50) console.log(`  … and ${result.removed.length - 50} more`);
    if (result.forceNeeded)
      console.log(
        `without --dry-run this would be refused: it removes more than ${MAX_REPLACE_SHARE * 100}% of the partner's live services; add --force if that is intended`,
      );
  }
}

main().catch((err: unknown) => {
  // Problems with the input are the user's to fix: say what is wrong, without a stack trace.
  if (err instanceof UsageError) console.error(`import: ${err.message}\n${USAGE}`);
  else if (
    err instanceof HsdsValidationError ||
    err instanceof HsdsFileError ||
    err instanceof FeedError ||
    err instanceof DatabaseInUseError ||
    err instanceof RemoteImportError
  ) {
    const refused =
      err instanceof HsdsValidationError && err.refusedRecords
        ? `\nrefused: ${err.refusedRecords} record${err.refusedRecords === 1 ? "" : "s"}`
        : "";
    console.error(`import: ${err.message}${refused}\nNothing was imported.`);
  } else if (err instanceof UnhideRefusedError) {
    console.error(
      `import: refused: this feed would make ${err.locations.length} confidential location(s) public:`,
    );
    for (const l of err.locations)
      console.error(
        `  ${l.id}${l.name ? `  ${l.name}` : ""}${l.postalCode ? `  ${l.postalCode}` : ""}`,
      );
    console.error(
      "A missing wayfinder.confidential keeps a location's flag; only an explicit false unhides it.\n" +
        "If these places really are public now, re-run with --allow-unhide (the change is audited),\n" +
        "or have a partner admin use the set<Partner>LocationConfidential mutation.\nNothing was imported.",
    );
  } else if (err instanceof ReplaceRefusedError) {
    console.error(`import: ${err.message}\nNothing was imported. Services it would remove:`);
    for (const s of err.removing.slice(0, 20)) console.error(`  ${s.id}  ${s.name}`);
    if (err.removing.length > 20) console.error(`  … and ${err.removing.length - 20} more`);
  } else {
    console.error("import: failed; nothing was imported.");
    console.error(err);
  }
  process.exit(1);
});
