// PostgreSQL for tests: used whenever one is reachable; mandatory when WAYFINDER_REQUIRE_POSTGRES=1
// (set by .ci/run, whose machine has PostgreSQL), skipped otherwise.
import pg from "pg";

export const POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const required = process.env.WAYFINDER_REQUIRE_POSTGRES === "1";

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (err) {
    if (required)
      throw new Error(
        `PostgreSQL is required (WAYFINDER_REQUIRE_POSTGRES=1) but ${POSTGRES_URL} is unreachable: ${String(err)}`,
        { cause: err },
      );
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Resolved once per test file: true when the PostgreSQL tests should run. */
export const hasPostgres: boolean = await reachable();

/** A URL selecting a fresh schema, so parallel test files never see each other's rows. */
export function freshSchemaUrl(prefix: string): string {
  const schema = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  return `${POSTGRES_URL}?schema=${schema}`;
}

export async function dropSchemaOf(url: string): Promise<void> {
  const schema = new URL(url).searchParams.get("schema");
  if (!schema) return;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
