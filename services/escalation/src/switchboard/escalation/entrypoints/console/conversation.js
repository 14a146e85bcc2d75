// A case's conversation, read-only, from intake: coordinators read any case of their region
// (intake answers 403 for others). Every page is fetched; the open one is refreshed every
// few seconds. Customers' text is untrusted: textContent only, an e-mail's HTML not rendered.
import { failure, intake, Unauthorized } from "./api.js";
import { $, el } from "./dom.js";
import { when, words } from "./format.js";
import { later, state } from "./state.js";

const PAGE_SIZE = 200;
const MAX_PAGES = 50;
const POLL_MS = 3000;
let openCaseId = null;
let nodes = new Map();

async function allMessages(caseId) {
  const base = `/v1/cases/${encodeURIComponent(caseId)}/messages?limit=${PAGE_SIZE}`;
  let page = await intake(base);
  const messages = [...page.messages];
  for (let pages = 1; page.next && pages < MAX_PAGES; pages += 1) {
    page = await intake(`${base}&after=${encodeURIComponent(page.next)}`);
    messages.push(...page.messages);
  }
  return { ...page, messages };
}

export function openConversation(caseId) {
  const id = String(caseId || "").trim();
  if (!id) return;
  openCaseId = id;
  nodes = new Map();
  $("conversation-case").value = id;
  $("conversation-title").textContent = `Conversation · case ${id}`;
  $("conversation-messages").replaceChildren();
  $("conversation-messages").dataset.loaded = "false";
  $("conversation-close").hidden = false;
  $("conversation-note").textContent = "Loading the conversation…";
  $("conversation-note").hidden = false;
  $("conversation-panel").scrollIntoView({ block: "nearest" });
  refresh(state.generation, id);
}

export function closeConversation() {
  openCaseId = null;
  nodes = new Map();
  $("conversation-title").textContent = "Conversation";
  $("conversation-messages").replaceChildren();
  $("conversation-messages").hidden = true;
  $("conversation-facts").hidden = true;
  $("conversation-close").hidden = true;
  $("conversation-note").textContent = "Open a case from an escalation (Conversation), or give its id.";
  $("conversation-note").hidden = false;
}

async function refresh(generation, caseId) {
  if (generation !== state.generation || caseId !== openCaseId) return;
  try {
    const conversation = await allMessages(caseId);
    if (generation !== state.generation || caseId !== openCaseId) return;
    render(conversation);
  } catch (error) {
    if (error instanceof Unauthorized || caseId !== openCaseId) return;
    $("conversation-note").textContent = failure(`Conversation of case ${caseId} unavailable`, error);
    $("conversation-note").hidden = false;
  }
  later(() => refresh(generation, caseId), POLL_MS);
}

function senderText(message) {
  const sender = message.sender || {};
  if (message.direction === "outbound") return `${sender.id || "system"} (${sender.kind || "system"})`;
  return sender.name || sender.address || sender.id || "customer";
}

function render(conversation) {
  const facts = [
    conversation.channel, conversation.language, conversation.region, conversation.status,
    conversation.held_by ? `held by ${conversation.held_by}` : "held by nobody",
    conversation.subject ? `“${conversation.subject}”` : null,
  ].filter(Boolean);
  $("conversation-facts").textContent = facts.join(" · ");
  $("conversation-facts").hidden = false;
  const list = $("conversation-messages");
  for (const message of conversation.messages) {
    let node = nodes.get(message.id);
    if (!node) {
      node = el("li", { class: `message message-${message.direction}`, "data-message-id": message.id },
        el("p", { class: "meta" },
          el("span", { class: "sender", text: senderText(message) }), " · ",
          el("time", { datetime: message.at, text: when(message.at) })),
        message.subject ? el("p", { class: "subject", text: message.subject }) : "",
        el("p", { class: "text", text: message.text || "" }),
        message.direction === "outbound" ? el("p", { class: "delivery" }) : "");
      nodes.set(message.id, node);
      list.append(node);
    }
    const delivery = node.querySelector(".delivery");
    if (delivery) {
      delivery.textContent = `Delivery: ${words(message.delivery)}${message.delivery_error ? ` (${message.delivery_error})` : ""}`;
    }
  }
  list.hidden = false;
  list.dataset.loaded = "true";
  $("conversation-note").textContent = conversation.messages.length ? "" : "No messages.";
  $("conversation-note").hidden = conversation.messages.length > 0;
}
