// What the console holds while a coordinator is signed in. Signing in or out bumps the
// generation: work begun under an older one (a poll, the stream, an answer) drops its result.
export const state = {
  token: null,
  claims: null,
  config: null,
  region: "",
  discovered: new Set(),
  generation: 0,
  escalations: new Map(),
  rows: new Map(),
  timers: new Set(),
  streamAbort: null,
};

// Runs ``task`` after ``milliseconds``; sign-out cancels whatever is still pending.
export function later(task, milliseconds) {
  const id = setTimeout(() => {
    state.timers.delete(id);
    task();
  }, milliseconds);
  state.timers.add(id);
}
