// Calls to routing (this origin) and intake (its base from /workspace/config.json), each
// with the agent's bearer token. A 401 signs out.
import { bearerClient, loadConfig as loadPageConfig } from "./http.js";
import { signOut } from "./session.js";
import { state } from "./state.js";

export { failure, HttpError, Unauthorized } from "./http.js";

const { call } = bearerClient(state, (reason) => signOut(reason));

export const loadConfig = () => loadPageConfig("workspace");

export const routing = (path, options) => call("", path, options);
export const intake = (path, options) => call(state.config.intake_url, path, options);
