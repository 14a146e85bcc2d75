// The live stream of escalation events (server-sent events read through fetch), reconnected
// with a growing delay and the last event id, so the server (any replica) replays what came
// meanwhile; each (re)connection also reloads the lists.
import { failure, openEscalationStream, Unauthorized } from "./api.js";
import { $, notify } from "./dom.js";
import { applyEvent, loadEscalations } from "./escalations.js";
import { applyStaffingAlertEvent, loadStaffingAlerts } from "./staffing.js";
import { later, state } from "./state.js";

const MAX_BACKOFF_MS = 30000;
const STAFFING_ALERT = "switchboard.staffing-alert.";

function setStreamState(name, text) {
  const node = $("stream-state");
  node.dataset.state = name;
  node.textContent = text;
}

function parseFrame(frame) {
  const parsed = { event: "message", data: null, retry: null, id: null };
  for (const line of frame.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") parsed.event = value;
    else if (field === "data") parsed.data = parsed.data === null ? value : `${parsed.data}\n${value}`;
    else if (field === "retry" && /^\d+$/.test(value)) parsed.retry = Number(value);
    else if (field === "id" && !value.includes("\0")) parsed.id = value;
  }
  return parsed;
}

async function readStream(generation, position, onOpen) {
  const controller = new AbortController();
  state.streamAbort = controller;
  const body = await openEscalationStream(generation, controller.signal, position.lastEventId);
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let opened = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done || generation !== state.generation) return;
    buffer += value;
    const held = buffer.endsWith("\r") ? "\r" : "";
    buffer = buffer.slice(0, buffer.length - held.length).replace(/\r\n?/g, "\n") + held;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (!opened) {
        opened = true;
        await onOpen(frame.retry);
      }
      if (frame.id !== null) position.lastEventId = frame.id;
      if (frame.data !== null && generation === state.generation) {
        try {
          const apply = frame.event.startsWith(STAFFING_ALERT) ? applyStaffingAlertEvent : applyEvent;
          apply(frame.event, JSON.parse(frame.data), generation);
        } catch (error) {
          console.warn("skipped an unreadable stream event", error);
        }
      }
    }
  }
}

export async function followStream(generation) {
  let base = 1000;
  let delay = base;
  const position = { lastEventId: null };
  while (generation === state.generation) {
    setStreamState("connecting", "Connecting…");
    try {
      await readStream(generation, position, async (retry) => {
        if (retry) base = retry;
        delay = base;
        setStreamState("live", "Live");
        // The lists as they are now; a stream resumed from an id then replays what came
        // while we were away (applying an event twice leaves the same state).
        await Promise.all([
          loadEscalations(generation).catch((error) => {
            if (!(error instanceof Unauthorized)) notify(failure("Could not load escalations", error));
          }),
          loadStaffingAlerts(generation),
        ]);
      });
    } catch (error) {
      if (error instanceof Unauthorized || error.name === "AbortError") return;
      console.warn("escalation stream failed", error);
    }
    if (generation !== state.generation) return;
    setStreamState("reconnecting", `Reconnecting in ${Math.round(delay / 1000)} s…`);
    await new Promise((resolve) => later(resolve, delay));
    delay = Math.min(delay * 2, MAX_BACKOFF_MS);
  }
}
