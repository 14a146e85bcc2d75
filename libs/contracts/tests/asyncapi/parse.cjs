// Parses each AsyncAPI document named on the command line with the AsyncAPI initiative's own
// parser (its JSON Schema and its Spectral rules); prints every diagnostic, and exits 1 when
// a document does not parse or has an error or a warning. Needs no network: the documents'
// references are all local. Run with NODE_PATH at the node_modules `npm ci` made here.
const { readFileSync } = require("node:fs");
const { Parser, DiagnosticSeverity } = require("@asyncapi/parser");

async function main(paths) {
  const parser = new Parser();
  let failed = false;
  for (const path of paths) {
    const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"));
    for (const d of diagnostics) {
      const severity = DiagnosticSeverity[d.severity];
      console.log(`${path}: ${severity} ${d.code} at /${d.path.join("/")}: ${d.message}`);
      if (d.severity <= DiagnosticSeverity.Warning) failed = true;
    }
    if (!document) failed = true;
    console.log(`${path}: ${document ? "parsed" : "did not parse"}`);
  }
  process.exit(failed ? 1 : 0);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(2);
});
