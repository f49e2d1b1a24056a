// Words for the small enums professionals see. Needs come from the API's own vocabulary (`needs`);
// these enums have no label query, so their wording lives here, next to the pages that use it.
export const PARTNER_LABELS: Record<string, string> = {
  COUNCIL: "Council",
  CHARITY: "Charity",
  HEALTH: "NHS",
};
export const AGE_BAND_LABELS: Record<string, string> = {
  EARLY_YEARS: "0 to 4",
  PRIMARY: "5 to 11",
  SECONDARY: "12 to 15",
  POST_16: "16 to 18",
  YOUNG_ADULT: "19 to 25",
};
export const REFERRAL_LABELS: Record<string, string> = {
  SELF: "Self-referral by the young person",
  PARENT: "Parent or carer",
  PROFESSIONAL: "Any professional",
  GP: "GP",
  SCHOOL: "School or setting",
  SOCIAL_WORKER: "Social worker",
};
export const DELIVERY_LABELS: Record<string, string> = {
  IN_PERSON: "In person",
  ONLINE: "Online",
  TELEPHONE: "By telephone",
  HOME_VISIT: "Home visits",
};
export const DAY_LABELS: Record<string, string> = {
  MO: "Monday",
  TU: "Tuesday",
  WE: "Wednesday",
  TH: "Thursday",
  FR: "Friday",
  SA: "Saturday",
  SU: "Sunday",
};
export const STATUS_LABELS: Record<string, string> = {
  COVERED: "Covered",
  AT_RISK: "At risk",
  GAP: "Gap",
  UNKNOWN: "Not checked",
};
export const SORT_LABELS: Record<string, string> = {
  RELEVANCE: "Best match",
  DISTANCE: "Nearest",
  WAIT: "Shortest wait",
  NAME: "Name",
};
export const COST_LABELS: Record<string, string> = { free: "Free", paid: "Paid" };

const languageNames = new Intl.DisplayNames(["en-GB"], { type: "language" });
export function languageLabel(code: string): string {
  try {
    return languageNames.of(code) ?? code;
  } catch {
    return code;
  }
}

export function partnerLabel(p: string | null | undefined): string {
  return p ? (PARTNER_LABELS[p.toUpperCase()] ?? p) : "";
}
