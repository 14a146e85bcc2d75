// Switchboard coordinator console. No framework, no build step: native modules and plain
// DOM. This entry signs in, starts the stream and the polls, and wires the page's controls.
import { loadConfig, Unauthorized } from "./api.js";
import { loadAtRisk } from "./risks.js";
import { closeConversation, openConversation } from "./conversation.js";
import { $ } from "./dom.js";
import { renderEscalations } from "./escalations.js";
import { loadKpis } from "./kpis.js";
import { followStream } from "./live.js";
import { loadAgents, loadQueues } from "./panels.js";
import { loadProblems } from "./problems.js";
import { loadStaffing, renderStaffingAlerts } from "./staffing.js";
import { runWhatIf } from "./whatif.js";
import { chooseRegion, openSession, showConsole, showSignIn, signOut, storedToken, tokenFromFragment } from "./session.js";
import { later, state } from "./state.js";

const PANEL_POLL_MS = 5000;
const KPI_POLL_MS = 30000;
const STAFFING_POLL_MS = 15000;
const PROBLEMS_POLL_MS = 5000;

async function signIn(token) {
  if (!openSession(token)) return;
  try {
    state.config = await loadConfig();
  } catch (error) {
    signOut(`Could not load the console's configuration: ${error.message}.`);
    return;
  }
  showConsole();
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
  renderEscalations();
  $("escalations-empty").textContent = "Loading escalations…";
  $("escalation-list").dataset.loaded = "false";
  followStream(generation);
  every(generation, PANEL_POLL_MS, async (g) => {
    await Promise.all([loadQueues(g), loadAgents(g), loadAtRisk(g)]);
    renderEscalations(); // keeps the ages fresh
  });
  every(generation, KPI_POLL_MS, loadKpis);
  every(generation, STAFFING_POLL_MS, async (g) => {
    await loadStaffing(g);
    renderStaffingAlerts(); // keeps the ages fresh
  });
  every(generation, PROBLEMS_POLL_MS, (g) => loadProblems(g, { typing: true }));
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim();
    if (token) signIn(token);
    else showSignIn("Paste a token first.");
  });
  $("sign-out").addEventListener("click", () => {
    closeConversation();
    signOut("You signed out.");
  });
  $("conversation-form").addEventListener("submit", (event) => {
    event.preventDefault();
    openConversation($("conversation-case").value);
  });
  $("conversation-close").addEventListener("click", closeConversation);
  $("whatif-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runWhatIf();
  });
  $("region").addEventListener("change", (event) => {
    chooseRegion(event.target.value);
    renderEscalations();
    renderStaffingAlerts();
    const generation = state.generation;
    loadQueues(generation);
    loadAgents(generation);
    loadAtRisk(generation);
    loadStaffing(generation);
    loadProblems(generation);
    loadKpis(generation).catch(() => {});
  });
  const token = tokenFromFragment() || storedToken();
  if (token) signIn(token);
  else showSignIn("");
});
