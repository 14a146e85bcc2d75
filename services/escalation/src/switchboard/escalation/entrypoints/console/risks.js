// Cases at risk: waiting cases of the chosen region whose offer, at their pool's present
// pace, comes too late for the first response (escalation's GET /v1/at-risk). A case
// leaves the list when it is offered or answered.
import { escalation, failure, Unauthorized } from "./api.js";
import { empty, showIn, table } from "./dom.js";
import { age, when } from "./format.js";
import { regionName, regionQuery } from "./session.js";
import { state } from "./state.js";

function expected(item) {
  if (!item.expected_offer_at) return "none in sight";
  return when(item.expected_offer_at);
}

function pace(item) {
  if (item.served_per_minute === null || item.served_per_minute === undefined) return "—";
  return `${Math.round(item.served_per_minute * 100) / 100} / min`;
}

export async function loadAtRisk(generation) {
  const region = state.region;
  try {
    const cases = await escalation(`/v1/at-risk${regionQuery()}`);
    if (generation !== state.generation || region !== state.region) return;
    if (!cases.length) return showIn("at-risk", empty(`No case in ${regionName()} is predicted to breach.`));
    const all = !region;
    const headings = [
      "Case", ...(all ? ["Region"] : []), "Priority", "Ahead", "Pace", "Offer expected", "Due", "At risk for",
    ];
    const rows = cases.map((item) => [
      item.case_id,
      ...(all ? [item.region] : []),
      String(item.priority),
      item.queue_position === null ? "—" : String(item.queue_position),
      pace(item),
      expected(item),
      item.due_at ? `${when(item.due_at)}${item.breached ? " (breached)" : ""}` : "—",
      age(item.predicted_at),
    ]);
    showIn("at-risk", table(headings, rows, `Cases of ${regionName()} predicted to breach their first response`));
  } catch (error) {
    if (!(error instanceof Unauthorized)) showIn("at-risk", empty(failure("Cases at risk unavailable", error)));
  }
}
