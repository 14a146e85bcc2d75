// Feedback's KPIs of today: the day's tiles and an SVG chart of the hours.
import { failure, feedback, Unauthorized } from "./api.js";
import { $, el, empty, showIn, svg, table } from "./dom.js";
import { duration, number } from "./format.js";
import { regionName } from "./session.js";
import { state } from "./state.js";

const TILES = [
  ["CSAT", (k) => number(k.csat_percent, " %")],
  ["NPS", (k) => number(k.nps, "", true)],
  ["SLA attainment", (k) => number(k.sla_attainment_percent, " %")],
  ["Response rate", (k) => number(k.response_rate_percent, " %")],
  ["First response", (k) => duration(k.first_response_seconds)],
  ["Backlog", (k) => number(k.backlog)],
];

export async function loadKpis(generation) {
  const region = encodeURIComponent(state.region || "*"); // "*": every region, for admins
  const asked = state.region;
  // One read: today's hours give the chart, and their total is the day's (hours sum to it).
  const [hourly] = await Promise.allSettled([feedback(`/kpis?region=${region}&period=hour`)]);
  if (generation !== state.generation || asked !== state.region) return;
  $("kpis-title").textContent = `Today's KPIs · ${regionName()}`;
  if (hourly.status === "fulfilled") {
    const total = hourly.value.total || {};
    const tiles = el(
      "dl",
      { class: "tiles" },
      ...TILES.map(([label, format]) =>
        el("div", { class: "tile" }, el("dt", { text: label }), el("dd", { text: format(total) })),
      ),
    );
    showIn("kpi-totals", tiles);
    showIn("kpi-chart", ...chart(hourly.value.series || [], { everyRegion: !asked }));
  } else if (!(hourly.reason instanceof Unauthorized)) {
    showIn("kpi-totals", empty(failure("KPIs unavailable", hourly.reason)));
    showIn("kpi-chart", empty(failure("Hourly KPIs unavailable", hourly.reason)));
  }
}

const LINES = [
  { key: "csat_percent", label: "CSAT %", className: "line-csat" },
  { key: "sla_attainment_percent", label: "SLA attainment %", className: "line-sla" },
];

// Buckets are the region's local hours (the all-regions view: each region's own local
// hours); they are placed by their position in the day, labelled by their own clock time.
function hourOf(bucket) {
  return String(bucket.bucket_start || "").slice(11, 16);
}

function zoneOf(series, everyRegion) {
  if (everyRegion) return "each region's local time";
  const offset = series.length ? String(series[0].bucket_start || "").slice(19) : "";
  if (!offset || offset === "Z" || offset === "+00:00") return "UTC";
  return `local time, UTC${offset}`;
}

function chart(series, { everyRegion = false } = {}) {
  const width = 640, height = 240;
  const left = 44, right = 16, top = 14, bottom = 40;
  const plotWidth = width - left - right, plotHeight = height - top - bottom;
  const slots = series.length || 24;
  const x = (index) => left + ((index + 0.5) / slots) * plotWidth;
  const y = (v) => top + plotHeight - (Math.max(0, Math.min(100, v)) / 100) * plotHeight;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart-svg",
    role: "img",
    "aria-labelledby": "chart-title",
  });
  for (const value of [0, 25, 50, 75, 100]) {
    root.append(svg("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), class: "grid" }));
    root.append(svg("text", { x: left - 6, y: y(value) + 4, class: "tick", "text-anchor": "end" }, String(value)));
  }
  for (let index = 0; index < slots; index += 3) {
    const label = series.length ? hourOf(series[index]) : `${String(index).padStart(2, "0")}:00`;
    const at = left + (index / slots) * plotWidth;
    root.append(svg("line", { x1: at, x2: at, y1: top + plotHeight, y2: top + plotHeight + 4, class: "axis" }));
    root.append(svg("text", { x: at, y: top + plotHeight + 17, class: "tick", "text-anchor": "middle" }, label));
  }
  root.append(svg("line", { x1: left, x2: left, y1: top, y2: top + plotHeight, class: "axis" }));
  root.append(svg("line", { x1: left, x2: width - right, y1: top + plotHeight, y2: top + plotHeight, class: "axis" }));
  root.append(svg("text", { x: left + plotWidth / 2, y: height - 4, class: "axis-label", "text-anchor": "middle" }, `hour of the day (${zoneOf(series, everyRegion)})`));
  root.append(svg("text", { x: 12, y: top + plotHeight / 2, class: "axis-label", "text-anchor": "middle", transform: `rotate(-90 12 ${top + plotHeight / 2})` }, "percent"));
  let anyValue = false;
  for (const line of LINES) {
    let d = "";
    let previous = null;
    series.forEach((bucket, index) => {
      const v = bucket[line.key];
      if (v === null || v === undefined) {
        previous = null;
        return;
      }
      anyValue = true;
      d += `${previous === null ? "M" : "L"}${x(index).toFixed(1)},${y(v).toFixed(1)} `;
      previous = index;
      const dot = svg("circle", { cx: x(index).toFixed(1), cy: y(v).toFixed(1), r: 3, class: `dot ${line.className}` });
      dot.append(svg("title", {}, `${line.label} ${number(v)} at ${hourOf(bucket)}`));
      root.append(dot);
    });
    if (d) root.append(svg("path", { d: d.trim(), class: `line ${line.className}` }));
  }
  if (!anyValue) {
    root.append(svg("text", { x: left + plotWidth / 2, y: top + plotHeight / 2, class: "no-data", "text-anchor": "middle" }, "No survey answers or SLA results yet today"));
  }
  const legend = el(
    "ul",
    { class: "legend" },
    ...LINES.map((line) => el("li", {}, el("span", { class: `swatch ${line.className}`, "aria-hidden": "true" }), line.label)),
  );
  const rows = series
    .filter((s) => LINES.some((line) => s[line.key] !== null && s[line.key] !== undefined))
    .map((s) => [hourOf(s), ...LINES.map((line) => number(s[line.key], " %"))]);
  const data = el(
    "details",
    { class: "chart-data" },
    el("summary", { text: "Chart data" }),
    rows.length ? table(["Hour", ...LINES.map((l) => l.label)], rows, "CSAT and SLA attainment by hour") : empty("No data yet."),
  );
  return [root, legend, data];
}
