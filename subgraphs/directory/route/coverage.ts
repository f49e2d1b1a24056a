// coverage(area, ageBand): a need × age-band matrix for commissioners, with gaps and the sole
// providers whose contracts end within 6 or 12 months. Counts are of services that can be offered
// today (active, contract not ended) covering the area or part of it (a county's services count
// for its districts and the reverse). Sole providers are found per need from those counts, and
// their contract window is a filter, so nothing is cut before it is checked.
import { AGE_BANDS, NEEDS, PARTNERS } from "../../../schema/vocabulary.ts";
import { areasServing, localAuthorityInfo } from "../../../schema/areas.ts";
import type { FacetCount, SearchBackend, ServiceDoc } from "../search/types.ts";

export interface CoverageInput {
  area: string;
  ageBand?: string | null;
  today: string;
}

const addMonths = (today: string, months: number) => {
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
};

export async function coverage(
  input: CoverageInput,
  deps: { backend: SearchBackend; offline: string[] },
) {
  const bands = AGE_BANDS.filter((b) => !input.ageBand || b.code === input.ageBand);
  const la = localAuthorityInfo(input.area);
  const areas = areasServing(input.area);
  const offered = { localAuthorities: areas, contractEnd: { onOrAfter: input.today } };
  // The age-band counts of one need and partner: with an index in this process, the area's offered
  // services are selected once and each row narrows them; otherwise one faceted search per row.
  const local = deps.backend.local?.() ?? null;
  const inArea = local?.select(offered);
  const cell = async (
    need: string,
    partner: string,
  ): Promise<{ total: number; bands: FacetCount[] }> => {
    if (local && inArea) {
      const sel = local.select({ needs: [need], partners: [partner], statuses: [] }, inArea);
      return { total: local.count(sel), bands: local.facetCounts(sel, "ageBands") };
    }
    const r = await deps.backend.search({
      filter: { ...offered, needs: [need], partners: [partner] },
      limit: 0,
      offset: 0,
      facets: true,
    });
    return { total: r.totalCount, bands: r.facets?.ageBands ?? [] };
  };
  const rows = await Promise.all(
    NEEDS.map(async (need) => {
      const perPartner = await Promise.all(
        PARTNERS.map(async (partner) => {
          const r = await cell(need.code, partner);
          return {
            partner,
            total: r.total,
            bands: new Map(r.bands.map((f) => [f.value, f.count])),
          };
        }),
      );
      return {
        need: need.code,
        cells: bands.map((band) => {
          const byPartner = perPartner.map((p) => ({
            partner: p.partner.toUpperCase(),
            count: p.bands.get(band.code) ?? 0,
          }));
          const total = byPartner.reduce((a, b) => a + b.count, 0);
          return { ageBand: band.code, total, byPartner, gap: total === 0 };
        }),
        providers: perPartner.reduce((a, p) => a + p.total, 0),
      };
    }),
  );
  const gaps = rows.flatMap((r) =>
    r.cells
      .filter((c) => c.gap)
      .map(
        (c) =>
          `${NEEDS.find((n) => n.code === r.need)!.label}: no service for ${AGE_BANDS.find((b) => b.code === c.ageBand)!.label} in ${la?.name ?? input.area}`,
      ),
  );
  // A need with exactly one provider: is that provider's contract ending within 12 months?
  const in6 = addMonths(input.today, 6);
  const in12 = addMonths(input.today, 12);
  const sole = await Promise.all(
    rows
      .filter((r) => r.providers === 1)
      .map(async (r) => {
        const res = await deps.backend.search({
          filter: {
            localAuthorities: areas,
            needs: [r.need],
            contractEnd: { onOrAfter: input.today, onOrBefore: in12 },
          },
          limit: 1,
          offset: 0,
        });
        return res.hits.length ? { need: r.need, id: res.hits[0]!.id } : null;
      }),
  );
  const soleFor = new Map<string, string[]>();
  for (const s of sole) if (s) soleFor.set(s.id, [...(soleFor.get(s.id) ?? []), s.need]);
  const docs = (await deps.backend.get([...soleFor.keys()])).filter((d): d is ServiceDoc => !!d);
  const endingContracts = docs
    .map((d) => ({
      service: { id: d.id, partner: d.partner.toUpperCase() },
      doc: d,
      contractEndDate: d.contractEndDate!,
      withinMonths: d.contractEndDate! <= in6 ? 6 : 12,
      soleProviderFor: NEEDS.map((n) => n.code).filter((n) => soleFor.get(d.id)!.includes(n)),
    }))
    .sort((a, b) =>
      a.contractEndDate < b.contractEndDate
        ? -1
        : a.contractEndDate > b.contractEndDate
          ? 1
          : a.service.id < b.service.id
            ? -1
            : 1,
    );
  return {
    localAuthority: input.area,
    needs: rows.map(({ need, cells }) => ({ need, cells })),
    gaps,
    endingContracts,
    offlinePartners: deps.offline.map((p) => p.toUpperCase()),
  };
}
