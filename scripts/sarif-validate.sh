#!/usr/bin/env bash
# Validate SARIF files with Microsoft's SARIF Multitool (GitHub + SARIF rules).
#
# Usage: scripts/sarif-validate.sh FILE...
#
# The Multitool is a self-contained Linux binary shipped in the npm package
# @microsoft/sarif-multitool-linux. It is fetched once with `npm pack` into
#   ${N1LINT_TOOLS_DIR:-<repo>/target/tools}/sarif-multitool-<version>/
# and reused from there on later runs (target/ is gitignored).
#
# Each FILE is checked with
#   Sarif.Multitool validate --config <tmp xml> --rule-kind "Gh;Sarif" \
#       --level "Error;Warning" --log ForceOverwrite --output <tmp json> FILE
# where the config only disables SARIF2006 (it would make HTTP requests).
# The validator itself exits 0 even when it reports errors, so its own SARIF
# output is parsed here: any result (or tool notification) of level "error"
# makes this script fail; warnings are printed but do not fail the run.
#
# Environment:
#   N1LINT_TOOLS_DIR    cache folder for the tool (default: <repo>/target/tools)
#   N1LINT_SARIF_NOTES  set to 1 to also print the validator's "note" results
#
# Exit status: 0 = no errors, 1 = validation errors, 2 = usage or tool failure.
set -euo pipefail

MULTITOOL_PKG="@microsoft/sarif-multitool-linux"
MULTITOOL_VERSION="5.7.0"
# sha256 of the npm tarball of the pinned version (npm also checks its own
# integrity hash; this guards the pin itself).
MULTITOOL_SHA256="27d8e3e96dde578a23b7c45035b8d741fece5731e2700aa068015b8c44d1514e"

die() {
    echo "sarif-validate: $*" >&2
    exit 2
}

