// Server-rendered SVG pictures for commissioners: a need × age-band heat map (colour and the count
// in every cell, so it reads without colour too) and a 12-month timeline of ending contracts.
const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

// Steps of GOV.UK blue, light to dark; text flips to white where contrast needs it (WCAG 1.4.3).
const SCALE = [
  { fill: "#d2e2f1", text: "#0b0c0c" },
  { fill: "#8eb8dc", text: "#0b0c0c" },
  { fill: "#1d70b8", text: "#ffffff" },
  { fill: "#003078", text: "#ffffff" },
];
const GAP = { fill: "#ffffff", text: "#942514", stroke: "#d4351c" };
const step = (n: number) => SCALE[Math.min(n, SCALE.length) - 1]!;

export interface HeatRow {
  label: string;
  cells: { count: number; label: string }[];
}

export function heatMap(opts: {
  id: string;
  title: string;
  columns: string[];
  rows: HeatRow[];
}): string {
  const labelW = 290;
  const cellW = 96;
  const cellH = 28;
  const head = 44;
  const legendH = 46;
  const width = labelW + cellW * opts.columns.length + 2;
  const height = head + cellH * opts.rows.length + legendH;
  const gaps = opts.rows.reduce((n, r) => n + r.cells.filter((c) => c.count === 0).length, 0);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" id="${esc(opts.id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${esc(opts.id)}-title ${esc(opts.id)}-desc" data-gaps="${gaps}">`,
    `<title id="${esc(opts.id)}-title">${esc(opts.title)}</title>`,
    `<desc id="${esc(opts.id)}-desc">Services per need and age band. ${gaps} of ${opts.rows.length * opts.columns.length} cells have no service. Each cell shows its count; gaps are outlined in red and marked with a cross.</desc>`,
    `<defs><pattern id="${esc(opts.id)}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="${GAP.fill}"/><line x1="0" y1="0" x2="0" y2="8" stroke="#f3c1b8" stroke-width="3"/></pattern></defs>`,
  );
  opts.columns.forEach((c, i) => {
    out.push(
      `<text x="${labelW + i * cellW + cellW / 2}" y="${head - 14}" text-anchor="middle" font-size="14" font-weight="700" fill="#0b0c0c">${esc(c)}</text>`,
    );
  });
  opts.rows.forEach((r, ri) => {
    const y = head + ri * cellH;
    out.push(
      `<text x="${labelW - 10}" y="${y + cellH / 2 + 5}" text-anchor="end" font-size="14" fill="#0b0c0c">${esc(r.label)}</text>`,
    );
    r.cells.forEach((c, ci) => {
      const x = labelW + ci * cellW;
      const gap = c.count === 0;
      const s = gap ? GAP : step(c.count);
      out.push(
        `<g class="app-cell" data-count="${c.count}"${gap ? ' data-gap="true"' : ""}><title>${esc(`${r.label}, ${c.label}: ${gap ? "no service (gap)" : `${c.count} service${c.count === 1 ? "" : "s"}`}`)}</title>`,
        `<rect x="${x + 1}" y="${y + 1}" width="${cellW - 2}" height="${cellH - 2}" fill="${gap ? `url(#${esc(opts.id)}-hatch)` : s.fill}"${gap ? ` stroke="${GAP.stroke}" stroke-width="2"` : ""}/>`,
        `<text x="${x + cellW / 2}" y="${y + cellH / 2 + 5}" text-anchor="middle" font-size="14" font-weight="700" fill="${s.text}">${gap ? "0 ✕" : c.count}</text></g>`,
      );
    });
  });
  // Legend: what the colours and the cross mean.
  const ly = head + opts.rows.length * cellH + 16;
  out.push(`<text x="0" y="${ly + 15}" font-size="14" fill="#0b0c0c">Key:</text>`);
  const keys = [
    { label: "0 ✕ gap", fill: `url(#${esc(opts.id)}-hatch)`, stroke: GAP.stroke, text: GAP.text },
    ...SCALE.map((s, i) => ({
      label: i === SCALE.length - 1 ? `${i + 1}+` : String(i + 1),
      fill: s.fill,
      stroke: "none",
      text: s.text,
    })),
  ];
  keys.forEach((k, i) => {
    const x = 48 + i * 80;
    out.push(
      `<rect x="${x}" y="${ly}" width="72" height="22" fill="${k.fill}" stroke="${k.stroke}" stroke-width="2"/><text x="${x + 36}" y="${ly + 16}" text-anchor="middle" font-size="13" font-weight="700" fill="${k.text}">${esc(k.label)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("");
}

export interface TimelineItem {
  label: string;
  detail: string;
  /** YYYY-MM-DD, for the position. */
  date: string;
  dateText: string;
  withinMonths: number;
}

export function timeline(opts: {
  id: string;
  title: string;
  items: TimelineItem[];
  today?: Date;
}): string {
  const today = opts.today ?? new Date();
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1);
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 12, 28);
  const left = 20;
  const width = 940;
  const plotW = width - left - 20;
  const rowH = 54;
  const top = 40;
  const height = top + Math.max(1, opts.items.length) * rowH + 10;
  const xOf = (t: number) =>
    left + ((Math.min(Math.max(t, start), end) - start) / (end - start)) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" id="${esc(opts.id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${esc(opts.id)}-title ${esc(opts.id)}-desc">`,
    `<title id="${esc(opts.id)}-title">${esc(opts.title)}</title>`,
    `<desc id="${esc(opts.id)}-desc">${esc(opts.items.length ? opts.items.map((i) => `${i.label}: contract ends ${i.dateText}; ${i.detail}`).join(". ") : "No sole provider's contract ends in the next 12 months.")}</desc>`,
  ];
  for (let m = 0; m <= 12; m++) {
    const t = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + m, 1);
    const x = xOf(t);
    out.push(
      `<line x1="${x}" y1="${top - 8}" x2="${x}" y2="${height - 6}" stroke="#b1b4b6" stroke-width="1"/>`,
    );
    if (m < 12)
      out.push(
        `<text x="${x + 4}" y="${top - 16}" font-size="13" fill="#505a5f">${esc(new Date(t).toLocaleDateString("en-GB", { month: "short", timeZone: "UTC" }))}${m === 0 || new Date(t).getUTCMonth() === 0 ? ` ${new Date(t).getUTCFullYear()}` : ""}</text>`,
      );
  }
  const six = xOf(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 6, today.getUTCDate()));
  out.push(
    `<line x1="${six}" y1="${top - 8}" x2="${six}" y2="${height - 6}" stroke="#d4351c" stroke-width="2" stroke-dasharray="6 4"/>`,
  );
  if (!opts.items.length)
    out.push(
      `<text x="${left}" y="${top + 30}" font-size="16" fill="#0b0c0c">No sole provider's contract ends in the next 12 months.</text>`,
    );
  opts.items.forEach((item, i) => {
    const y = top + i * rowH + 22;
    const x = xOf(Date.parse(`${item.date}T12:00:00Z`));
    const urgent = item.withinMonths <= 6;
    const anchorEnd = x > left + plotW * 0.6;
    out.push(
      `<g class="app-ending" data-date="${esc(item.date)}">`,
      `<line x1="${left}" y1="${y}" x2="${x}" y2="${y}" stroke="${urgent ? "#d4351c" : "#f47738"}" stroke-width="6"/>`,
      urgent
        ? `<circle cx="${x}" cy="${y}" r="9" fill="#d4351c"/>`
        : `<rect x="${x - 8}" y="${y - 8}" width="16" height="16" fill="#f47738" transform="rotate(45 ${x} ${y})"/>`,
      `<text x="${anchorEnd ? x - 14 : x + 14}" y="${y + 5}" text-anchor="${anchorEnd ? "end" : "start"}" font-size="14" font-weight="700" fill="#0b0c0c">${esc(item.label)} – ends ${esc(item.dateText)}</text>`,
      `<text x="${anchorEnd ? x - 14 : x + 14}" y="${y + 23}" text-anchor="${anchorEnd ? "end" : "start"}" font-size="13" fill="#0b0c0c">${esc(item.detail)}</text>`,
      `</g>`,
    );
  });
  out.push("</svg>");
  return out.join("");
}
