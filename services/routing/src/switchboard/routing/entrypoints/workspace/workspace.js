// Switchboard agent workspace. No framework, no build step: native modules and plain DOM.
// This entry signs in, starts the polls, and wires the page's controls.
import { loadConfig, Unauthorized } from "./api.js";
import {
  finishWrapUp, loadConversation, openCase, resolve, sendReply, showTransferKind, transfer, updateCount,
} from "./conversation.js";
import { $, notify } from "./dom.js";
import { openSession, showSignIn, showWorkspace, signOut, storedToken, tokenFromFragment } from "./session.js";
import { later, state } from "./state.js";
import { loadPresence, loadWork, onOpen, setPresence, tickCountdowns } from "./work.js";

const WORK_POLL_MS = 1000;
const CONVERSATION_POLL_MS = 2000;
const PRESENCE_POLL_MS = 5000;

async function signIn(token) {
  if (!openSession(token)) return;
  try {
    state.config = await loadConfig();
  } catch (error) {
    signOut(`Could not load the workspace's configuration: ${error.message}.`);
    return;
  }
  showWorkspace();
  notify("");
  start(state.generation);
}

function every(generation, milliseconds, task) {
  const tick = async () => {
    if (generation !== state.generation) return;
    try {
      await task(generation);
    } catch (error) {
      if (!(error instanceof Unauthorized)) console.warn(error);
    }
    if (generation === state.generation) later(tick, milliseconds);
  };
  tick();
}

function start(generation) {
  $("work-empty").textContent = "Loading your work…";
  $("work").dataset.loaded = "false";
  every(generation, PRESENCE_POLL_MS, loadPresence);
  every(generation, WORK_POLL_MS, loadWork);
  every(generation, CONVERSATION_POLL_MS, loadConversation);
  every(generation, 250, async () => tickCountdowns());
}

function on(id, event, handler) {
  $(id).addEventListener(event, (e) => {
    if (event === "submit") e.preventDefault();
    handler(e);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  onOpen(openCase);
  on("sign-in-form", "submit", () => {
    const token = $("token-input").value.trim();
    if (token) signIn(token);
    else showSignIn("Paste a token first.");
  });
  on("sign-out", "click", () => signOut("You signed out."));
  on("presence", "change", (e) => setPresence(e.target.value));
  on("presence-form", "submit", () => setPresence($("presence").value));
  on("reply-form", "submit", sendReply);
  on("reply-text", "input", updateCount);
  on("transfer-kind", "change", showTransferKind);
  on("transfer-form", "submit", transfer);
  on("resolve-form", "submit", resolve);
  on("finish-wrap-up", "click", finishWrapUp);
  const token = tokenFromFragment() || storedToken();
  if (token) signIn(token);
  else showSignIn("");
});
