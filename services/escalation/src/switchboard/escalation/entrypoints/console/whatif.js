// What-if: the recorded day replayed by routing (POST /v1/what-if) as recorded and under
// another policy document or staffing, side by side per pool. Nothing runs until asked.
import { failure, routing, Unauthorized } from "./api.js";
import { $, el, empty, showIn } from "./dom.js";
import { state } from "./state.js";

const seconds = (value) => (value === null || value === undefined ? "—" : `${value.toFixed(1)} s`);
const share = (value) => (value === null || value === undefined ? "—" : `${Math.round(value * 100)} %`);

const MEASURES = [
  ["Offered", (p) => `${p.offered} of ${p.visits}`],
  ["Wait mean", (p) => seconds(p.wait_mean)],
  ["Wait p50", (p) => seconds(p.wait_p50)],
  ["Wait p90", (p) => seconds(p.wait_p90)],
  ["Service level", (p) => `${share(p.service_level)} in ${Math.round(p.target_seconds)} s`],
  ["Agents", (p) => String(p.agents)],
  ["Offers per agent", (p) => (p.offers_per_agent === null ? "—" : p.offers_per_agent.toFixed(1))],
];

function request() {
  const minutes = Number($("whatif-minutes").value) || 60;
  const end = new Date();
  const start = new Date(end.getTime() - minutes * 60000);
  const staffing = $("whatif-staffing").value.split(/[\s,]+/).filter(Boolean);
  const policies = $("whatif-policies").value;
  const alternatives = staffing.length || policies.trim()
    ? [{ name: $("whatif-name").value.trim() || "alternative", staffing, policies_yaml: policies || null }]
    : [];
  return { start: start.toISOString(), end: end.toISOString(), alternatives };
}

function comparison(result) {
  const runs = result.alternatives;
  const pools = [...new Set(runs.flatMap((run) => run.pools.map((p) => p.pool)))].sort();
  const headings = ["Pool", "Measure", ...runs.map((run) => run.name)];
  const rows = pools.flatMap((pool) =>
    MEASURES.map(([label, show]) =>
      el(
        "tr",
        { "data-pool": pool, "data-measure": label },
        el("td", { "data-label": "Pool", text: pool }),
        el("td", { "data-label": "Measure", text: label }),
        ...runs.map((run) => {
          const found = run.pools.find((p) => p.pool === pool);
          return el("td", { "data-label": run.name, "data-run": run.name, text: found ? show(found) : "—" });
        }),
      ),
    ),
  );
  return el(
    "table",
    { class: "data whatif-table" },
    el("caption", { class: "visually-hidden", text: "The day as recorded and replayed, per pool" }),
    el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows),
  );
}

function summary(result) {
  const replays = result.alternatives.filter((run) => run.name !== "recorded");
  const speed = replays
    .map((run) => `${run.name}: ${run.speedup ? Math.round(run.speedup).toLocaleString("en") : "∞"}× real time`)
    .join(", ");
  return el("p", {
    class: "whatif-summary",
    text: `${result.visits} visits to the queues, ${result.agents} agents over ${Math.round(result.day_seconds)} s; replayed ${speed}. Abandonment is not recorded.`,
  });
}

export async function runWhatIf() {
  const generation = state.generation;
  const button = $("whatif-run");
  button.disabled = true;
  showIn("whatif-result", empty("Replaying the day…"));
  try {
    const result = await routing("/v1/what-if", { method: "POST", body: request() });
    if (generation !== state.generation) return;
    if (!result.visits) showIn("whatif-result", empty("No case was queued in that time."));
    else showIn("whatif-result", summary(result), comparison(result));
    $("whatif-result").dataset.loaded = "true";
  } catch (error) {
    if (!(error instanceof Unauthorized)) showIn("whatif-result", empty(failure("What-if failed", error)));
  } finally {
    button.disabled = false;
  }
}
