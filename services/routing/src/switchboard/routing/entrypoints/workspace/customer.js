// The open case's customer from intake: identities, language, tier and VIP, their case
// history and coordinators' notes (read-only here: intake lets coordinators of the
// customer's regions and admins add notes, not agents).
import { failure, intake, Unauthorized } from "./api.js";
import { $, el, empty, table } from "./dom.js";
import { when, words } from "./format.js";
import { state } from "./state.js";

export async function loadCustomer(generation, customerId) {
  try {
    const record = await intake(`/v1/customers/${encodeURIComponent(customerId)}`);
    if (generation !== state.generation || customerId !== state.customerId) return;
    renderCustomer(record);
  } catch (error) {
    if (error instanceof Unauthorized || customerId !== state.customerId) return;
    state.customerId = null; // tried again on the next poll
    $("customer").replaceChildren(empty(failure("Customer record unavailable", error)));
  }
}

function renderCustomer(record) {
  const facts = el(
    "dl",
    { class: "facts-list" },
    ...[
      ["Name", record.display_name || "—"],
      ["Customer", record.id],
      ["Language", record.language || "—"],
      ["Tier", record.tier || "—"],
      ["VIP", record.vip ? "yes" : "no"],
      ["Home region", record.region || "—"],
      ["Customer since", when(record.created_at)],
    ].flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]),
  );
  const identities = el(
    "ul",
    { class: "identities", "aria-label": "Identities" },
    ...(record.identities || []).map((i) => el("li", { text: `${words(i.kind)}: ${i.value}` })),
  );
  const cases = record.cases || [];
  const history = cases.length
    ? table(
        ["Case", "Channel", "Status", "Subject", "Opened", "Outcome"],
        cases.map((c) => [
          c.case_id + (c.case_id === state.openCase ? " (open here)" : ""),
          c.channel,
          c.status,
          c.subject || "—",
          when(c.opened_at),
          c.resolution_code ? words(c.resolution_code) : c.held_by ? `held by ${c.held_by}` : "—",
        ]),
        "The customer's cases, newest first",
      )
    : empty("No cases.");
  const notes = (record.notes || []).length
    ? el("ul", { class: "notes" }, ...record.notes.map((n) =>
        el("li", {}, el("p", { class: "note-text", text: n.text }),
          el("p", { class: "meta", text: `${n.author} · ${when(n.created_at)}` }))))
    : empty("No notes.");
  const whoWrites = el("p", { class: "help", id: "notes-help",
    text: "Notes are added by the coordinators of the customer's regions; ask one to add yours." });
  $("customer").replaceChildren(
    facts,
    el("h3", { text: "Identities" }), identities,
    el("h3", { text: "History" }), el("div", { class: "history" }, history),
    el("h3", { text: "Notes" }), notes, whoWrites,
  );
  $("customer").dataset.customerId = record.id;
}
