// The web app in real Chromium against the real stack: search with filters and paging, a service
// page, routing a child (a gap shown, keyboard only, printed), coverage for a real area, sign-in
// revealing a professional-only field, axe on every page, a partner stopped mid-test shown as
// offline, and no request leaving 127.0.0.1. Screenshots go to test-results/screenshots.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { eventually, gql, startTestStack } from "./helpers/stack.ts";
import {
  axeSerious,
  hasBrowser,
  launchBrowser,
  screenshots,
  tabTo,
  SCREENSHOT_DIR,
  type Browser,
} from "./helpers/browser.ts";
import { NEWPORT, NORFOLK } from "./fixtures/dataset.ts";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let browser: Browser;
let page: Page;
let base: string;

beforeAll(async () => {
  if (!hasBrowser) return;
  stack = await startTestStack("pglite");
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
const text = (selector: string) => page.locator(selector).innerText();

describe.skipIf(!hasBrowser)("web app in Chromium", () => {
  it("searches with filters and facet counts, and pages through the results", async () => {
    await page.goto(`${base}/`);
    expect(await text("#result-count")).toMatch(/^12 services\s+page 1 of 2$/);
    expect(await page.locator("[data-testid=result]").count()).toBe(10);
    const firstPage = await page.locator("[data-testid=result] h3").allInnerTexts();
    await expectAccessible("search");
    await screenshots(page, "search");

    // Paging forward and back by cursor.
    await page.getByRole("link", { name: /Next/ }).click();
    expect(await text("#result-count")).toMatch(/page 2 of 2/);
    const secondPage = await page.locator("[data-testid=result] h3").allInnerTexts();
    expect(secondPage).toHaveLength(2);
    expect(secondPage.some((n) => firstPage.includes(n))).toBe(false);
    await page.getByRole("link", { name: /Previous/ }).click();
    expect(await page.locator("[data-testid=result] h3").allInnerTexts()).toEqual(firstPage);

    // A facet count beside the filter is the number of results the filter gives.
    const label = page.locator("label.govuk-checkboxes__label", {
      hasText: "Mental health and emotional wellbeing (",
    });
    const facet = Number(/\((\d+)\)/.exec(await label.innerText())![1]);
    expect(facet).toBe(4);
    await page
      .getByRole("checkbox", { name: /^Mental health and emotional wellbeing \(\d+\)$/ })
      .check();
    await page.getByRole("checkbox", { name: /^NHS \(\d+\)$/ }).check();
    await page.locator("#apply-filters").click();
    expect(page.url()).toContain("need=MENTAL_HEALTH");
    expect(await text("#result-count")).toBe("2 services");
    for (const p of await page.locator("[data-testid=partner]").allInnerTexts())
      expect(p).toBe("NHS");

    // A postcode searches a radius and shows distances, nearest first.
    await page.goto(`${base}/`);
    await page.fill("#where", "NR2 4AB");
    await page.selectOption("#radius", "5");
    await page.selectOption("#sort", "DISTANCE");
    await page.click("#search-button");
    const distances = (await page.locator("[data-testid=distance]").allInnerTexts()).map((d) =>
      parseFloat(d),
    );
    expect(distances.length).toBeGreaterThan(1);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(Math.max(...distances)).toBeLessThanOrEqual(5);
    await expectAccessible("search by postcode");
  });

  it("finds a service by place name and opens its page", async () => {
    await page.goto(`${base}/`);
    await page.fill("#q", "norwich family hub");
    await page.press("#q", "Enter");
    await page.waitForURL(/q=norwich/);
    const first = page.locator("[data-testid=result] h3 a").first();
    expect(await first.innerText()).toBe("Norwich Family Hub");
    await first.click();
    await page.waitForURL(/\/services\/council%3Afh-norwich$/);
    expect(await text("h1")).toBe("Norwich Family Hub");
    expect(await text(".govuk-summary-list")).toContain("Birth to 11");
    expect(await text(".govuk-summary-list")).toContain("Parenting support");
    await expectAccessible("service");
    await screenshots(page, "service");

    // A refuge shows its area only, never its address, to the public.
    await page.goto(`${base}/services/${encodeURIComponent("charity:refuge-norfolk")}`);
    const where = await page.locator(".govuk-summary-list__row", { hasText: "Where" }).innerText();
    expect(where).toContain("Norwich, NR3");
    expect(where).not.toContain("NR3 4ZZ");
  });

  it("points a bad postcode at the postcode box in the error summary", async () => {
    await page.goto(`${base}/`);
    await page.fill("#where", "ZZ99 9ZZ");
    await page.click("#search-button");
    const summary = page.locator(".govuk-error-summary");
    await summary.waitFor();
    const link = summary.locator("a[href='#where']");
    expect(await link.innerText()).toMatch(/postcode ZZ99 9ZZ/i);
    expect(await page.title()).toMatch(/^Error: /);
    expect(await text("#where-error")).toMatch(/ZZ99 9ZZ/);
    await expectAccessible("search error");
    await link.click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("where");
  });

  it("reveals a professional-only field after signing in and hides it after signing out", async () => {
    const service = `${base}/services/${encodeURIComponent("council:fh-norwich")}`;
    await page.goto(service);
    expect(await page.locator("[data-testid=professional-fields]").count()).toBe(0);
    expect(await page.content()).not.toContain("01603 999999");
    await page.getByRole("link", { name: "Sign in" }).first().click();
    await page.waitForURL(/\/sign-in/);
    await expectAccessible("sign-in");
    await screenshots(page, "sign-in");
    await page.getByLabel("Professional", { exact: true }).check();
    await page.click("#sign-in-button");
    await page.waitForURL(service);
    const pro = page.locator("[data-testid=professional-fields]");
    expect(await pro.innerText()).toContain("Professionals' duty line: 01603 999999");
    expect(await pro.innerText()).toContain(
      "Referrals to Norwich Family Hub: include the family's consent",
    );
    expect(await text("[data-testid=signed-in-as]")).toContain("professional");
    // The session cookie is httpOnly and SameSite; the token itself never reaches the browser.
    const cookies = await browser.context.cookies(base);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: "wayfinder_session",
      httpOnly: true,
      sameSite: "Lax",
    });
    expect(cookies[0]!.value.split(".")).toHaveLength(1);
    await expectAccessible("service signed in");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.goto(service);
    expect(await page.locator("[data-testid=professional-fields]").count()).toBe(0);
    expect(await page.content()).not.toContain("01603 999999");
    expect(await browser.context.cookies(base)).toHaveLength(0);
  });

  it("routes a child and shows the gap in words, without the profile in the URL or browser storage", async () => {
    const posts: { url: string; body: string | null }[] = [];
    const onRequest = (r: import("playwright-core").Request) =>
      r.method() === "POST" && posts.push({ url: r.url(), body: r.postData() });
    page.on("request", onRequest);
    await page.goto(`${base}/route`);
    await expectAccessible("route form");
    await screenshots(page, "route-form");
    await page.fill("#age", "9");
    await page.getByLabel("ADHD and attention").check();
    await page.getByLabel("Mental health and emotional wellbeing").check();
    await page.selectOption("#localAuthority", NEWPORT);
    await page.click("#make-plan");
    await page.locator("#plan").waitFor();
    page.off("request", onRequest);

    // The page shows each gap the API names, in the API's own words (new kinds need no change).
    const api = await gql(
      stack.gatewayUrl,
      /* GraphQL */ `
        query ($p: ChildProfileInput!) {
          routeChild(profile: $p) {
            needs {
              need
              gaps {
                kind
                message
              }
            }
          }
        }
      `,
      {
        p: { age: 9, needs: ["MENTAL_HEALTH", "ADHD"], localAuthority: NEWPORT },
      },
    );
    const apiGaps = api.data.routeChild.needs.find((n: any) => n.need === "ADHD").gaps as {
      kind: string;
      message: string;
    }[];
    expect(apiGaps.length).toBeGreaterThan(0);
    const adhd = page.locator("[data-need=ADHD]");
    expect(await adhd.getAttribute("data-status")).toBe("GAP");
    const gaps = adhd.locator("[data-testid=gap]");
    expect(await gaps.count()).toBe(apiGaps.length);
    for (const [i, g] of apiGaps.entries()) {
      expect(await gaps.nth(i).getAttribute("data-kind")).toBe(g.kind);
      expect(await gaps.nth(i).innerText()).toContain(g.message);
    }
    expect(await gaps.first().innerText()).toMatch(/adhd and attention/i);
    const mh = page.locator("[data-need=MENTAL_HEALTH]");
    expect(await mh.getAttribute("data-status")).toBe("COVERED");
    expect(await mh.locator("[data-testid=routed-service]").first().innerText()).toContain(
      "CAMHS Newport",
    );
    expect(await text("[data-testid=level]")).toMatch(/^Level 2/);

    expect(new URL(page.url()).pathname).toBe("/route");
    expect(new URL(page.url()).search).toBe("");
    expect(posts.map((p) => new URL(p.url).pathname)).toEqual(["/route"]);
    expect(posts[0]!.body).toContain("need=ADHD");
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
    expect(await browser.context.cookies(base)).toEqual([]);
    await expectAccessible("route plan");
    await screenshots(page, "route-plan");

    // Print: only the plan is printed, and Chromium saves it as a PDF.
    await page.emulateMedia({ media: "print" });
    expect(await page.locator(".govuk-service-navigation").isVisible()).toBe(false);
    expect(await page.locator("#route-form").isVisible()).toBe(false);
    expect(await page.locator("#plan").isVisible()).toBe(true);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const pdf = await page.pdf({ path: path.join(SCREENSHOT_DIR, "route-plan.pdf"), format: "A4" });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    await page.emulateMedia({ media: "screen" });
  });

  it("plans a route by keyboard alone", async () => {
    await page.goto(`${base}/route`);
    await tabTo(page, "#age");
    await page.keyboard.type("12");
    await tabTo(page, "input[value=MENTAL_HEALTH]");
    await page.keyboard.press("Space");
    await tabTo(page, "input[value=AUTISM]");
    await page.keyboard.press("Space");
    await tabTo(page, "#postcode");
    await page.keyboard.type("NR2 4AB");
    await tabTo(page, "#make-plan");
    await page.keyboard.press("Enter");
    await page.locator("#plan").waitFor();
    for (const need of ["MENTAL_HEALTH", "AUTISM"]) {
      expect(await page.locator(`[data-need=${need}]`).getAttribute("data-status")).toBe("COVERED");
    }
    // The one service meeting both needs is listed first, as meeting several.
    expect(await text("[data-testid=multi-need]")).toContain("CAMHS Getting Help – Norwich");
    // An API error is reached by keyboard too: the summary link moves focus to the postcode box.
    await page.goto(`${base}/route`);
    await tabTo(page, "#age");
    await page.keyboard.type("10");
    await tabTo(page, "input[value=ADHD]");
    await page.keyboard.press("Space");
    await tabTo(page, "#postcode");
    await page.keyboard.type("ZZ99 9ZZ");
    await tabTo(page, "#make-plan");
    await page.keyboard.press("Enter");
    await page.locator(".govuk-error-summary").waitFor();
    // GOV.UK Frontend focuses the summary; Tab reaches its link, Enter follows it.
    await tabTo(page, ".govuk-error-summary a[href='#postcode']");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("postcode");
    expect(await page.inputValue("#age")).toBe("10");
    await expectAccessible("route error");
  });

  it("draws the coverage heat map and the ending contracts for a real area", async () => {
    await page.goto(`${base}/coverage`);
    await expectAccessible("coverage form");
    await page.selectOption("#area", NORFOLK);
    await page.click("#show-coverage");
    await page.waitForURL(/area=E10000020/);
    expect(await text("h1")).toBe("Coverage and gaps in Norfolk");
    const map = page.locator("svg#heatmap-all");
    expect(await map.locator(".app-cell").count()).toBe(24 * 5);
    // Mental health, 12–15: CAMHS, the bereavement service and online counselling.
    const cell = map.locator(".app-cell", {
      has: page.locator("title", { hasText: "Mental health and emotional wellbeing, 12 to 15:" }),
    });
    expect(await cell.getAttribute("data-count")).toBe("3");
    expect(await cell.locator("text").textContent()).toBe("3");
    expect(Number(await map.getAttribute("data-gaps"))).toBeGreaterThan(0);
    expect(await map.locator("[data-gap=true]").count()).toBe(
      Number(await map.getAttribute("data-gaps")),
    );
    // Per partner.
    await page.getByRole("tab", { name: "NHS" }).click();
    expect(
      await page.locator("svg#heatmap-health .app-cell[data-count='0']").count(),
    ).toBeGreaterThan(0);
    // Timeline: the sole bereavement provider's contract ends within six months.
    expect(await page.locator("svg#timeline .app-ending").count()).toBeGreaterThan(0);
    expect(await text("[data-testid=ending]")).toMatch(
      /Child bereavement support Norfolk: contract ends .*Bereavement and loss would lose Norfolk's only provider/,
    );
    await page.getByRole("tab", { name: "All partners" }).click();
    await expectAccessible("coverage");
    await screenshots(page, "coverage");
  });

  it("answers an unknown page with a 404 page that passes axe", async () => {
    const res = await page.goto(`${base}/no-such-page`);
    expect(res?.status()).toBe(404);
    expect(await text("h1")).toBe("Page not found");
    await expectAccessible("404");
  });

  it("shows a partner stopped mid-test as offline, and the plan marks its needs as not checked", async () => {
    await stack.stopPartner("health");
    try {
      // The directory learns of the outage at its next contact with the partner: reload until the
      // page says so (a short wait per load, so that the page is asked again).
      await eventually(async () => {
        await page.goto(`${base}/?q=camhs`);
        expect(
          await page.locator("[data-testid=partner-offline]").innerText({ timeout: 2_000 }),
        ).toMatch(/NHS \(health\) could not be reached/);
      }, 30_000);
      await expectAccessible("search, partner offline");
      await screenshots(page, "search-partner-offline");

      await page.goto(`${base}/route`);
      await page.fill("#age", "12");
      await page.getByLabel("Mental health and emotional wellbeing").check();
      await page.getByLabel("Young carers").check();
      await page.selectOption("#localAuthority", NORFOLK);
      await page.click("#make-plan");
      await page.locator("#plan").waitFor();
      expect(await text("[data-testid=partner-offline]")).toContain("NHS (health)");
      // Young carers: the charity's service is outside the age, and health could not be asked.
      expect(await page.locator("[data-need=YOUNG_CARERS]").getAttribute("data-status")).toBe(
        "UNKNOWN",
      );
      expect(await text("[data-need=YOUNG_CARERS] [data-testid=not-checked]")).toMatch(
        /^Not checked/,
      );
      expect(
        await text("[data-need=YOUNG_CARERS] [data-testid=gap][data-kind=PARTNER_OFFLINE]"),
      ).toMatch(/Could not check health services for young carers/);
      await expectAccessible("route, partner offline");
      await screenshots(page, "route-partner-offline");
    } finally {
      await stack.startPartner("health");
    }
  });

  it("never sent a request beyond 127.0.0.1", () => {
    const outside = browser.requests.filter((u) => {
      const url = new URL(u);
      return !(
        url.protocol === "data:" ||
        url.protocol === "about:" ||
        url.hostname === "127.0.0.1"
      );
    });
    expect(browser.requests.length).toBeGreaterThan(50);
    expect(outside).toEqual([]);
  });
});
