// What every page shares: form errors in the GOV.UK error-summary shape, API errors mapped to the
// form field they name, the offline-partner banner, and safe highlight HTML.
import type { GqlError } from "../gql.ts";
import { offlinePartnersIn } from "../gql.ts";
import { partnerLabel } from "../labels.ts";

export interface FieldError {
  /** Id of the input the error is about, so the summary link moves focus to it. */
  field?: string;
  text: string;
}

export class Errors {
  readonly list: FieldError[] = [];
  add(field: string | undefined, text: string) {
    if (!this.list.some((e) => e.field === field && e.text === text))
      this.list.push({ field, text });
  }
  get any() {
    return this.list.length > 0;
  }
  /** GOV.UK errorSummary errorList items. */
  summary() {
    return this.list.map((e) =>
      e.field ? { text: e.text, href: `#${e.field}` } : { text: e.text },
    );
  }
  /** errorMessage for each field, for the component macros. */
  byField(): Record<string, { text: string }> {
    const out: Record<string, { text: string }> = {};
    for (const e of this.list) if (e.field && !out[e.field]) out[e.field] = { text: e.text };
    return out;
  }
}

/**
 * Adds the API's input errors to the form. `fields` maps the API's `extensions.field` path (e.g.
 * "near.postcode") to the form input id; unmapped paths fall back to their last segment's mapping.
 */
export function addApiErrors(
  errors: Errors,
  apiErrors: GqlError[],
  fields: Record<string, string>,
): boolean {
  let added = false;
  for (const e of apiErrors) {
    if (
      e.extensions?.code !== "BAD_USER_INPUT" &&
      e.extensions?.code !== "GRAPHQL_VALIDATION_FAILED"
    )
      continue;
    const path = e.extensions?.field;
    const field = path ? (fields[path] ?? fields[path.split(".").pop()!]) : undefined;
    errors.add(field, sentence(e.message));
    added = true;
  }
  return added;
}

/** Errors that are neither input errors nor a partner being offline: the page cannot be trusted. */
export function otherErrors(apiErrors: GqlError[]): GqlError[] {
  return apiErrors.filter(
    (e) =>
      !["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "PARTNER_UNAVAILABLE"].includes(
        String(e.extensions?.code),
      ),
  );
}

export function sentence(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** Partners the page could not hear from, named for the banner. */
export function offlineBanner(
  apiErrors: GqlError[],
  more: string[] = [],
): { partners: string[]; names: string } | null {
  const partners = [
    ...new Set([...offlinePartnersIn(apiErrors), ...more.map((p) => p.toLowerCase())]),
  ];
  if (!partners.length) return null;
  const labels = partners.map((p) => `${partnerLabel(p)} (${p})`);
  const names =
    labels.length === 1 ? labels[0]! : `${labels.slice(0, -1).join(", ")} and ${labels.at(-1)}`;
  return { partners, names };
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** The API's highlight, re-escaped here so only <mark> survives whatever the index held. */
export function safeHighlight(html: string | null | undefined): string | null {
  if (!html) return null;
  const text = html
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
  return escapeHtml(text)
    .replace(/&lt;mark&gt;/g, "<mark>")
    .replace(/&lt;\/mark&gt;/g, "</mark>");
}

export function ageText(
  r: { minimumAge?: number | null; maximumAge?: number | null } | null | undefined,
): string {
  if (!r) return "";
  const lo = r.minimumAge ?? 0;
  if (r.maximumAge == null) return lo === 0 ? "All ages" : `${lo} and over`;
  return lo === 0 ? `Birth to ${r.maximumAge}` : `${lo} to ${r.maximumAge}`;
}

export const NEEDS_QUERY = /* GraphQL */ `needs { code label group }`;
export type NeedInfo = { code: string; label: string; group: string };

export function groupNeeds(needs: NeedInfo[]): { group: string; needs: NeedInfo[] }[] {
  const groups = new Map<string, NeedInfo[]>();
  for (const n of needs) groups.set(n.group, [...(groups.get(n.group) ?? []), n]);
  return [...groups].map(([group, list]) => ({ group, needs: list }));
}
