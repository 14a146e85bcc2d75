// The agent's token (kept for this tab only) and who it says they are.
import { $ } from "./dom.js";
import { state } from "./state.js";
import { tokenSession } from "./token.js";

export { tokenFromFragment } from "./token.js";

const TOKEN_KEY = "switchboard.workspace.token";

export const { showSignIn, signOut, openSession, storedToken } = tokenSession({
  state,
  tokenKey: TOKEN_KEY,
  pageId: "workspace",
  forget() {
    Object.assign(state, { openCase: null, conversation: null, customerId: null, prefilledFor: null });
    state.work.clear();
    state.rows.clear();
    state.messageNodes.clear();
    $("work").replaceChildren();
    $("messages").replaceChildren();
  },
});

export function showWorkspace() {
  $("who-name").textContent = state.claims.subject;
  $("sign-in").hidden = true;
  $("who").hidden = false;
  $("workspace").hidden = false;
}

export const agentPath = () => `/v1/agents/${encodeURIComponent(state.claims.subject)}`;
