// Coverage (/coverage): for one authority, the need × age-band heat map (all partners and each
// partner), the gaps in words, and the sole providers whose contracts end in the next 12 months.
import type { PageContext, Rendered } from "../server.ts";
import { AGE_BAND_LABELS, PARTNER_LABELS } from "../labels.ts";
import { heatMap, timeline } from "../svg.ts";
import { Errors, addApiErrors, offlineBanner, NEEDS_QUERY, type NeedInfo } from "./common.ts";

const COVERAGE = /* GraphQL */ `
  query WebCoverage($area: String!) {
    coverage(area: $area) {
      localAuthority
      needs {
        need
        cells {
          ageBand
          total
          gap
          byPartner {
            partner
            count
          }
        }
      }
      gaps
      endingContracts {
        service {
          id
          name
          partner
        }
        contractEndDate
        withinMonths
        soleProviderFor
      }
      offlinePartners
    }
  }
`;

type Coverage = {
  localAuthority: string;
  needs: {
    need: string;
    cells: {
      ageBand: string;
      total: number;
      gap: boolean;
      byPartner: { partner: string; count: number }[];
    }[];
  }[];
  gaps: string[];
  endingContracts: {
    service: { id: string; name: string; partner: string } | null;
    contractEndDate: string;
    withinMonths: number;
    soleProviderFor: string[];
  }[];
  offlinePartners: string[];
};

const ukDate = (d: string) =>
  new Date(`${d}T12:00:00Z`).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });

export async function coveragePage(ctx: PageContext): Promise<Rendered> {
  const area = ctx.url.searchParams.get("area") ?? "";
  const base = await ctx.ask<{
    localAuthorities: { code: string; name: string; serviceCount: number }[];
    needs: NeedInfo[];
  }>(`{ localAuthorities { code name serviceCount } ${NEEDS_QUERY} }`);
  const areas = [...(base.data?.localAuthorities ?? [])].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  const labelOf = Object.fromEntries((base.data?.needs ?? []).map((n) => [n.code, n.label]));
  const errors = new Errors();
  const data: Record<string, unknown> = {
    title: "Coverage and gaps",
    area,
    areas: [
      { value: "", text: "Choose an area" },
      ...areas.map((a) => ({
        value: a.code,
        text: `${a.name} (${a.serviceCount} services)`,
        selected: a.code === area,
      })),
    ],
  };
  if (!area)
    return { template: "coverage.njk", data: { ...data, errorSummary: [], fieldErrors: {} } };

  const res = await ctx.ask<{ coverage: Coverage }>(COVERAGE, { area });
  addApiErrors(errors, res.errors, { area: "area" });
  const report = res.data?.coverage;
  if (!report && !errors.any)
    errors.add(
      "area",
      "Coverage for that area could not be worked out. Choose another area or try again.",
    );
  if (!report)
    return {
      status: 400,
      template: "coverage.njk",
      data: { ...data, errorSummary: errors.summary(), fieldErrors: errors.byField() },
    };

  const areaName = areas.find((a) => a.code === area)?.name ?? area;
  const columns = Object.values(AGE_BAND_LABELS);
  const bands = Object.keys(AGE_BAND_LABELS);
  const cellsFor = (partner: string | null) =>
    report.needs.map((n) => ({
      label: labelOf[n.need] ?? n.need,
      cells: bands.map((b, i) => {
        const c = n.cells.find((x) => x.ageBand === b);
        const count = !c
          ? 0
          : partner
            ? (c.byPartner.find((p) => p.partner === partner)?.count ?? 0)
            : c.total;
        return { count, label: columns[i]! };
      }),
    }));
  const maps = [
    {
      id: "heatmap-all",
      name: "All partners",
      svg: heatMap({
        id: "heatmap-all",
        title: `Services per need and age band in ${areaName}, all partners`,
        columns,
        rows: cellsFor(null),
      }),
    },
    ...Object.entries(PARTNER_LABELS).map(([p, name]) => ({
      id: `heatmap-${p.toLowerCase()}`,
      name,
      svg: heatMap({
        id: `heatmap-${p.toLowerCase()}`,
        title: `Services per need and age band in ${areaName}, ${name} only`,
        columns,
        rows: cellsFor(p),
      }),
    })),
  ];
  const ending = [...report.endingContracts].sort((a, b) =>
    a.contractEndDate.localeCompare(b.contractEndDate),
  );
  return {
    template: "coverage.njk",
    data: {
      ...data,
      errorSummary: [],
      fieldErrors: {},
      areaName,
      currentArea: area,
      banner: offlineBanner(res.errors, report.offlinePartners),
      bannerText: "Its services are not counted, so some cells may show gaps that are not real.",
      maps,
      table: { columns, rows: cellsFor(null) },
      gaps: report.gaps,
      timeline: timeline({
        id: "timeline",
        title: `Sole providers in ${areaName} whose contracts end in the next 12 months`,
        items: ending.map((e) => ({
          label: e.service?.name ?? "A service whose partner is offline",
          detail: `Only provider for: ${e.soleProviderFor.map((n) => labelOf[n] ?? n).join(", ") || "none"}`,
          date: e.contractEndDate,
          dateText: ukDate(e.contractEndDate),
          withinMonths: e.withinMonths,
        })),
      }),
      ending: ending.map((e) => ({
        ...e,
        dateText: ukDate(e.contractEndDate),
        needs: e.soleProviderFor.map((n) => labelOf[n] ?? n),
      })),
    },
  };
}
