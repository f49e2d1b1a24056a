// The GOV.UK date input's reading and its design-system error messages.
import { describe, expect, it } from "vitest";
import { readDateInput } from "./pages/date-input.ts";

const read = (day: string, month: string, year: string, notAfter = new Date("2026-12-07")) =>
  readDateInput(
    new URLSearchParams({ "dob-day": day, "dob-month": month, "dob-year": year }),
    "dob",
    { label: "Date of birth", enter: "Enter the child's date of birth", notAfter },
  );

describe("readDateInput", () => {
  it("reads a real date, with the month as a number or a name", () => {
    expect(read("2", "5", "2018")).toMatchObject({ iso: "2018-05-02", error: null });
    expect(read(" 02 ", "05", "2018").iso).toBe("2018-05-02");
    expect(read("29", "Feb", "2020").iso).toBe("2020-02-29");
    expect(read("1", "december", "2019").iso).toBe("2019-12-01");
  });

  it("asks for a date that is missing, naming the missing parts and marking only those", () => {
    expect(read("", "", "").error).toEqual({
      text: "Enter the child's date of birth",
      parts: ["day", "month", "year"],
    });
    expect(read("2", "", "2019").error).toEqual({
      text: "Date of birth must include a month",
      parts: ["month"],
    });
    expect(read("", "3", "").error).toEqual({
      text: "Date of birth must include a day and year",
      parts: ["day", "year"],
    });
  });

  it("refuses a date that cannot be, a short year and a date in the future, keeping what was typed", () => {
    expect(read("31", "2", "2019")).toEqual({
      parts: { day: "31", month: "2", year: "2019" },
      iso: null,
      error: { text: "Date of birth must be a real date", parts: ["day", "month", "year"] },
    });
    expect(read("29", "2", "2019").error?.text).toBe("Date of birth must be a real date");
    expect(read("40", "1", "2019").error).toEqual({
      text: "Date of birth must be a real date",
      parts: ["day"],
    });
    expect(read("4", "13", "2019").error?.parts).toEqual(["month"]);
    expect(read("4", "Smarch", "2019").error?.parts).toEqual(["month"]);
    expect(read("4", "3", "19").error).toEqual({
      text: "Year must include 4 numbers",
      parts: ["year"],
    });
    expect(read("8", "12", "2026").error?.text).toBe("Date of birth must be today or in the past");
    expect(read("7", "12", "2026").iso).toBe("2026-12-07");
  });
});
