// The open and acknowledged escalations: the list, kept in step with the stream, and the
// coordinator's actions on each row (acknowledge, hand over, resolve).
import { escalation, failure, Unauthorized } from "./api.js";
import { openConversation } from "./conversation.js";
import { $, el, notify } from "./dom.js";
import { age, when, words } from "./format.js";
import { discover } from "./session.js";
import { state } from "./state.js";

const TRIGGER_LABELS = {
  reply_delivery_failed: "reply not delivered",
};

function triggerLabel(trigger) {
  return TRIGGER_LABELS[trigger] || words(trigger);
}

export async function loadEscalations(generation) {
  const lists = await Promise.all(
    ["open", "acknowledged"].map((status) => escalation(`/v1/escalations?status=${status}&limit=500`)),
  );
  if (generation !== state.generation) return;
  state.escalations = new Map(lists.flat().map((e) => [e.escalation_id, e]));
  discover(lists.flat());
  renderEscalations();
}

function upsert(item) {
  if (item.status === "resolved") {
    state.escalations.delete(item.escalation_id);
  } else {
    state.escalations.set(item.escalation_id, { ...state.escalations.get(item.escalation_id), ...item });
  }
  renderEscalations();
}

async function refetch(id, generation) {
  try {
    const item = await escalation(`/v1/escalations/${encodeURIComponent(id)}`);
    if (generation === state.generation) upsert(item);
  } catch (error) {
    if (!(error instanceof Unauthorized)) notify(failure(`Could not refresh escalation ${id}`, error));
  }
}

export function applyEvent(type, data, generation) {
  const id = data.escalation_id;
  const known = state.escalations.get(id);
  switch (type.split(".").pop()) {
    case "raised":
      upsert({
        escalation_id: id,
        case_id: data.case_id,
        region: data.region,
        trigger: data.trigger,
        level: data.level,
        reason: data.reason,
        priority: data.priority,
        raised_at: data.raised_at,
        acknowledge_by: data.ack_deadline,
        status: "open",
      });
      // A reason that may quote the customer comes sealed: the API shows it.
      if (data.sealed) refetch(id, generation);
      discover([data]);
      notify(`New escalation for case ${data.case_id} in ${data.region}.`);
      break;
    case "acknowledged":
      if (known) upsert({ escalation_id: id, status: "acknowledged", level: data.level, acknowledged_by: data.by.id });
      else refetch(id, generation);
      break;
    case "escalated":
      if (known) upsert({ escalation_id: id, status: "open", level: data.to_level });
      refetch(id, generation);
      break;
    case "resolved":
      if (known) notify(`Escalation for case ${data.case_id} resolved by ${data.by.id}.`);
      upsert({ escalation_id: id, status: "resolved" });
      break;
    default:
      break;
  }
}

function visibleEscalations() {
  const statusRank = { open: 0, acknowledged: 1 };
  return [...state.escalations.values()]
    .filter((e) => !state.region || e.region === state.region)
    .sort((a, b) => statusRank[a.status] - statusRank[b.status] || Date.parse(b.raised_at) - Date.parse(a.raised_at));
}

export function renderEscalations() {
  const body = $("escalation-rows");
  const shown = visibleEscalations();
  for (const [id, row] of state.rows) {
    if (!shown.some((e) => e.escalation_id === id)) {
      row.remove();
      state.rows.delete(id);
    }
  }
  const ordered = shown.map((item) => {
    const row = state.rows.get(item.escalation_id) || buildRow(item.escalation_id);
    state.rows.set(item.escalation_id, row);
    fillRow(row, item);
    return row;
  });
  const current = [...body.children];
  if (ordered.length !== current.length || ordered.some((row, i) => row !== current[i])) {
    body.append(...ordered);
  }
  const where = state.region ? ` in ${state.region}` : "";
  $("escalations-empty").textContent = "No open escalations" + where + ".";
  $("escalations-empty").hidden = shown.length > 0;
  body.parentElement.hidden = shown.length === 0;
  $("escalation-list").dataset.loaded = "true";
}

function cell(label, className) {
  return el("td", { "data-label": label, class: className });
}

