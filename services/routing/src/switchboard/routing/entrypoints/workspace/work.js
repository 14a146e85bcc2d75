// The agent's presence and work: offers with their countdown (accept, decline) and the cases
// they hold (open one to read and answer it). Routing's work list is polled every second.
import { failure, routing, Unauthorized } from "./api.js";
import { $, el, notify } from "./dom.js";
import { words } from "./format.js";
import { agentPath } from "./session.js";
import { state } from "./state.js";

let opener = () => {};
export function onOpen(open) {
  opener = open;
}

export async function loadPresence(generation) {
  try {
    const agent = await routing(agentPath());
    if (generation !== state.generation) return;
    showPresence(agent.presence);
  } catch (error) {
    if (error instanceof Unauthorized) return;
    if (error.status === 404) {
      $("presence-state").textContent = "not in routing's agent directory";
      notify(`${state.claims.subject} is not in routing's agent directory: ask an admin to add you.`);
    } else {
      $("presence-state").textContent = "unknown";
    }
  }
}

function showPresence(presence) {
  const picker = $("presence");
  if (document.activeElement !== picker && [...picker.options].some((o) => o.value === presence)) {
    picker.value = presence;
  }
  $("presence-state").textContent = words(presence);
  $("presence-state").dataset.presence = presence;
}

export async function setPresence(presence) {
  try {
    const agent = await routing(`${agentPath()}/presence`, { method: "PUT", body: { presence } });
    showPresence(agent.presence);
    notify(`You are ${words(agent.presence)}.`);
  } catch (error) {
    if (!(error instanceof Unauthorized)) notify(failure("Could not change your presence", error));
    loadPresence(state.generation);
  }
}

export async function loadWork(generation) {
  const cases = await routing(`${agentPath()}/work`);
  if (generation !== state.generation) return;
  const before = state.work;
  state.work = new Map(cases.map((c) => [c.case_id, c]));
  for (const [id] of before) {
    if (!state.work.has(id) && id === state.openCase) notify(`Case ${id} is no longer yours.`);
  }
  renderWork();
}

function remaining(item) {
  if (!item.offer_expires_at) return null;
  return Math.max(0, Math.ceil((Date.parse(item.offer_expires_at) - Date.now()) / 1000));
}

export function renderWork() {
  const list = $("work");
  for (const [id, row] of state.rows) {
    if (!state.work.has(id)) {
      row.remove();
      state.rows.delete(id);
    }
  }
  const order = { offered: 0, assigned: 1, wrap_up: 2 };
  const items = [...state.work.values()].sort(
    (a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3) || a.case_id.localeCompare(b.case_id),
  );
  const rows = items.map((item) => {
    const row = state.rows.get(item.case_id) || buildRow(item.case_id);
    state.rows.set(item.case_id, row);
    fillRow(row, item);
    return row;
  });
  const current = [...list.children];
  if (rows.length !== current.length || rows.some((row, i) => row !== current[i])) list.append(...rows);
  $("work-empty").textContent = "No offers and no cases right now.";
  $("work-empty").hidden = items.length > 0;
  list.dataset.loaded = "true";
}

function buildRow(id) {
  const row = el("li", { class: "work-item", "data-case-id": id });
  const buttons = el(
    "div",
    { class: "actions" },
    el("button", { type: "button", class: "accept", text: "Accept" }),
    el("button", { type: "button", class: "secondary decline", text: "Decline" }),
    el("button", { type: "button", class: "secondary open", text: "Open" }),
  );
  row.append(
    el("p", { class: "headline" },
      el("span", { class: "channel" }), " ", el("strong", { class: "case-id", text: id })),
    el("p", { class: "facts" }),
    el("p", { class: "countdown", role: "timer" }),
    buttons,
  );
  buttons.querySelector(".accept").addEventListener("click", () => answer(id, "accept"));
  buttons.querySelector(".decline").addEventListener("click", () => answer(id, "decline"));
  buttons.querySelector(".open").addEventListener("click", () => opener(id));
  return row;
}

function fillRow(row, item) {
  row.dataset.state = item.state;
  row.classList.toggle("is-open", item.case_id === state.openCase);
  row.querySelector(".channel").textContent = item.channel;
  row.querySelector(".channel").className = `channel channel-${item.channel}`;
  const facts = [words(item.state), item.language, item.region, item.department].filter(Boolean);
  row.querySelector(".facts").textContent = facts.join(" · ");
  const seconds = remaining(item);
  const countdown = row.querySelector(".countdown");
  countdown.hidden = item.state !== "offered" || seconds === null;
  countdown.textContent = seconds === null ? "" : `${seconds} s left to accept`;
  countdown.dataset.seconds = seconds === null ? "" : String(seconds);
  const busy = row.dataset.busy === "true";
  const offered = item.state === "offered";
  row.querySelector(".accept").hidden = !offered;
  row.querySelector(".decline").hidden = !offered;
  row.querySelector(".open").hidden = offered;
  row.querySelectorAll("button").forEach((b) => (b.disabled = busy));
}

async function answer(id, action) {
  const row = state.rows.get(id);
  if (row) row.dataset.busy = "true";
  try {
    const body = action === "decline" ? {} : undefined;
    const item = await routing(`/v1/cases/${encodeURIComponent(id)}/${action}`, { method: "POST", body });
    if (action === "accept") {
      state.work.set(id, { ...state.work.get(id), ...item, offer_expires_at: null });
      notify(`Case ${id} is yours.`);
      opener(id);
    } else {
      state.work.delete(id);
      notify(`Declined case ${id}.`);
    }
  } catch (error) {
    if (!(error instanceof Unauthorized)) notify(failure(`Could not ${action} case ${id}`, error));
  } finally {
    if (row) row.dataset.busy = "false";
    renderWork();
  }
}

// Between polls the countdowns still tick.
export function tickCountdowns() {
  for (const [id, row] of state.rows) {
    const item = state.work.get(id);
    if (item) fillRow(row, item);
  }
}
