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

async function signIn(role: "Professional" | "Partner administrator", partner?: string) {
  await page.goto(`${base}/sign-in?returnTo=/`);
  await page.getByLabel(role, { exact: true }).check();
  if (partner) await page.selectOption("#partner", partner);
  await page.click("#sign-in-button");
  await page.waitForURL(`${base}/`);
}
async function signOut() {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${base}/`);
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
    await page.fill("#givenAt", new Date().toISOString().slice(0, 10));
    await page.fill("#sharing", "Details shared with the family hub only");
    await page.click("#continue-button");
    await page.waitForURL(/\/refer\/child$/);
    await expectAccessible("refer child");
    await page.fill("#childName", "Maisie Webtest");
    await page.fill("#dateOfBirth", bornYearsAgo(new Date(), 6));
    await page.fill("#postcode", "NR2 4AB");
    await page.getByRole("checkbox", { name: "Parenting support" }).check();
    await page.fill("#reason", "Family under strain after a bereavement.");
    await page.fill("#referrerName", "Dan Teacher");
    await page.fill("#referrerEmail", "dan@school.example");
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
