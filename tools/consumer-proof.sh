#!/usr/bin/env bash
# The consumer proof: @ha-reference/constructs works for a project that is not this repository.
#
#   tools/consumer-proof.sh [--keep]
#
# Packs the package (`npm pack`, the tarball a registry would serve), copies examples/consumer into a fresh
# temporary directory outside the workspace (files, no symlinks), installs the tarball and the example's own
# pins (the minimum of the package's peer range) from the npm registry, compiles it with tsc, synthesises it
# with the CDK CLI (both rule packs registered), asserts on the template (examples/consumer/test), and runs the
# package's own `ha-resilience` command on the cloud assembly and on single templates.
# Ends with one line, "consumer proof: PASS ..." or "consumer proof: FAIL ...", and exits non-zero on failure.
# --keep leaves the temporary project in place for a look.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd -P)"
export CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
keep=false
[ "${1:-}" = "--keep" ] && keep=true

started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/ha-consumer-proof.XXXXXX")" || { echo "consumer proof: FAIL (no temporary directory)"; exit 1; }
work="$(cd "$work" && pwd -P)"
cleanup() { if $keep; then echo "kept: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
fail() { echo "consumer proof: FAIL ($*) after $((SECONDS - started)) s"; exit 1; }
step() { echo; echo "--- $* ($((SECONDS - started)) s)"; }

case "$work/" in "$root"/*) fail "the temporary directory $work is inside the repository" ;; esac
# No package.json or node_modules above the project: npm must not find a workspace or packages to reuse.
dir="$work"
while [ "$dir" != "/" ]; do
  dir="$(dirname "$dir")"
  { [ -e "$dir/package.json" ] || [ -e "$dir/node_modules" ]; } && fail "$dir holds a package.json or node_modules above the temporary project"
done

step "pack @ha-reference/constructs"
node "$root/constructs/build.mjs" --if-changed || fail "the package does not build"
tarball_name="$(cd "$root/constructs" && npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1)" || fail "npm pack failed"
tarball="$work/$tarball_name"
[ -f "$tarball" ] || fail "npm pack wrote no tarball ($tarball_name)"
tar tzf "$tarball" > "$work/contents.txt" || fail "the tarball does not list"
for file in package/package.json package/bin/ha-resilience.js package/lib/index.js package/lib/index.d.ts package/lib/pure.js package/lib/report/cli.js package/.jsii; do
  grep -qx "$file" "$work/contents.txt" || fail "the tarball lacks $file"
done
if grep -E '\.ts$' "$work/contents.txt" | grep -vqE '\.d\.ts$'; then fail "the tarball ships TypeScript sources"; fi
echo "$tarball_name: $(wc -l < "$work/contents.txt") files, $(( $(wc -c < "$tarball") / 1024 )) KiB"

step "a fresh project from examples/consumer"
app="$work/consumer"
mkdir "$app" && (cd "$root/examples/consumer" && tar cf - --exclude=./node_modules --exclude=./dist --exclude=./cdk.out --exclude=./package-lock.json .) | (cd "$app" && tar xf -) \
  || fail "could not copy examples/consumer"
[ -z "$(find "$app" -type l)" ] || fail "the copy holds symlinks"
# The example pins each peer at the minimum of the packed package's range: say so when the range moves.
tar xzf "$tarball" -O package/package.json > "$work/packed-package.json" || fail "no package.json in the tarball"
node -e '
  const peers = require(process.argv[1]).peerDependencies, example = require(process.argv[2]);
  const pins = { ...example.dependencies, ...example.devDependencies };
  const wrong = Object.entries(peers).filter(([name, range]) => pins[name] !== range.replace(/^[\^~>=\s]+/, ""));
  for (const [name, range] of wrong) console.error(`examples/consumer/package.json pins ${name} ${pins[name]}, not the minimum of the peer range ${range}`);
  process.exit(wrong.length ? 1 : 0);
' "$work/packed-package.json" "$app/package.json" || fail "the example does not pin the peer minimums"

step "npm install (the tarball and the example's pins, from the npm registry)"
(cd "$app" && npm install --no-audit --no-fund --loglevel=error "$tarball") || fail "npm install failed"
installed="$app/node_modules/@ha-reference/constructs"
[ -d "$installed" ] && [ ! -L "$installed" ] || fail "@ha-reference/constructs is not a real directory in node_modules"
case "$(cd "$installed" && pwd -P)/" in "$app"/*) ;; *) fail "@ha-reference/constructs resolves outside the project" ;; esac
[ -x "$app/node_modules/.bin/ha-resilience" ] || fail "npm did not link the ha-resilience bin"
versions="$(cd "$app" && node -p '["aws-cdk-lib", "constructs", "cdk-nag", "aws-cdk", "typescript"].map((n) => `${n} ${require(`${n}/package.json`).version}`).join(", ")')"
echo "installed: @ha-reference/constructs $(node -p "require('$installed/package.json').version"), $versions"

step "tsc"
(cd "$app" && npm run --silent build) || fail "the example does not compile against the package's types"

step "cdk synth (AwsSolutions and the resilience rule pack as errors)"
(cd "$app" && npm run --silent synth) || fail "cdk synth failed"

step "assertions on the template (examples/consumer/test)"
(cd "$app" && npm test --silent) || fail "the template assertions failed"

step "ha-resilience, the package's command, on what was synthesised"
bin="$app/node_modules/.bin/ha-resilience"
check_report() { # expected-exit description command...
  local expected="$1" what="$2"; shift 2
  local rc
  (cd "$app" && "$@" > "$work/out.txt" 2> "$work/err.txt"); rc=$?
  if [ "$rc" -ne "$expected" ]; then
    echo "stdout:"; head -20 "$work/out.txt"; echo "stderr:"; cat "$work/err.txt"
    fail "ha-resilience on $what exited $rc, not $expected"
  fi
  echo "$what: exit $rc as expected"
}
check_report 0 "the cloud assembly" "$bin" report cdk.out
grep -q '^# Resilience report' "$work/out.txt" && grep -q 'ConsumerWeb (eu-west-1)' "$work/out.txt" && grep -q '^## Recovery' "$work/out.txt" \
  || fail "the Markdown report does not name the stack or lacks its sections"
check_report 0 "the stack's template, by the package's name (npx --offline @ha-reference/constructs)" npx --offline @ha-reference/constructs report cdk.out/ConsumerWeb.template.json --json
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const problems = [];
  if (r.stacks.length !== 1 || r.stacks[0].name !== "ConsumerWeb") problems.push(`stacks ${JSON.stringify(r.stacks)}`);
  if (r.findings.some((f) => f.severity === "error")) problems.push("an error finding");
  if (!(r.availability.composite > 0.99)) problems.push(`composite ${r.availability.composite}`);
  if (!r.recovery.some((row) => row.failure === "failed database instance")) problems.push("no database row in the recovery table");
  if (problems.length) { console.error(problems.join("; ")); process.exit(1); }
  console.log(`composite estimate ${(r.availability.composite * 100).toFixed(3)} %, ${r.findings.length} findings below error`);
' "$work/out.txt" || fail "the JSON report is not what the template holds"
printf '%s\n' '{"Resources":{"Db":{"Type":"AWS::RDS::DBInstance","Properties":{"Engine":"postgres","MultiAZ":false}}}}' > "$work/single-az.json"
check_report 1 "a single-AZ database template" "$bin" report "$work/single-az.json"
grep -q 'Resilience-DatabaseMultiAz' "$work/out.txt" || fail "the single-AZ finding is missing"
check_report 2 "a missing path" "$bin" report "$work/no-such-cdk.out"
grep -qx "report: $work/no-such-cdk.out: no such file or directory (give a cloud assembly directory such as cdk.out, or a CloudFormation template JSON file)" "$work/err.txt" \
  || fail "the missing-path message changed: $(cat "$work/err.txt")"

# The temporary project goes before the last line, so its time counts (removing node_modules takes a while).
trap - EXIT
cleanup
echo
echo "consumer proof: PASS in $((SECONDS - started)) s: $tarball_name installed outside the workspace with $versions"
