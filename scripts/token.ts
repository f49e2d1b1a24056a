// npm run token -- --role professional | --role partner-admin --partner council [--sub name] [--ttl 8h]
// Mints a development token against the dev key that `npm start` trusts. Refused in production.
import { mintDevToken } from "../gateway/auth.ts";
import { isPartnerId } from "../schema/vocabulary.ts";
import { tokenConfig } from "./config.ts";

const cfg = tokenConfig();

const args = process.argv.slice(2);
const get = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const role = get("role");
const partner = get("partner");
if (role !== "professional" && role !== "partner-admin") {
  console.error(
    "usage: npm run token -- --role professional|partner-admin [--partner council|charity|health] [--sub name] [--ttl 8h]",
  );
  process.exit(2);
}
if (role === "partner-admin" && (!partner || !isPartnerId(partner))) {
  console.error("--role partner-admin needs --partner council, charity or health");
  process.exit(2);
}
try {
  console.log(
    await mintDevToken({
      role,
      partner,
      sub: get("sub"),
      ttl: get("ttl"),
      production: cfg.production,
    }),
  );
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
