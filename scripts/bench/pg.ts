// PostgreSQL schemas the benches load their partners into ("<url>?schema=<name>", as openDb reads
// them), dropped again when a bench is done.
import pg from "pg";

/** Drops the schema each of `urls` selects, connecting as `adminUrl`. */
export async function dropSchemas(adminUrl: string, urls: Iterable<string>): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    for (const url of urls) {
      const schema = new URL(url).searchParams.get("schema");
      if (schema) await c.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    }
  } finally {
    await c.end();
  }
}
