// Routing's queues and agents of the chosen region.
import { failure, routing, Unauthorized } from "./api.js";
import { el, empty, showIn, table } from "./dom.js";
import { age, words } from "./format.js";
import { discover, regionName, regionQuery } from "./session.js";
import { state } from "./state.js";

const PRESENCE_ORDER = ["available", "busy", "wrap_up", "away", "offline"];

export async function loadQueues(generation) {
  const region = state.region;
  try {
    const queues = await routing(`/v1/queues${regionQuery()}`);
    if (generation !== state.generation || region !== state.region) return;
    discover(queues);
    if (!queues.length) return showIn("queues", empty(`No cases waiting in ${regionName()} right now.`));
    const all = !region;
    const headings = [
      ...(all ? ["Region"] : []), "Pool", "Waiting", "Offered", "Assigned", "Oldest waiting",
    ];
    const rows = queues.map((q) => [
      ...(all ? [q.region] : []),
      q.pool,
      String(q.waiting),
      String(q.offered),
      String(q.assigned),
      q.oldest_waiting_since ? age(q.oldest_waiting_since) : "—",
    ]);
    showIn("queues", table(headings, rows, `Queues of ${regionName()}`));
  } catch (error) {
    if (!(error instanceof Unauthorized)) showIn("queues", empty(failure("Queues unavailable", error)));
  }
}

function capacityText(agent) {
  const channels = Object.keys(agent.capacity || {}).sort();
  if (!channels.length) return "—";
  return channels.map((c) => `${c} ${agent.load?.[c] ?? 0}/${agent.capacity[c]}`).join(", ");
}

export async function loadAgents(generation) {
  const region = state.region;
  try {
    const agents = await routing(`/v1/agents${regionQuery()}`);
    if (generation !== state.generation || region !== state.region) return;
    discover(agents);
    if (!agents.length) return showIn("agents", empty(`No agents in ${regionName()}.`));
    const rank = (p) => (PRESENCE_ORDER.includes(p) ? PRESENCE_ORDER.indexOf(p) : PRESENCE_ORDER.length);
    agents.sort((a, b) => rank(a.presence) - rank(b.presence) || a.id.localeCompare(b.id));
    const counts = new Map();
    agents.forEach((a) => counts.set(a.presence, (counts.get(a.presence) || 0) + 1));
    const summary = el(
      "ul",
      { class: "presence-summary", "aria-label": "Agents by state" },
      ...[...counts].map(([presence, n]) =>
        el("li", { class: `presence presence-${presence}` }, el("strong", { text: String(n) }), ` ${words(presence)}`),
      ),
    );
    const all = !region;
    const rows = agents.map((a) => [
      a.id,
      ...(all ? [a.region] : []),
      a.team || "—",
      words(a.presence),
      capacityText(a),
      a.presence === "available" && a.idle_since ? age(a.idle_since) : "—",
    ]);
    const headings = ["Agent", ...(all ? ["Region"] : []), "Team", "State", "Load", "Idle for"];
    showIn("agents", summary, table(headings, rows, `Agents of ${regionName()}`));
  } catch (error) {
    if (!(error instanceof Unauthorized)) showIn("agents", empty(failure("Agents unavailable", error)));
  }
}
