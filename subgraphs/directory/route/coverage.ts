// coverage(area, ageBand): a need × age-band matrix for commissioners, with gaps and the sole
// providers whose contracts end within 6 or 12 months.
import { AGE_BANDS, NEEDS, PARTNERS, localAuthorityInfo } from "../../../schema/vocabulary.ts";
import type { SearchBackend, ServiceDoc } from "../search/types.ts";

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

export async function coverage(input: CoverageInput, deps: { backend: SearchBackend; offline: string[] }) {
  const bands = AGE_BANDS.filter((b) => !input.ageBand || b.code === input.ageBand);
  const la = localAuthorityInfo(input.area);
  // One faceted query per need and partner gives the age-band counts for that row.
  const rows = await Promise.all(
    NEEDS.map(async (need) => {
      const perPartner = await Promise.all(
        PARTNERS.map(async (partner) => {
          const r = await deps.backend.search({
            filter: { needs: [need.code], localAuthorities: [input.area], partners: [partner] },
            limit: 0,
            offset: 0,
            facets: true,
          });
          return { partner, total: r.totalCount, bands: new Map((r.facets?.ageBands ?? []).map((f) => [f.value, f.count])) };
        }),
      );
      return {
        need: need.code,
        cells: bands.map((band) => {
          const byPartner = perPartner.map((p) => ({ partner: p.partner.toUpperCase(), count: p.bands.get(band.code) ?? 0 }));
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
      .map((c) => `${NEEDS.find((n) => n.code === r.need)!.label}: no service for ${AGE_BANDS.find((b) => b.code === c.ageBand)!.label} in ${la?.name ?? input.area}`),
  );
  // Contracts ending within 12 months, soonest first; keep those that are the only provider of a need.
  const ending = await deps.backend.search({
    filter: { localAuthorities: [input.area] },
    sort: "CONTRACT_END",
    limit: 100,
    offset: 0,
  });
  const docs = (await deps.backend.get(ending.hits.map((h) => h.id))).filter((d): d is ServiceDoc => !!d);
  const in6 = addMonths(input.today, 6);
  const in12 = addMonths(input.today, 12);
  const providers = new Map(rows.map((r) => [r.need, r.providers]));
  const endingContracts = docs
    .filter((d) => d.contractEndDate && d.contractEndDate >= input.today && d.contractEndDate <= in12)
    .map((d) => ({
      service: { id: d.id, partner: d.partner.toUpperCase() },
      contractEndDate: d.contractEndDate!,
      withinMonths: d.contractEndDate! <= in6 ? 6 : 12,
      soleProviderFor: d.needs.filter((n) => providers.get(n) === 1),
    }))
    .filter((e) => e.soleProviderFor.length > 0);
  return {
    localAuthority: input.area,
    needs: rows.map(({ need, cells }) => ({ need, cells })),
    gaps,
    endingContracts,
    offlinePartners: deps.offline.map((p) => p.toUpperCase()),
  };
}
