// Problems across regions (escalation's GET /v1/problems): a topic rising in two or more
// regions at once, with the terms that rose, the contacts per region, an example message
// per language, who acknowledged it where, and the notes every touched region's
// coordinators share. A coordinator acknowledges it for a region of theirs and adds notes.
import { escalation, failure, Unauthorized } from "./api.js";
import { $, el, empty, showIn } from "./dom.js";
import { age } from "./format.js";
import { state } from "./state.js";

const say = (message) => {
  $("problems-notice").textContent = message;
};

const mine = (region) => state.claims.role === "admin" || state.claims.regions.includes(region);

async function act(path, body, button, what) {
  button.disabled = true;
  try {
    await escalation(path, { method: "POST", body });
    await loadProblems(state.generation);
  } catch (error) {
    button.disabled = false;
    if (!(error instanceof Unauthorized)) say(failure(what, error));
  }
}

function problemItem(problem) {
  const path = `/v1/problems/${encodeURIComponent(problem.problem_id)}`;
  const counts = Object.entries(problem.counts).map(([region, n]) => `${region} ${n}`).join(" · ");
  const regions = problem.regions.map((region) => {
    const taken = problem.acknowledgements[region];
    const item = el("li", { class: "problem-region", "data-region": region }, el("strong", { text: region }));
    if (taken) item.append(el("span", { class: "by", text: ` acknowledged by ${taken.by}` }));
    else if (mine(region)) {
      const button = el("button", { type: "button", class: "acknowledge", text: `Acknowledge for ${region}` });
      button.addEventListener("click", () => act(`${path}/acknowledge`, { region }, button, "Could not acknowledge the problem"));
      item.append(button);
    } else item.append(el("span", { class: "status", text: " not acknowledged" }));
    return item;
  });
  const examples = problem.examples.map((e) =>
    el("li", { class: "example", lang: e.language }, el("span", { class: "lang", text: `${e.region} · ${e.language}: ` }), e.text),
  );
  const notes = problem.notes.map((n) =>
    el("li", { class: "note" }, el("span", { class: "by", text: `${n.author} (${n.region}): ` }), n.note),
  );
  const input = el("input", { type: "text", maxlength: "2000", class: "note-input", "aria-label": "Note for the other regions" });
  const form = el("form", { class: "note-form" }, input, el("button", { type: "submit", class: "secondary", text: "Add note" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const note = input.value.trim();
    if (note) act(`${path}/notes`, { note }, form.querySelector("button"), "Could not add the note");
  });
  return el(
    "li",
    { class: "problem", "data-problem-id": problem.problem_id },
    el("p", { class: "problem-facts" }, el("strong", { class: "terms", text: problem.terms.join(", ") }), ` — ${counts} · `,
      el("span", { class: "age", text: `detected ${age(problem.detected_at)} ago` })),
    el("ul", { class: "problem-regions" }, ...regions),
    el("ul", { class: "examples" }, ...examples),
    el("h4", { class: "subhead", text: "Notes" }),
    notes.length ? el("ul", { class: "notes" }, ...notes) : el("p", { class: "empty notes-empty", text: "No notes yet." }),
    form,
  );
}

export async function loadProblems(generation, { typing = false } = {}) {
  // A note being typed is not wiped by the poll.
  if (typing && document.activeElement?.classList.contains("note-input")) return;
  try {
    const problems = await escalation("/v1/problems?limit=50");
    if (generation !== state.generation) return;
    const shown = problems.filter((p) => !state.region || p.regions.includes(state.region));
    if (!shown.length) showIn("problems", empty("No problem shared across regions."));
    else showIn("problems", el("ul", { class: "problems" }, ...shown.map(problemItem)));
    $("problems").dataset.loaded = "true";
  } catch (error) {
    if (!(error instanceof Unauthorized)) showIn("problems", empty(failure("Problems unavailable", error)));
  }
}
