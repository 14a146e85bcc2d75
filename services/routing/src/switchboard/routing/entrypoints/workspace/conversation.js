// The open case: its conversation from intake (every page, polled every 2 s), the reply form
// for its channel, and what the agent does with the case (transfer, resolve, wrap-up).
// Customers' text is untrusted: it goes into the page through textContent only; an e-mail's
// HTML (sanitised by intake) is shown in a sandboxed frame (mail.js), its plain text
// one click away.
import { failure, HttpError, intake, routing, Unauthorized } from "./api.js";
import { $, el, notify } from "./dom.js";
import { when, words } from "./format.js";
import { loadCustomer } from "./customer.js";
import { emailBody } from "./mail.js";
import { state } from "./state.js";
import { renderWork } from "./work.js";

const LIMITS = { email: 100000, chat: 4000, social: 2000 };
const PAGE_SIZE = 200;
const MAX_PAGES = 50;

export function openCase(caseId) {
  if (state.openCase !== caseId) {
    state.openCase = caseId;
    state.conversation = null;
    state.customerId = null;
    state.prefilledFor = null;
    state.messageNodes.clear();
    $("messages").replaceChildren();
    $("messages").dataset.loaded = "false";
    $("reply-text").value = "";
    $("reply-subject").value = "";
    $("customer").replaceChildren(el("p", { class: "empty", text: "Loading the customer…" }));
  }
  $("case-title").textContent = `Conversation · case ${caseId}`;
  $("case-empty").hidden = true;
  $("case").hidden = false;
  showCaseState();
  renderWork();
  loadConversation(state.generation);
}

export function showCaseState() {
  const item = state.work.get(state.openCase);
  const caseState = item ? item.state : "closed";
  $("case-state").textContent = item ? words(item.state) : "no longer yours";
  $("case-state").dataset.state = caseState;
  const holding = caseState === "assigned";
  $("transfer-form").hidden = !holding;
  $("resolve-form").hidden = !holding;
  $("wrap-up").hidden = caseState !== "wrap_up";
  const channel = state.conversation?.channel || item?.channel;
  const writable = holding && channel in LIMITS;
  $("reply-form").hidden = !writable;
  $("reply-none").hidden = !(holding && channel === "phone");
}

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

export async function loadConversation(generation) {
  const caseId = state.openCase;
  if (!caseId) return;
  const note = $("messages-note");
  try {
    const conversation = await allMessages(caseId);
    if (generation !== state.generation || caseId !== state.openCase) return;
    state.conversation = conversation;
    note.hidden = true;
    renderConversation();
    if (state.customerId !== conversation.customer_id) {
      state.customerId = conversation.customer_id;
      loadCustomer(generation, conversation.customer_id);
    }
  } catch (error) {
    if (error instanceof Unauthorized || caseId !== state.openCase) return;
    // Right after an accept, intake may not yet have heard that the case is ours.
    const waiting = error instanceof HttpError && error.status === 403 && state.work.has(caseId);
    note.textContent = waiting
      ? "Waiting for intake to hand you the conversation…"
      : failure("Conversation unavailable", error);
    note.hidden = false;
  }
}

function renderConversation() {
  const conversation = state.conversation;
  const facts = [
    conversation.channel,
    conversation.language,
    conversation.region,
    conversation.status,
    conversation.subject ? `“${conversation.subject}”` : null,
  ].filter(Boolean);
  $("case-facts").textContent = facts.join(" · ");
  const list = $("messages");
  for (const message of conversation.messages) {
    let node = state.messageNodes.get(message.id);
    if (!node) {
      node = buildMessage(message);
      state.messageNodes.set(message.id, node);
      list.append(node);
    }
    fillDelivery(node, message);
  }
  list.dataset.loaded = "true";
  list.dataset.count = String(conversation.messages.length);
  showCaseState();
  prefill();
}

function senderText(message) {
  const sender = message.sender || {};
  if (message.direction === "outbound") {
    return sender.kind === "agent" ? `${sender.id} (agent)` : `${sender.id || "system"} (${sender.kind || "system"})`;
  }
  return sender.name || sender.address || sender.id || "customer";
}

function buildMessage(message) {
  const node = el("li", {
    class: `message message-${message.direction}`,
    "data-message-id": message.id,
    "data-direction": message.direction,
  });
  node.append(
    el("p", { class: "meta" },
      el("span", { class: "sender", text: senderText(message) }),
      " · ",
      el("time", { datetime: message.at, text: when(message.at) }),
      message.outcome ? el("span", { class: "outcome", text: ` · ${message.outcome}` }) : ""),
  );
  if (message.subject) node.append(el("p", { class: "subject", text: message.subject }));
  const text = el("p", { class: "text", text: message.text || "" });
  if (message.html) {
    node.append(emailBody(message.html, `E-mail from ${senderText(message)}`),
      el("details", { class: "plain-text" }, el("summary", { text: "Plain text" }), text));
  } else {
    node.append(text);
  }
  if (message.attachments?.length) {
    node.append(el("ul", { class: "attachments" },
      ...message.attachments.map((a) =>
        el("li", { text: `${a.filename || "attachment"} (${a.content_type}, ${a.size_bytes} bytes)` }))));
  }
  if (message.direction === "outbound") node.append(el("p", { class: "delivery" }));
  return node;
}

