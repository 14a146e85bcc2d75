// Calls to escalation (this origin), routing, feedback and intake (their bases from
// /console/config.json), each with the coordinator's bearer token. A 401 signs out.
import { bearerClient, HttpError, loadConfig as loadPageConfig, problemDetail } from "./http.js";
import { signOut } from "./session.js";
import { state } from "./state.js";

export { failure, Unauthorized } from "./http.js";

const { call, refuseUnauthorized } = bearerClient(state, (reason) => signOut(reason));

export const loadConfig = () => loadPageConfig("console");

export const escalation = (path, options) => call("", path, options);
export const routing = (path, options) => call(state.config.routing_url, path, options);
export const feedback = (path) => call(state.config.feedback_url, path);
export const intake = (path) => call(state.config.intake_url, path);

// fetch and not EventSource: EventSource cannot send a bearer token. Like EventSource, a
// reconnection sends the last event id it got: any replica replays what came after it.
export async function openEscalationStream(generation, signal, lastEventId) {
  const headers = { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" };
  if (lastEventId) headers["Last-Event-ID"] = lastEventId;
  const response = await fetch("/v1/escalations/stream", {
    headers,
    cache: "no-store",
    signal,
  });
  await refuseUnauthorized(response, generation);
  if (!response.ok || !response.body) throw new HttpError(response.status, await problemDetail(response));
  return response.body;
}
