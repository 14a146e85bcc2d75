// Staffing per pool now and forecast for the next intervals (routing's advisor: agents
// required against available, the short pools and intervals marked) and the pools' open staffing alerts (escalation), kept in step with the
// live stream, each acknowledgeable by a coordinator of its region.
import { escalation, failure, routing, Unauthorized } from "./api.js";
import { $, el, empty, showIn } from "./dom.js";
import { age } from "./format.js";
import { discover, regionName, regionQuery } from "./session.js";
import { state } from "./state.js";

const alerts = { generation: -1, byId: new Map() };

const percent = (share) => `${Math.round(share * 100)} %`;
const hourMinute = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

// "14:00 need 5 / have 3" per next interval, the short ones marked; routing sends none when
// it has no past day to forecast from.
function nextCell(pool) {
  const next = pool.next ?? [];
  if (!next.length) return el("td", { "data-label": "Next", class: "next", text: "no history yet" });
  const items = next.map((n) =>
    el("span", {
      class: n.short ? "forecast short" : "forecast",
      title: `${n.expected_arrivals.toFixed(1)} cases expected (mean of ${n.days_averaged} days), ${percent(n.expected_service_level)} answered in time with the agents available now`,
      text: `${hourMinute.format(new Date(n.interval_start))} need ${n.agents_required} / have ${n.agents_available}`,
    }),
  );
  return el("td", { "data-label": "Next", class: "next" }, ...items);
}

// The panel's own line, not the page's notice: alerts come and go on their own rhythm.
const say = (message) => {
  $("staffing-notice").textContent = message;
};

function currentAlerts(generation) {
  if (alerts.generation !== generation) {
    alerts.generation = generation;
    alerts.byId = new Map();
  }
  return alerts.byId;
}

export async function loadStaffing(generation) {
  const region = state.region;
  try {
    const pools = await routing(`/v1/staffing${regionQuery()}`);
    if (generation !== state.generation || region !== state.region) return;
    discover(pools);
    if (!pools.length) return showIn("staffing", empty(`No pool in ${regionName()} had cases this interval.`));
    pools.sort((a, b) => Number(b.short) - Number(a.short) || a.pool.localeCompare(b.pool));
    const headings = ["Pool", "Arrivals", "Load", "Required", "Available", "Service level", "Target", "Next"];
    const rows = pools.map((p) => {
      const short = p.agents_required - p.agents_available;
      return el(
        "tr",
        { class: p.short ? "short" : null, "data-pool": p.pool },
        ...[
          p.pool,
          String(p.arrivals),
          `${(Math.round(p.load_erlangs * 10) / 10).toFixed(1)} E`,
          String(p.agents_required),
          p.short ? `${p.agents_available} (short ${short})` : String(p.agents_available),
          percent(p.expected_service_level),
          `${percent(p.target_share)} in ${Math.round(p.target_answer_seconds)} s`,
        ].map((text, i) => el("td", { "data-label": headings[i], class: i === 4 ? "available" : null, text })),
        nextCell(p),
      );
    });
    showIn(
      "staffing",
      el(
        "table",
        { class: "data staffing-table" },
        el("caption", { class: "visually-hidden", text: `Staffing of ${regionName()} now` }),
        el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...rows),
      ),
    );
  } catch (error) {
    if (!(error instanceof Unauthorized)) showIn("staffing", empty(failure("Staffing unavailable", error)));
  }
}

export async function loadStaffingAlerts(generation) {
  try {
    const listed = await escalation("/v1/staffing-alerts?status=active&limit=500");
    if (generation !== state.generation) return;
    const known = currentAlerts(generation);
    known.clear();
    listed.forEach((a) => known.set(a.alert_id, a));
    discover(listed);
    renderStaffingAlerts();
  } catch (error) {
    if (!(error instanceof Unauthorized)) showIn("staffing-alerts", empty(failure("Staffing alerts unavailable", error)));
  }
}

export function applyStaffingAlertEvent(type, data, generation) {
  const known = currentAlerts(generation);
  const id = data.alert_id;
  switch (type.split(".").pop()) {
    case "raised":
      known.set(id, { ...data, status: "raised" });
      say(`Pool ${data.pool} is short of agents: ${data.agents_available} of ${data.agents_required} needed.`);
      break;
    case "acknowledged":
      if (known.has(id)) known.set(id, { ...known.get(id), status: "acknowledged", acknowledged_by: data.by.id });
      break;
    case "resolved":
      if (known.delete(id)) say(`Pool ${data.pool} has the agents it needs again.`);
      break;
    default:
      return;
  }
  renderStaffingAlerts();
}

async function acknowledge(id, button) {
  button.disabled = true;
  try {
    const taken = await escalation(`/v1/staffing-alerts/${encodeURIComponent(id)}/acknowledge`, { method: "POST", body: {} });
    currentAlerts(state.generation).set(id, taken);
    renderStaffingAlerts();
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof Unauthorized)) say(failure("Could not acknowledge the staffing alert", error));
  }
}

function alertItem(alert) {
  const missing = Math.max(alert.agents_required - alert.agents_available, 0);
  const facts = el(
    "p",
    { class: "alert-facts" },
    el("strong", { class: "pool", text: alert.pool }),
    ` short ${missing}: ${alert.agents_available} of ${alert.agents_required} agents, `,
    `${percent(alert.expected_service_level)} expected vs ${percent(alert.target_share)} target · `,
    el("span", { class: "age", text: `raised ${age(alert.raised_at)} ago` }),
  );
  const status = el("span", { class: `status status-${alert.status}`, text: alert.status });
  const item = el("li", { class: "staffing-alert", "data-alert-id": alert.alert_id, "data-status": alert.status }, facts, status);
  if (alert.status === "raised") {
    const button = el("button", { type: "button", class: "acknowledge", text: "Acknowledge" });
    button.addEventListener("click", () => acknowledge(alert.alert_id, button));
    item.append(button);
  } else if (alert.acknowledged_by) {
    item.append(el("span", { class: "by", text: `by ${alert.acknowledged_by}` }));
  }
  return item;
}

export function renderStaffingAlerts() {
  const shown = [...currentAlerts(state.generation).values()]
    .filter((a) => !state.region || a.region === state.region)
    .sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));
  const container = $("staffing-alerts");
  if (!shown.length) showIn("staffing-alerts", empty(`No staffing alerts in ${regionName()}.`));
  else showIn("staffing-alerts", el("ul", { class: "staffing-alerts" }, ...shown.map(alertItem)));
  container.dataset.loaded = "true";
}
