// Referrals in the web app, in real Chromium against the real stack: a professional refers a child
// from a service page (consent, the child's details, check your answers, a confirmation with a
// reference), the council's admin acknowledges and accepts it in the inbox, and the referrer sees
// it accepted in "My referrals"; "Refer" on a route plan carries the plan; a referral nobody
// acknowledged in time shows as overdue (the referrals' clock is moved, nobody sleeps).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestStack } from "./helpers/stack.ts";
import {
  axeSerious,
  hasBrowser,
  launchBrowser,
  screenshots,
  type Browser,
} from "./helpers/browser.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { CREATE, bornYearsAgo, referralInput } from "./helpers/referrals.ts";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let browser: Browser;
let page: Page;
let base: string;
let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);

beforeAll(async () => {
  if (!hasBrowser) return;
  stack = await startTestStack("pglite", { now });
  base = stack.gatewayUrl.replace(/\/graphql$/, "");
  browser = await launchBrowser();
  page = await browser.context.newPage();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function expectAccessible(name: string) {
  const violations = await axeSerious(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

async function signIn(
  role: "Professional" | "Partner administrator",
  partner?: string,
  pg: Page = page,
) {
  await pg.goto(`${base}/sign-in?returnTo=/`);
  await pg.getByLabel(role, { exact: true }).check();
  if (partner) await pg.selectOption("#partner", partner);
  await pg.click("#sign-in-button");
  await pg.waitForURL(`${base}/`);
}
async function signOut(pg: Page = page) {
  await pg.getByRole("button", { name: "Sign out" }).click();
  await pg.waitForURL(`${base}/`);
}
/** Types a date into the GOV.UK date-input boxes `<name>-day`, `-month`, `-year`. */
async function fillDate(name: string, iso: string | { day: string; month: string; year: string }) {
  const parts =
    typeof iso === "string"
      ? {
          day: String(Number(iso.slice(8, 10))),
          month: String(Number(iso.slice(5, 7))),
          year: iso.slice(0, 4),
        }
      : iso;
  await page.fill(`#${name}-day`, parts.day);
  await page.fill(`#${name}-month`, parts.month);
  await page.fill(`#${name}-year`, parts.year);
}

describe.skipIf(!hasBrowser)("referrals in the web app", () => {
  it("sends a referral from a service page, the council's admin accepts it, and the referrer sees it accepted", async () => {
    const service = `${base}/services/${encodeURIComponent("council:fh-norwich")}`;
    // Signed out there is no "Refer".
    await page.goto(service);
    expect(await page.locator("#refer-button").count()).toBe(0);

    await signIn("Professional");
    await page.goto(service);
    await page.click("#refer-button");
    await page.waitForURL(/\/refer\/consent$/);
    expect(await page.locator("h1").innerText()).toBe("Has the family agreed to this referral?");
    // Consent first: continuing without it names what is missing.
    await page.click("#continue-button");
    expect(await page.locator(".govuk-error-summary").innerText()).toContain(
      "Confirm the family has agreed",
    );
    await expectAccessible("refer consent error");
    await page.getByLabel("The family has agreed to this referral").check();
    await page.fill("#givenBy", "Mother");
    await fillDate("givenAt", new Date().toISOString().slice(0, 10));
    await page.fill("#sharing", "Details shared with the family hub only");
    await page.click("#continue-button");
    await page.waitForURL(/\/refer\/child$/);
    await expectAccessible("refer child");
    await page.fill("#childName", "Maisie Webtest");
    // A date that cannot be: refused with GOV.UK's message, and nothing else typed is lost.
    await fillDate("dateOfBirth", { day: "31", month: "2", year: "2019" });
    await page.fill("#postcode", "NR2 4AB");
    await page.getByRole("checkbox", { name: "Parenting support" }).check();
    await page.fill("#reason", "Family under strain after a bereavement.");
    await page.fill("#referrerName", "Dan Teacher");
    await page.fill("#referrerEmail", "dan@school.example");
    await page.click("#continue-button");
    await page.waitForURL(/\/refer\/child$/);
    const summary = page.locator(".govuk-error-summary");
    expect(await summary.innerText()).toContain("Date of birth must be a real date");
    expect(await summary.locator("a").getAttribute("href")).toBe("#dateOfBirth-day");
    expect(await page.locator("#dateOfBirth-error").innerText()).toContain(
      "Date of birth must be a real date",
    );
    expect(
      await page
        .locator("#dateOfBirth-day, #dateOfBirth-month, #dateOfBirth-year")
        .evaluateAll((els) =>
          els.map((e) => [
            (e as HTMLInputElement).value,
            e.classList.contains("govuk-input--error"),
          ]),
        ),
    ).toEqual([
      ["31", true],
      ["2", true],
      ["2019", true],
    ]);
    expect(await page.inputValue("#childName")).toBe("Maisie Webtest");
    expect(await page.inputValue("#postcode")).toBe("NR2 4AB");
    expect(await page.inputValue("#reason")).toBe("Family under strain after a bereavement.");
    expect(await page.inputValue("#referrerEmail")).toBe("dan@school.example");
    expect(await page.getByRole("checkbox", { name: "Parenting support" }).isChecked()).toBe(true);
    await expectAccessible("refer child, invalid date");
    await screenshots(page, "refer-child-invalid-date");
    // A missing part is named, and only its box is marked.
    await fillDate("dateOfBirth", { day: "2", month: "", year: "2019" });
    await page.click("#continue-button");
    expect(await summary.innerText()).toContain("Date of birth must include a month");
    expect(await summary.locator("a").getAttribute("href")).toBe("#dateOfBirth-month");
    expect(
      await page
        .locator(".govuk-date-input .govuk-input--error")
        .evaluateAll((els) => els.map((e) => e.id)),
    ).toEqual(["dateOfBirth-month"]);
    await fillDate("dateOfBirth", bornYearsAgo(new Date(), 6));
    await page.click("#continue-button");
    await page.waitForURL(/\/refer\/check$/);
    expect(await page.locator("[data-testid=check-child]").innerText()).toContain("Maisie Webtest");
    await expectAccessible("refer check");
    await screenshots(page, "refer-check");
    // Nothing about the child has been in an address.
    expect(browser.requests.some((u) => u.includes("Maisie") || u.includes("NR2"))).toBe(false);
    await page.click("#send-button");
    await page.waitForURL(/\/refer\/done$/);
    const reference = (await page.locator("[data-testid=reference]").innerText()).trim();
    expect(reference).toMatch(/^R-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await expectAccessible("refer done");
    await screenshots(page, "refer-done");
    // Stored by the council, and only there.
    const rows = await stack.dbs.council!.query<{ id: string }>(
      `SELECT id FROM referral WHERE id = $1`,
      [reference],
    );
    expect(rows).toHaveLength(1);

    await page.getByRole("link", { name: "My referrals" }).first().click();
    const mine = page.locator(`[data-reference="${reference}"]`);
    expect(await mine.innerText()).toContain("Sent");
    await signOut();

    await signIn("Partner administrator", "COUNCIL");
    await page.getByRole("link", { name: "Referral inbox" }).click();
    await page.waitForURL(/\/referrals\/inbox$/);
    const row = page.locator(`[data-reference="${reference}"]`);
    expect(await row.innerText()).toContain("Maisie Webtest");
    await expectAccessible("inbox");
    await screenshots(page, "referral-inbox");
    await row.getByRole("button", { name: /Acknowledge/ }).click();
    await page.waitForURL(/\/referrals\/inbox$/);
    expect(await page.locator(`[data-reference="${reference}"]`).innerText()).toContain(
      "Acknowledged",
    );
    await page
      .locator(`[data-reference="${reference}"]`)
      .getByRole("button", { name: /^Accept/ })
      .click();
    await page.waitForURL(/\/referrals\/inbox$/);
    expect(await page.locator(`[data-reference="${reference}"]`).innerText()).toContain("Accepted");
    await signOut();

    // The charity's admin does not see it.
    await signIn("Partner administrator", "CHARITY");
    await page.goto(`${base}/referrals/inbox`);
    expect(await page.locator(`[data-reference="${reference}"]`).count()).toBe(0);
    await signOut();

    await signIn("Professional");
    await page.goto(`${base}/referrals/mine`);
    expect(await page.locator(`[data-reference="${reference}"]`).innerText()).toContain("Accepted");
    await screenshots(page, "my-referrals");
    await signOut();
  });

  it("declines with a reason and a suggested service, asks for more information, and the referrer answers: plain forms, without JavaScript", async () => {
    const token = await mintDevToken({ role: "professional", sub: "dev-web-professional" });
    const send = async (name: string) => {
      const res = await fetch(stack.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: CREATE,
          variables: {
            input: referralInput(now(), {
              child: { name, dateOfBirth: bornYearsAgo(now(), 7), postcode: "NR2 4AB" },
            }),
          },
        }),
      });
      const body = (await res.json()) as any;
      expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
      return body.data.createReferral as { id: string; reference: string };
    };
    const declined = await send("Dora Declined");
    const asked = await send("Ivo Info");

    let chosen: string | undefined;
    const noJs = await launchBrowser({ javaScriptEnabled: false });
    try {
      const p = await noJs.context.newPage();
      // A step that cannot happen fails with its own message, long before the test's deadline.
      p.setDefaultTimeout(60_000);
      // axe needs the page's own JavaScript (its timers), so each page as this browser got it is
      // checked in the JavaScript-enabled one, on the same origin (same styles, same DOM).
      const accessible = async (name: string) => {
        const html = await p.content();
        await page.goto(`${base}/`);
        await page.setContent(html);
        await expectAccessible(name);
      };
      await signIn("Partner administrator", "COUNCIL", p);
      await p.goto(`${base}/referrals/inbox`);
      expect(await p.evaluate(() => document.body.className)).not.toContain("js-enabled");
      for (const r of [declined, asked]) {
        await p
          .locator(`[data-reference="${r.reference}"]`)
          .getByRole("button", { name: /Acknowledge/ })
          .click();
        await p.waitForURL(/\/referrals\/inbox$/);
      }

      // Decline: the reason is required; a suggested service and an explanation go with it.
      await p
        .locator(`[data-reference="${declined.reference}"]`)
        .getByRole("link", { name: /^Decline/ })
        .click();
      await p.waitForURL(/\/referrals\/inbox\/decline\?id=/);
      expect(await p.locator("h1").innerText()).toBe("Decline this referral");
      expect(await p.locator("[data-testid=referral-summary]").innerText()).toContain(
        "Dora Declined",
      );
      await p.fill("#note", "We are full until March.");
      await p.click("#decline-button");
      expect(await p.locator(".govuk-error-summary").innerText()).toContain(
        "Select why you are declining the referral",
      );
      expect(await p.locator(".govuk-error-summary a").getAttribute("href")).toBe("#declineReason");
      expect(await p.inputValue("#note")).toBe("We are full until March.");
      await accessible("decline, no reason");
      await p.getByLabel("The service cannot take more children now").check();
      const options = await p
        .locator("#alternative option")
        .evaluateAll((els) =>
          els.map((e) => [(e as HTMLOptionElement).value, e.textContent!.trim()]),
        );
      const [altId, altName] = options.find(([v]) => v)!;
      expect(altId).not.toBe("council:fh-norwich");
      chosen = altId!;
      await p.selectOption("#alternative", altId!);
      await accessible("decline");
      await screenshots(p, "referral-decline");
      await p.click("#decline-button");
      await p.waitForURL(/\/referrals\/inbox$/);
      expect(await p.locator(`[data-reference="${declined.reference}"]`).innerText()).toContain(
        "Declined",
      );
      // Closing records the outcome the admin chooses.
      const closing = p.locator(`[data-reference="${declined.reference}"]`);
      await closing.getByLabel("Outcome").selectOption("REFERRED_ELSEWHERE");
      await closing.getByRole("button", { name: /^Close/ }).click();
      await p.waitForURL(/\/referrals\/inbox$/);
      expect(await p.locator(`[data-reference="${declined.reference}"]`).innerText()).toContain(
        "Closed",
      );

      // Ask for more information: what is needed must be said.
      await p
        .locator(`[data-reference="${asked.reference}"]`)
        .getByRole("link", { name: /^Ask for more information/ })
        .click();
      await p.waitForURL(/\/referrals\/inbox\/more-info\?id=/);
      await p.click("#more-info-button");
      expect(await p.locator(".govuk-error-summary").innerText()).toContain(
        "Enter what you need to know",
      );
      await accessible("more information, empty");
      await p.fill("#note", "Does the family already have a social worker?");
      await screenshots(p, "referral-more-info");
      await p.click("#more-info-button");
      await p.waitForURL(/\/referrals\/inbox$/);
      expect(await p.locator(`[data-reference="${asked.reference}"]`).innerText()).toContain(
        "More information requested",
      );
      await signOut(p);

      // The referrer sees why, and the service suggested instead; and answers the question.
      await signIn("Professional", undefined, p);
      await p.goto(`${base}/referrals/mine`);
      const dRow = await p.locator(`[data-reference="${declined.reference}"]`).innerText();
      expect(dRow).toContain("Closed");
      expect(dRow).toContain("The service cannot take more children now");
      expect(dRow).toContain(`Suggested instead: ${altName}`);
      await p
        .locator(`[data-reference="${asked.reference}"]`)
        .getByRole("link", { name: /^Answer the request/ })
        .click();
      await p.waitForURL(/\/referrals\/answer\?id=/);
      expect(await p.locator("[data-testid=question]").innerText()).toBe(
        "Does the family already have a social worker?",
      );
      await p.click("#answer-button");
      expect(await p.locator(".govuk-error-summary").innerText()).toContain(
        "Enter the information the service asked for",
      );
      await accessible("answer, empty");
      await p.fill("#information", "No social worker; the school nurse is involved.");
      await screenshots(p, "referral-answer");
      await p.click("#answer-button");
      await p.waitForURL(/\/referrals\/mine$/);
      expect(await p.locator(`[data-reference="${asked.reference}"]`).innerText()).toContain(
        "Acknowledged",
      );
      await signOut(p);
    } finally {
      await noJs.close();
    }

    // What the forms sent is what the partner stored.
    const admin = await mintDevToken({
      role: "partner-admin",
      partner: "council",
      sub: "alice@norfolk.example",
    });
    const read = async (id: string) => {
      const res = await fetch(stack.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({
          query: `query R($id: ID!) { referral(id: $id) { status declineReason outcome suggestedAlternative { id } history { to note } } }`,
          variables: { id },
        }),
      });
      return ((await res.json()) as any).data.referral;
    };
    const d = await read(declined.id);
    expect(d).toMatchObject({
      status: "CLOSED",
      declineReason: "NO_CAPACITY",
      outcome: "REFERRED_ELSEWHERE",
    });
    expect(d.suggestedAlternative.id).toBe(chosen);
    expect(d.history.at(-2)).toEqual({ to: "DECLINED", note: "We are full until March." });
    const a = await read(asked.id);
    expect(a.history.slice(-2)).toEqual([
      { to: "MORE_INFO_REQUESTED", note: "Does the family already have a social worker?" },
      { to: "ACKNOWLEDGED", note: "No social worker; the school nurse is involved." },
    ]);
  });

  it("offers Refer on each service of a route plan, carrying the plan", async () => {
    await signIn("Professional");
    await page.goto(`${base}/route`);
    await page.fill("#age", "9");
    await page.getByLabel("Mental health and emotional wellbeing").check();
    await page.fill("#postcode", "NR2 4AB");
    await page.click("#make-plan");
    await page.locator("#plan").waitFor();
    const refer = page.getByRole("button", { name: /^Refer to CAMHS Getting Help/ }).first();
    await refer.click();
    await page.waitForURL(/\/refer\/consent$/);
    expect(await page.locator(".govuk-caption-l").innerText()).toContain("CAMHS Getting Help");
    await signOut();
  });

  it("shows a referral nobody acknowledged in time as overdue, to the referrer", async () => {
    // The web app's development professional is "dev-web-professional": send one as them through the API.
    const token = await mintDevToken({ role: "professional", sub: "dev-web-professional" });
    const input = referralInput(now(), {
      serviceId: "health:camhs-norwich",
      needs: ["MENTAL_HEALTH"],
      child: { name: "Olly Overdue", dateOfBirth: bornYearsAgo(now(), 10), postcode: "NR7 0HT" },
    });
    const res = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: CREATE, variables: { input } }),
    });
    const body = (await res.json()) as any;
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    const reference = body.data.createReferral.reference;
    offsetMs += 6 * 86_400_000;
    try {
      await signIn("Professional");
      await page.goto(`${base}/referrals/mine`);
      const row = page.locator(`[data-reference="${reference}"]`);
      expect(await row.innerText()).toContain("Overdue");
      await expectAccessible("my referrals overdue");
      await screenshots(page, "my-referrals-overdue");
      // Commissioners see it counted as overdue in referral health, reached from coverage.
      await page.goto(`${base}/coverage?area=E10000020`);
      await page.click("[data-testid=referral-health-link]");
      await page.waitForURL(/\/referral-health\?area=E10000020$/);
      const camhs = page.locator("[data-testid=referral-health] tr", {
        hasText: "CAMHS Getting Help",
      });
      const cells = await camhs.locator("td").allInnerTexts();
      expect(cells.at(-1)?.trim()).toBe("1");
      expect(await page.locator("[data-testid=referral-health]").innerText()).not.toContain("Olly");
      await expectAccessible("referral health");
      await screenshots(page, "referral-health");
      await signOut();
    } finally {
      offsetMs -= 6 * 86_400_000;
    }
  });
});
