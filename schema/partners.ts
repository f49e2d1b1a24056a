// The partner registry: every partner described by its manifest (subgraphs/<id>/partner.json),
// collected into schema/partners.json by `npm run schema:compose` (like the committed SDL), so the
// gateway, the directory and every partner read one list without importing subgraphs/.
export interface PartnerManifest {
  /** Lower-case id: the partner's folder, its `Partner` enum value (upper-cased), ids' prefix. */
  id: string;
  /** Prefix of this partner's GraphQL type names: CouncilService, CouncilOrganization … */
  typePrefix: string;
  label: string;
  description: string;
  /** Default port of its subgraph (<ID>_PORT overrides). */
  port: number;
  /** Lead-agency tie-break: on equal coverage the lowest number leads. */
  leadPriority: number;
  /** Hours a service of this partner has to acknowledge a referral, unless the service says (default 72). */
  referralResponseHours?: number;
}

export class PartnerManifestError extends Error {
  override name = "PartnerManifestError";
}

export const PARTNER_ID = /^[a-z][a-z0-9]{1,30}$/;
const TYPE_PREFIX = /^[A-Z][A-Za-z0-9]{1,30}$/;

/** Checks one manifest; `source` names it in errors. */
export function parsePartnerManifest(value: unknown, source: string): PartnerManifest {
  const m = value as Record<string, unknown>;
  const fail = (why: string): never => {
    throw new PartnerManifestError(`${source}: ${why}`);
  };
  if (!m || typeof m !== "object" || Array.isArray(m)) fail("must be a JSON object");
  if (typeof m.id !== "string" || !PARTNER_ID.test(m.id))
    fail(`id must match ${PARTNER_ID} (got ${JSON.stringify(m.id)})`);
  if (typeof m.typePrefix !== "string" || !TYPE_PREFIX.test(m.typePrefix))
    fail(`typePrefix must match ${TYPE_PREFIX}`);
  for (const k of ["label", "description"] as const)
    if (typeof m[k] !== "string" || !m[k]) fail(`${k} must be a non-empty string`);
  if (!Number.isInteger(m.port) || (m.port as number) < 1 || (m.port as number) > 65535)
    fail("port must be a port number");
  if (!Number.isInteger(m.leadPriority)) fail("leadPriority must be an integer");
  if (
    m.referralResponseHours !== undefined &&
    (!Number.isInteger(m.referralResponseHours) || (m.referralResponseHours as number) < 1)
  ) {
    fail("referralResponseHours must be a whole number of hours from 1");
  }
  return {
    id: m.id as string,
    typePrefix: m.typePrefix as string,
    label: m.label as string,
    description: m.description as string,
    port: m.port as number,
    leadPriority: m.leadPriority as number,
    ...(m.referralResponseHours !== undefined
      ? { referralResponseHours: m.referralResponseHours as number }
      : {}),
  };
}

/** Checks a whole registry: ids, type prefixes, ports and priorities are unique; ordered by port. */
export function checkRegistry(manifests: PartnerManifest[]): PartnerManifest[] {
  for (const key of ["id", "typePrefix", "port", "leadPriority"] as const) {
    const seen = new Map<unknown, string>();
    for (const m of manifests) {
      const other = seen.get(m[key]);
      if (other)
        throw new PartnerManifestError(
          `partners ${other} and ${m.id} have the same ${key} (${m[key]})`,
        );
      seen.set(m[key], m.id);
    }
  }
  return [...manifests].sort((a, b) => a.port - b.port);
}
