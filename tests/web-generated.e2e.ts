// The web app and the README's examples on the data `npm start` loads (scripts/generate's default
// dataset, co-deliveries accepted as npm start does), not the hand-written fixture: place names in
// the search box ("norwich family hub", "camhs in king's lynn") find the services of that place, in
// real Chromium.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { eventually, gql, startTestStack } from "./helpers/stack.ts";
import {
  axeSerious,
  hasBrowser,
  launchBrowser,
  screenshots,
  tabTo,
  type Browser,
} from "./helpers/browser.ts";
import { generateDataset } from "../scripts/generate/dataset.ts";
import { PARTNERS } from "../schema/vocabulary.ts";
import { recordAcceptances } from "../subgraphs/kit/codelivery.ts";
import { mintDevToken } from "../gateway/auth.ts";

const dataset = generateDataset({});
const services = PARTNERS.flatMap((p) => dataset[p]?.services ?? []);
let stack: Awaited<ReturnType<typeof startTestStack>>;
let browser: Browser;
let page: Page;
let base: string;

beforeAll(async () => {
  stack = await startTestStack("pglite", { dataset });
  // As npm start does: each owner has accepted the co-deliveries proposed for its services.
  for (const owner of PARTNERS)
    for (const proposer of PARTNERS)
      await recordAcceptances(
        stack.dbs[owner],
        owner,
        dataset[proposer]?.co_deliveries ?? [],
        "demo-data",
      );
  base = stack.gatewayUrl.replace(/\/graphql$/, "");
  await eventually(async () => {
    const res = await gql(
      stack.gatewayUrl,
      `{ searchServices(first: 1, filter: { statuses: [] }) { totalCount } }`,
    );
    expect(res.data.searchServices.totalCount).toBe(services.length);
  }, 60_000);
  if (!hasBrowser) return;
  browser = await launchBrowser();
  page = await browser.context.newPage();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Active generated services whose name and description pass `test`, by name. */
const expected = (test: (s: (typeof services)[number]) => boolean) =>
  services
    .filter((s) => s.status === "active" && test(s))
    .map((s) => s.name)
    .sort();

async function search(q: string) {
  await page.goto(`${base}/?${new URLSearchParams({ q })}`);
  const names = (await page.locator("[data-testid=result] h3").allInnerTexts()).sort();
  const count = Number(/^(\d+) service/.exec(await page.locator("#result-count").innerText())![1]);
  return { names, count };
}

describe.skipIf(!hasBrowser)("web search on npm start's generated data", () => {
  it('finds Norwich\'s family hubs for "norwich family hub"', async () => {
    const want = expected(
      (s) => /Family Hub/.test(s.name) && /\bNorwich\b/.test(s.description ?? ""),
    );
    expect(want.length).toBeGreaterThanOrEqual(4);
    const { names, count } = await search("norwich family hub");
    expect(count).toBe(want.length);
    expect(names).toEqual(want.slice(0, 10));
    expect(await page.locator("[data-testid=place]").innerText()).toMatch(
      /^Showing services for Norwich, because your search names norwich\./,
    );
    expect(await axeSerious(page)).toEqual([]);
    await screenshots(page, "search-place-name");

    // "Search every area" drops the place, and the words alone still find the same hubs.
    await page.getByRole("link", { name: /Search every area/ }).click();
    expect(page.url()).toContain("anywhere=yes");
    expect(await page.locator("[data-testid=place]").count()).toBe(0);
    expect(Number(/^(\d+)/.exec(await page.locator("#result-count").innerText())![1])).toBe(
      want.length,
    );
  });

  it('takes a place\'s short name and an "in" before it: "family hub in king\'s lynn"', async () => {
    const want = expected(
      (s) => /Family Hub/.test(s.name) && /King's Lynn/.test(s.description ?? ""),
    );
    expect(want.length).toBeGreaterThanOrEqual(1);
    const { names, count } = await search("family hub in king's lynn");
    expect(count).toBe(want.length);
    expect(names).toEqual(want.slice(0, 10));
    expect(await page.locator("[data-testid=place]").innerText()).toContain(
      "Showing services for King's Lynn and West Norfolk",
    );
  });

  it('makes a place no service names the area: "family hub breckland" gives Norfolk\'s hubs', async () => {
    // No service names Breckland (a Norfolk district), so the place is only the area, and the
    // county's family hubs serve it.
    expect(expected((s) => /Breckland/.test(s.name + s.description))).toEqual([]);
    const want = expected(
      (s) => /Family Hub/.test(s.name) && s.service_areas!.some((a) => a.extent === "E10000020"),
    );
    expect(want.length).toBeGreaterThan(10);
    const { names, count } = await search("family hub breckland");
    expect(count).toBe(want.length);
    for (const n of names) expect(want).toContain(n);
    expect(await page.locator("[data-testid=place]").innerText()).toContain(
      "Showing services for Breckland",
    );
  });

  it("takes a place in the where box by the name people use", async () => {
    await page.goto(`${base}/?${new URLSearchParams({ q: "family hub", where: "Kings Lynn" })}`);
    const names = (await page.locator("[data-testid=result] h3").allInnerTexts()).sort();
    // The where box is the area (Norfolk's hubs serve King's Lynn); it names no words.
    const want = expected(
      (s) => /Family Hub/.test(s.name) && s.service_areas!.some((a) => a.extent === "E10000020"),
    );
    expect(Number(/^(\d+)/.exec(await page.locator("#result-count").innerText())![1])).toBe(
      want.length,
    );
    expect(want.slice(0, 10).length).toBe(names.length);
  });

  it("searches by keyboard alone: words, a filter, the results", async () => {
    await page.goto(`${base}/`);
    await tabTo(page, "#q");
    await page.keyboard.type("norwich family hub");
    await page.keyboard.press("Enter");
    await page.waitForURL(/q=norwich/);
    const all = Number(/^(\d+)/.exec(await page.locator("#result-count").innerText())![1]);
    // A filter chosen and applied by keyboard: accepting referrals now.
    await tabTo(page, "#accepting");
    await page.keyboard.press("Space");
    await tabTo(page, "#apply-filters-top");
    await page.keyboard.press("Enter");
    await page.waitForURL(/accepting=yes/);
    const want = expected(
      (s) =>
        /Family Hub/.test(s.name) &&
        /\bNorwich\b/.test(s.description ?? "") &&
        s.wayfinder!.capacity!.accepting_referrals === true,
    );
    expect(Number(/^(\d+)/.exec(await page.locator("#result-count").innerText())![1])).toBe(
      want.length,
    );
    expect(want.length).toBeLessThanOrEqual(all);
    // The first result's link is reached and followed by keyboard.
    await tabTo(page, "[data-testid=result] h3 a");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/services\//);
    expect(want).toContain(await page.locator("h1").innerText());
  });

  it("searches without JavaScript (progressive enhancement)", async () => {
    const noJs = await launchBrowser({ javaScriptEnabled: false });
    try {
      const p = await noJs.context.newPage();
      await p.goto(`${base}/`);
      // GOV.UK's inline script never ran: the page is the no-JavaScript one.
      expect(await p.evaluate(() => document.body.className)).not.toContain("js-enabled");
      await p.fill("#q", "family hub in king's lynn");
      await p.click("#search-button");
      await p.waitForURL(/q=family/);
      const want = expected(
        (s) => /Family Hub/.test(s.name) && /King's Lynn/.test(s.description ?? ""),
      );
      expect((await p.locator("[data-testid=result] h3").allInnerTexts()).sort()).toEqual(want);
      await p.getByRole("checkbox", { name: /^Council \(\d+\)$/ }).check();
      await p.click("#apply-filters");
      await p.waitForURL(/partner=COUNCIL/);
      expect((await p.locator("[data-testid=result] h3").allInnerTexts()).sort()).toEqual(want);
      await p.locator("[data-testid=result] h3 a").first().click();
      await p.waitForURL(/\/services\//);
      expect(await p.locator("h1").innerText()).toMatch(/Family Hub/);
    } finally {
      await noJs.close();
    }
  });

  it("searches around the README's postcode", async () => {
    await page.goto(
      `${base}/?${new URLSearchParams({ q: "", where: "NR2 4AB", radius: "5", sort: "DISTANCE" })}`,
    );
    const distances = (await page.locator("[data-testid=distance]").allInnerTexts()).map((d) =>
      parseFloat(d),
    );
    expect(distances.length).toBeGreaterThan(1);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
  });
});

describe("the README's GraphQL examples on npm start's generated data", () => {
  it("answer without errors, every service they name exists, and the mutation works for the council's admin", async () => {
    const readme = await readFile("README.md", "utf8");
    const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const admin = await mintDevToken({ role: "partner-admin", partner: "council" });
    const professional = await mintDevToken({ role: "professional" });
    for (const query of blocks) {
      const mutation = query.trimStart().startsWith("mutation");
      // Referrals are made by professionals; the service update by the council's admin.
      const referral = /createReferral\(/.test(query);
      const res = (await (
        await fetch(stack.gatewayUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "apollo-require-preflight": "true",
            ...(mutation ? { authorization: `Bearer ${referral ? professional : admin}` } : {}),
          },
          body: JSON.stringify({ query }),
        })
      ).json()) as { data?: any; errors?: unknown[] };
      expect(res.errors, query).toBeUndefined();
      if (res.data && "service" in res.data) expect(res.data.service, query).not.toBeNull();
      if (res.data?.searchServices?.edges)
        expect(res.data.searchServices.edges.length, query).toBeGreaterThan(0);
      if (referral) expect(res.data?.createReferral?.status, query).toBe("NEW");
      else if (mutation) expect(JSON.stringify(res.data), query).toContain("TEMPORARILY_CLOSED");
    }
  });
});

describe("the README's routeChild with variables on npm start's generated data", () => {
  it("is answered by the gateway's route replica, with services", async () => {
    const readme = await readFile("README.md", "utf8");
    const section = readme.slice(readme.indexOf("## API examples"), readme.indexOf("## Bring"));
    const curl = /^curl -s -i (\S+) [^\n]*\\\n\s+-d '([^']+)'/m.exec(section)!;
    expect(curl[1]).toBe("http://127.0.0.1:4000/graphql");
    const body = curl[2]!;
    expect(JSON.parse(body).variables.profile).toBeDefined();
    // The replica answers once it has read every partner's feed.
    const res = await eventually(async () => {
      const r = await fetch(stack.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      if (r.headers.get("x-wayfinder-route") !== "replica") throw new Error("not the replica yet");
      return (await r.json()) as { data?: any; errors?: unknown[] };
    });
    expect(res.errors).toBeUndefined();
    const services = res.data.routeChild.needs.flatMap((n: any) => n.services);
    expect(services.length).toBeGreaterThan(0);
  });
});

describe("the README's ORUK examples on npm start's generated data", () => {
  it("answer 200 with whole pages, and the one-service example finds its service", async () => {
    const readme = await readFile("README.md", "utf8");
    const section = readme.slice(readme.indexOf("## The ORUK API"));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    // Each `curl -s <url>` line, pointed at this stack instead of npm start's port 4000.
    const urls = [...block.matchAll(/^curl -s '?(http:\/\/127\.0\.0\.1:4000[^'\s]*)'?/gm)].map(
      (m) => m[1]!.replace("http://127.0.0.1:4000", new URL(stack.gatewayUrl).origin),
    );
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of urls) {
      if (url.endsWith("$id")) continue;
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const body = (await res.json()) as any;
      if (!("contents" in body)) continue;
      // A page holds per_page items, or what is left on the last page: none went missing.
      const perPage = Number(new URL(url).searchParams.get("per_page") ?? 50);
      const before = (body.page_number - 1) * perPage;
      expect(body.size, url).toBe(Math.min(perPage, body.total_items - before));
      expect(body.contents.length, url).toBe(body.size);
      expect(body.total_items, url).toBeGreaterThan(0);
    }
    // The last example: the first service's id from a page, then that service in full.
    const first = (await (await fetch(`${urls[1]!.split("?")[0]}?per_page=1`)).json()) as any;
    const one = await fetch(`${urls[1]!.split("?")[0]}/${first.contents[0].id}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as any).id).toBe(first.contents[0].id);
  });
});
