// The GOV.UK date-input pattern (design-system.service.gov.uk/components/date-input): three boxes,
// day, month and year, read into one calendar date with the design system's error messages, and
// highlighting only the boxes at fault (all three when the date as a whole cannot be right).
export type DatePart = "day" | "month" | "year";
export type DateParts = Record<DatePart, string>;

export interface DateRead {
  /** What was typed, as typed (trimmed): shown back on an error so nothing is lost. */
  parts: DateParts;
  /** YYYY-MM-DD when the date is valid. */
  iso: string | null;
  error: { text: string; parts: DatePart[] } | null;
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/** A month as a number, a name or its first three letters ("3", "03", "Mar", "March"). */
function monthNumber(v: string): number | null {
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const name = v.toLowerCase();
  const i = MONTHS.findIndex((m) => m === name || (name.length >= 3 && m.startsWith(name)));
  return i < 0 ? null : i + 1;
}

const listParts = (parts: DatePart[]) =>
  parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;

/**
 * Reads `<name>-day`, `<name>-month`, `<name>-year` from a form. `label` starts the messages
 * ("Date of birth must be a real date"); `enter` is the message for an empty date.
 */
export function readDateInput(
  form: URLSearchParams | undefined,
  name: string,
  opts: { label: string; enter: string; notAfter?: Date },
): DateRead {
  const parts: DateParts = {
    day: (form?.get(`${name}-day`) ?? "").trim(),
    month: (form?.get(`${name}-month`) ?? "").trim(),
    year: (form?.get(`${name}-year`) ?? "").trim(),
  };
  const fail = (text: string, at: DatePart[]): DateRead => ({
    parts,
    iso: null,
    error: { text, parts: at },
  });
  const missing = (["day", "month", "year"] as const).filter((p) => !parts[p]);
  if (missing.length === 3) return fail(opts.enter, ["day", "month", "year"]);
  if (missing.length) return fail(`${opts.label} must include a ${listParts(missing)}`, missing);
  if (!/^\d{4}$/.test(parts.year)) return fail("Year must include 4 numbers", ["year"]);
  const month = monthNumber(parts.month);
  const day = /^\d{1,2}$/.test(parts.day) ? Number(parts.day) : null;
  const year = Number(parts.year);
  const date = day && month ? new Date(Date.UTC(year, month - 1, day)) : null;
  if (
    !date ||
    !month ||
    month > 12 ||
    date.getUTCDate() !== day ||
    date.getUTCMonth() !== month - 1 ||
    year < 1900
  ) {
    const wrong: DatePart[] =
      day === null || day < 1 || day > 31
        ? ["day"]
        : !month || month > 12
          ? ["month"]
          : ["day", "month", "year"];
    return fail(`${opts.label} must be a real date`, wrong);
  }
  const iso = date.toISOString().slice(0, 10);
  if (opts.notAfter && iso > opts.notAfter.toISOString().slice(0, 10))
    return fail(`${opts.label} must be today or in the past`, ["day", "month", "year"]);
  return { parts, iso, error: null };
}

/** The boxes for a stored YYYY-MM-DD date (or empty ones). */
export function partsOf(iso: string | null | undefined): DateParts {
  const m = iso ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso) : null;
  return m
    ? { day: String(Number(m[3])), month: String(Number(m[2])), year: m[1]! }
    : { day: "", month: "", year: "" };
}

/** govukDateInput `items` and `errorMessage` for the boxes. */
export function dateInputView(parts: DateParts, error: DateRead["error"]) {
  return {
    errorMessage: error ? { text: error.text } : undefined,
    items: (["day", "month", "year"] as const).map((p) => ({
      name: p,
      value: parts[p],
      classes: `govuk-input--width-${p === "year" ? 4 : 2}${error?.parts.includes(p) ? " govuk-input--error" : ""}`,
    })),
  };
}

/** The box an error summary link moves focus to: the first one at fault. */
export const dateAnchor = (name: string, error: NonNullable<DateRead["error"]>) =>
  `${name}-${error.parts[0]}`;