function buildRow(id) {
  const row = el("tr", { "data-escalation-id": id });
  const reassignInput = el("input", { type: "text", id: `reassign-${id}`, autocomplete: "off", required: true, maxlength: 128 });
  const reassignForm = el(
    "form",
    { class: "reassign", hidden: true },
    el("label", { for: `reassign-${id}`, text: "Hand over to coordinator" }),
    reassignInput,
    el("button", { type: "submit", text: "Hand over" }),
    el("button", { type: "button", class: "secondary cancel", text: "Cancel" }),
  );
  const buttons = el(
    "div",
    { class: "actions" },
    el("button", { type: "button", class: "acknowledge", text: "Acknowledge" }),
    el("button", { type: "button", class: "secondary reassign-open", text: "Reassign…" }),
    el("button", { type: "button", class: "secondary resolve", text: "Resolve" }),
    el("button", { type: "button", class: "secondary conversation", text: "Conversation" }),
  );
  const actions = cell("Actions", "actions-cell");
  actions.append(buttons, reassignForm);
  row.append(
    cell("Case", "case"), cell("Region", "region"), cell("Level", "level"), cell("Reason", "reason"),
    cell("Raised", "raised"), cell("Status", "status-cell"), actions,
  );
  buttons.querySelector(".acknowledge").addEventListener("click", () => act(id, "acknowledge", {}));
  buttons.querySelector(".resolve").addEventListener("click", () => act(id, "resolve", {}));
  buttons.querySelector(".conversation").addEventListener("click", () => {
    const item = state.escalations.get(id);
    if (item) openConversation(item.case_id);
  });
  buttons.querySelector(".reassign-open").addEventListener("click", () => {
    reassignForm.hidden = false;
    buttons.hidden = true;
    reassignInput.focus();
  });
  const closeForm = () => {
    reassignForm.hidden = true;
    buttons.hidden = false;
    reassignInput.value = "";
  };
  reassignForm.querySelector(".cancel").addEventListener("click", closeForm);
  reassignForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const to = reassignInput.value.trim();
    if (!to) {
      reassignInput.focus();
      return;
    }
    if (await act(id, "reassign", { to })) closeForm();
  });
  return row;
}

function fillRow(row, item) {
  const text = (selector, value, title) => {
    const node = row.querySelector(selector);
    node.textContent = value;
    if (title) node.title = title;
  };
  text(".case", item.case_id);
  text(".region", item.region);
  text(".level", `L${item.level}`);
  text(".reason", item.reason || triggerLabel(item.trigger), triggerLabel(item.trigger));
  const raised = row.querySelector(".raised");
  raised.replaceChildren(
    el("time", { datetime: item.raised_at, text: when(item.raised_at) }),
    el("span", { class: "age", text: ` · ${age(item.raised_at)} ago` }),
  );
  const by = item.status === "acknowledged" ? item.acknowledged_by : item.assignee;
  const statusCell = row.querySelector(".status-cell");
  statusCell.replaceChildren(
    el("span", { class: `status status-${item.status}`, text: item.status }),
    by ? el("span", { class: "by", text: item.status === "acknowledged" ? `by ${by}` : `to ${by}` }) : "",
  );
  row.dataset.status = item.status;
  const busy = row.dataset.busy === "true";
  row.querySelectorAll("button").forEach((button) => (button.disabled = busy));
  row.querySelector(".acknowledge").disabled = busy || item.status !== "open";
}

async function act(id, action, body) {
  const row = state.rows.get(id);
  if (row) {
    row.dataset.busy = "true";
    row.querySelectorAll("button").forEach((button) => (button.disabled = true));
  }
  try {
    const item = await escalation(`/v1/escalations/${encodeURIComponent(id)}/${action}`, { method: "POST", body });
    upsert(item);
    notify(`Case ${item.case_id}: ${action === "reassign" ? `handed over to ${body.to}` : item.status}.`);
    return true;
  } catch (error) {
    if (!(error instanceof Unauthorized)) notify(failure(`Could not ${action} the escalation`, error));
    return false;
  } finally {
    if (row) row.dataset.busy = "false";
    const item = state.escalations.get(id);
    if (row && item) fillRow(row, item);
  }
}