function fillDelivery(node, message) {
  const delivery = node.querySelector(".delivery");
  if (!delivery) return;
  delivery.textContent = `Delivery: ${words(message.delivery)}${message.delivery_error ? ` (${message.delivery_error})` : ""}`;
  delivery.dataset.delivery = message.delivery;
  node.dataset.delivery = message.delivery;
}

// The reply form for the case's channel: e-mail with subject "Re: …" and the customer's last
// message quoted, chat and social short replies within the channel's limit.
function prefill() {
  const conversation = state.conversation;
  const channel = conversation.channel;
  const limit = LIMITS[channel];
  const text = $("reply-text");
  if (limit) text.maxLength = limit;
  text.rows = channel === "email" ? 10 : 3;
  $("reply-subject-row").hidden = channel !== "email";
  updateCount();
  if (state.prefilledFor === state.openCase) return;
  state.prefilledFor = state.openCase;
  if (channel !== "email") return;
  const subject = conversation.subject || "";
  $("reply-subject").value = /^re:/i.test(subject) ? subject : `Re: ${subject}`.trim();
  const last = [...conversation.messages].reverse().find((m) => m.direction === "inbound");
  if (last && !text.value) {
    const quoted = (last.text || "").split("\n").map((line) => `> ${line}`).join("\n");
    text.value = `\n\nOn ${when(last.at)}, ${senderText(last)} wrote:\n${quoted}`;
    updateCount();
  }
}

export function updateCount() {
  const channel = state.conversation?.channel;
  const limit = LIMITS[channel];
  const used = $("reply-text").value.length;
  $("reply-count").textContent = limit ? `${used} / ${limit}` : "";
}

// 128 random bits in hex (crypto.randomUUID needs a secure context; this does not).
function randomKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sendReply() {
  const caseId = state.openCase;
  const conversation = state.conversation;
  const text = $("reply-text").value;
  if (!caseId || !conversation) return;
  if (!text.trim()) {
    notify("Write a reply first.");
    $("reply-text").focus();
    return;
  }
  const body = { text };
  if (conversation.channel === "email" && $("reply-subject").value.trim()) body.subject = $("reply-subject").value.trim();
  const button = $("reply-send");
  button.disabled = true;
  // Sending the same reply again after a failure (a lost answer, a 503) reuses its key, so
  // intake posts it once; a changed reply or another case gets a new key.
  const draft = JSON.stringify([caseId, body]);
  if (state.replyDraft?.draft !== draft) state.replyDraft = { draft, key: randomKey() };
  try {
    const reply = await intake(`/v1/cases/${encodeURIComponent(caseId)}/replies`, {
      method: "POST",
      body,
      headers: { "Idempotency-Key": state.replyDraft.key },
    });
    state.replyDraft = null;
    $("reply-text").value = "";
    updateCount();
    notify(`Reply ${reply.reply_id} ${reply.delivery}.`);
    await loadConversation(state.generation);
  } catch (error) {
    if (!(error instanceof Unauthorized)) notify(failure("Could not send the reply", error));
  } finally {
    button.disabled = false;
  }
}

async function act(action, body, done) {
  const caseId = state.openCase;
  if (!caseId) return;
  try {
    const item = await routing(`/v1/cases/${encodeURIComponent(caseId)}/${action}`, { method: "POST", body });
    if (item.agent_id === state.claims.subject && ["assigned", "wrap_up", "offered"].includes(item.state)) {
      state.work.set(caseId, { ...state.work.get(caseId), ...item });
    } else {
      state.work.delete(caseId);
    }
    notify(done(item));
  } catch (error) {
    if (!(error instanceof Unauthorized)) notify(failure(`Could not ${words(action).replace("/", " ")} case ${caseId}`, error));
  }
  renderWork();
  showCaseState();
}

// What each kind of transfer target is called, and what the agent should know about it.
const TRANSFER_KINDS = {
  agent: ["agent id", "Offered to that agent first; refused if they are offline."],
  queue: ["e.g. nordics", "Any agent serving that queue may take it."],
  department: ["e.g. billing", "Routed to that department of the case's region."],
  region: ["e.g. dach", "Routed to that region."],
};

export function showTransferKind() {
  const [placeholder, help] = TRANSFER_KINDS[$("transfer-kind").value];
  $("transfer-to").placeholder = placeholder;
  $("transfer-help").textContent = help;
}

export function transfer() {
  const kind = $("transfer-kind").value;
  const to = $("transfer-to").value.trim();
  if (!to) {
    notify("Say where to transfer the case.");
    $("transfer-to").focus();
    return;
  }
  const note = $("transfer-note").value.trim();
  const body = { [kind]: to, ...(note ? { note } : {}) };
  return act("transfer", body, () => {
    $("transfer-to").value = "";
    $("transfer-note").value = "";
    return `Case ${state.openCase} transferred to ${kind} ${to}.`;
  });
}

export function resolve() {
  const code = $("resolution-code").value.trim();
  if (!code) {
    notify("Give a resolution code.");
    $("resolution-code").focus();
    return;
  }
  const note = $("resolve-note").value.trim();
  const body = { resolution_code: code, ...(note ? { note } : {}) };
  return act("resolve", body, (item) => `Case ${item.case_id} resolved (${code}).`);
}

export function finishWrapUp() {
  return act("wrap-up/finish", undefined, (item) => `Wrap-up of case ${item.case_id} finished.`);
}