if [ "$#" -eq 0 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    echo "usage: $0 FILE..." >&2
    exit 2
fi

command -v python3 >/dev/null 2>&1 || die "python3 is required"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${N1LINT_TOOLS_DIR:-$repo_root/target/tools}"
tool_home="$tools_dir/sarif-multitool-$MULTITOOL_VERSION"
multitool="$tool_home/Sarif.Multitool"

# The .NET runtime inside the binary wants libicu for culture data; none of
# that matters for validation, and invariant mode gives identical results, so
# don't depend on libicu being installed.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}"
# Keep the .NET runtime from writing telemetry/first-run files.
export DOTNET_CLI_TELEMETRY_OPTOUT=1

work="$(mktemp -d "${TMPDIR:-/tmp}/sarif-validate.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

fetch_multitool() {
    command -v npm >/dev/null 2>&1 || die "npm is required to fetch $MULTITOOL_PKG@$MULTITOOL_VERSION"
    mkdir -p "$tools_dir"
    echo "sarif-validate: fetching $MULTITOOL_PKG@$MULTITOOL_VERSION into $tool_home" >&2
    local start=$SECONDS
    local stage
    stage="$(mktemp -d "$tools_dir/.sarif-multitool-$MULTITOOL_VERSION.XXXXXX")"
    (cd "$stage" && npm pack --silent --no-fund --no-audit "$MULTITOOL_PKG@$MULTITOOL_VERSION" >/dev/null < /dev/null) \
        || { rm -rf "$stage"; die "npm pack $MULTITOOL_PKG@$MULTITOOL_VERSION failed"; }
    local tarball
    tarball="$(find "$stage" -maxdepth 1 -name '*.tgz' -print -quit)"
    [ -n "$tarball" ] || { rm -rf "$stage"; die "npm pack produced no tarball"; }
    local sum
    sum="$(sha256sum "$tarball" | cut -d' ' -f1)"
    if [ "$sum" != "$MULTITOOL_SHA256" ]; then
        rm -rf "$stage"
        die "sha256 mismatch for $(basename "$tarball"): got $sum, want $MULTITOOL_SHA256"
    fi
    tar -xzf "$tarball" -C "$stage" || { rm -rf "$stage"; die "could not unpack $tarball"; }
    rm -f "$tarball"
    [ -f "$stage/package/Sarif.Multitool" ] || { rm -rf "$stage"; die "Sarif.Multitool missing from the package"; }
    chmod +x "$stage/package/Sarif.Multitool"
    # Publish atomically so an interrupted fetch never leaves a half-unpacked
    # cache behind; if another run won the race, keep its copy.
    if ! mv -T "$stage/package" "$tool_home" 2>/dev/null; then
        [ -x "$multitool" ] || { rm -rf "$stage"; die "could not install into $tool_home"; }
    fi
    rm -rf "$stage"
    echo "sarif-validate: fetched in $((SECONDS - start))s" >&2
}

if [ ! -x "$multitool" ]; then
    [ -e "$tool_home" ] && die "$tool_home exists but has no executable Sarif.Multitool; remove it and retry"
    fetch_multitool
fi

"$multitool" --version > "$work/version.txt" 2>&1 || {
    cat "$work/version.txt" >&2
    die "$multitool does not run"
}
echo "sarif-validate: using $(head -n1 "$work/version.txt")"

# SARIF2006 (UrisShouldBeReachable) makes HTTP requests for every URI in the
# log (e.g. '$schema'); CI has no network, and validation must not depend on
# it, so that one rule is switched off. Everything else keeps its defaults.
config="$work/validate-config.xml"
cat > "$config" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
XML

levels="Error;Warning"
if [ "${N1LINT_SARIF_NOTES:-0}" = "1" ]; then
    levels="Error;Warning;Note"
fi

failed=0
n=0
for file in "$@"; do
    n=$((n + 1))
    if [ ! -f "$file" ]; then
        echo "sarif-validate: $file: no such file" >&2
        failed=1
        continue
    fi
    out="$work/result-$n.sarif"
    console="$work/console-$n.txt"
    rc=0
    "$multitool" validate \
        --config "$config" \
        --rule-kind "Gh;Sarif" \
        --level "$levels" \
        --log ForceOverwrite \
        --output "$out" \
        "$file" > "$console" 2>&1 < /dev/null || rc=$?
    if [ "$rc" -ne 0 ] || [ ! -s "$out" ]; then
        cat "$console" >&2
        echo "sarif-validate: $file: validator failed (exit $rc)" >&2
        failed=1
        continue
    fi
    rc=0
    python3 - "$file" "$out" <<'PY' || rc=$?
import json
import re
import sys

target, out_path = sys.argv[1], sys.argv[2]
with open(out_path, encoding="utf-8-sig") as f:
    log = json.load(f)

counts = {"error": 0, "warning": 0, "note": 0}
lines = []


def fmt_message(msg, rule):
    text = msg.get("text")
    if text is None:
        strings = (rule or {}).get("messageStrings", {})
        text = strings.get(msg.get("id", ""), {}).get("text", msg.get("id", "?"))
        args = msg.get("arguments", [])
        text = re.sub(
            r"\{(\d+)\}",
            lambda m: args[int(m.group(1))] if int(m.group(1)) < len(args) else m.group(0),
            text,
        )
    return text.replace("{{", "{").replace("}}", "}")


def where(obj):
    for loc in obj.get("locations", []):
        region = loc.get("physicalLocation", {}).get("region", {})
        if "startLine" in region:
            return "%s:%d:%d" % (target, region["startLine"], region.get("startColumn", 1))
    return target


for run in log.get("runs", []):
    driver = run.get("tool", {}).get("driver", {})
    rules = {r.get("id"): r for r in driver.get("rules", [])}
    for inv in run.get("invocations", []):
        for key in ("toolExecutionNotifications", "toolConfigurationNotifications"):
            for n in inv.get(key, []):
                desc = n.get("descriptor", {}).get("id", "tool")
                text = n.get("message", {}).get("text", "")
                if desc == "WRN999.RuleExplicitlyDisabled" and "'SARIF2006'" in text:
                    continue  # disabled on purpose by sarif-validate.sh
                level = n.get("level", "warning")
                if level not in counts:
                    continue
                counts[level] += 1
                lines.append((level, "%s: %s %s: %s" % (target, level, desc, fmt_message(n.get("message", {}), None))))
        if inv.get("executionSuccessful") is False:
            counts["error"] += 1
            lines.append(("error", "%s: error: validator reported executionSuccessful=false" % target))
    for res in run.get("results", []):
        level = res.get("level", "warning")
        if level not in counts:
            continue
        counts[level] += 1
        rule_id = res.get("ruleId", "?")
        rule = rules.get(rule_id)
        name = (rule or {}).get("name")
        label = "%s.%s" % (rule_id, name) if name else rule_id
        lines.append((level, "%s: %s %s: %s" % (where(res), level, label, fmt_message(res.get("message", {}), rule))))

order = {"error": 0, "warning": 1, "note": 2}
for _, line in sorted(lines, key=lambda item: order[item[0]]):
    print(line)
status = "FAIL" if counts["error"] else "ok"
print("%s: %s (%d error(s), %d warning(s), %d note(s))"
      % (target, status, counts["error"], counts["warning"], counts["note"]))
sys.exit(1 if counts["error"] else 0)
PY
    case "$rc" in
        0) ;;
        1) failed=1 ;;
        *) echo "sarif-validate: $file: could not read validator output $out" >&2; exit 2 ;;
    esac
done

if [ "$failed" -ne 0 ]; then
    echo "sarif-validate: FAILED" >&2
    exit 1
fi
echo "sarif-validate: all $n file(s) passed"
