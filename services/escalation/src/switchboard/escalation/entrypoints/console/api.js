// Calls to escalation (this origin), routing, feedback and intake (their bases from
// /console/config.json), each with the coordinator's bearer token. A 401 signs out.
import { bearerClient, HttpError, loadConfig as loadPageConfig, problemDetail } from "./http.js";
import { signOut } from "./session.js";
import { state } from "./state.js";

export { failure, Unauthorized } from "./http.js";

const { call, refuseUnauthorized } = bearerClient(state, (reason) => signOut(reason));

export const loadConfig = () => loadPageConfig("console");

export const escalation = (path, options) => call("", path, options);
export const routing = (path) => call(state.config.routing_url, path);
export const feedback = (path) => call(state.config.feedback_url, path);
export const intake = (path) => call(state.config.intake_url, path);

// fetch and not EventSource: EventSource cannot send a bearer token.
export async function openEscalationStream(generation, signal) {
  const response = await fetch("/v1/escalations/stream", {
    headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" },
    cache: "no-store",
    signal,
  });
  await refuseUnauthorized(response, generation);
  if (!response.ok || !response.body) throw new HttpError(response.status, await problemDetail(response));
  return response.body;
}
