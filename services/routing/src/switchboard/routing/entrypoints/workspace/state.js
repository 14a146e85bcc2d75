// What the workspace holds while an agent is signed in. Signing in or out bumps the
// generation: work begun under an older one (a poll, an answer) drops its result.
export const state = {
  token: null,
  claims: null,
  config: null,
  generation: 0,
  work: new Map(), // case id → the case as routing's work list gives it
  rows: new Map(), // case id → its <li> in the work list
  openCase: null, // the case whose conversation is shown
  conversation: null, // intake's answer for the open case (all pages)
  messageNodes: new Map(), // message id → its <li>
  customerId: null,
  prefilledFor: null, // the case whose reply form was prefilled
  timers: new Set(),
};

// Runs ``task`` after ``milliseconds``; sign-out cancels whatever is still pending.
export function later(task, milliseconds) {
  const id = setTimeout(() => {
    state.timers.delete(id);
    task();
  }, milliseconds);
  state.timers.add(id);
}
