//! What GitHub code scanning needs from a SARIF upload, checked in real n1lint output (the
//! schema itself is checked by the SARIF Multitool in `.ci/run`): relative `%SRCROOT%` URIs,
//! `partialFingerprints` that survive line moves, each rule's `help.markdown`,
//! `properties.tags`, `precision` and `problem.severity`, and `automationDetails.id`.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const MODELS: &str = "from django.db import models\n\n\nclass User(models.Model):\n    name = models.CharField(max_length=20)\n";
const VIEWS: &str = "from .models import User\n\n\ndef names(request):\n    out = []\n    for x in request.GET.getlist(\"id\"):\n        out.append(User.objects.get(id=x).name)\n    return out\n\n\ndef raw(cur):\n    cur.execute(\"SELECT * FROM users\")\n";

fn project() -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("n1lint-sarif-")
        .tempdir()
        .expect("temporary directory");
    std::fs::create_dir_all(d.path().join("shop")).expect("mkdir");
    std::fs::write(d.path().join("shop/models.py"), MODELS).expect("write");
    std::fs::write(d.path().join("shop/views.py"), VIEWS).expect("write");
    // The project root: a run on named files reads the rest of the project for facts.
    std::fs::write(d.path().join("n1lint.toml"), "").expect("write");
    d
}

fn sarif(cwd: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_n1lint"))
        .current_dir(cwd)
        .args(["--format", "sarif"])
        .args(args)
        .output()
        .expect("run n1lint");
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings expected; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

fn results(v: &Value) -> &Vec<Value> {
    v["runs"][0]["results"].as_array().expect("results")
}

fn rule_ids(v: &Value) -> BTreeSet<String> {
    results(v)
        .iter()
        .map(|r| r["ruleId"].as_str().expect("ruleId").to_string())
        .collect()
}

/// Every artifact location: a relative reference under `%SRCROOT%` naming a file that exists.
fn check_location(loc: &Value, root: &Path) {
    let art = &loc["physicalLocation"]["artifactLocation"];
    assert_eq!(art["uriBaseId"], "%SRCROOT%", "{loc}");
    let uri = art["uri"].as_str().expect("uri");
    assert!(
        !uri.is_empty()
            && !uri.starts_with('/')
            && !uri.starts_with("./")
            && !uri.contains(':')
            && !uri.contains('\\')
            && !uri.contains(".."),
        "a relative URI without scheme, dot segments or backslashes: {uri}"
    );
    assert!(
        root.join(uri).is_file(),
        "{uri} names a file under the root"
    );
    let region = &loc["physicalLocation"]["region"];
    for k in ["startLine", "startColumn", "endLine", "endColumn"] {
        assert!(region[k].as_u64().is_some_and(|n| n >= 1), "{k}: {region}");
    }
}

#[test]
fn the_run_is_what_code_scanning_ingests() {
    let d = project();
    let v = sarif(d.path(), &["."]);
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().is_some_and(|s| s.contains("2.1.0")));
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "one run per upload");
    let run = &runs[0];
    let id = run["automationDetails"]["id"]
        .as_str()
        .expect("runs[0].automationDetails.id");
    assert!(id.starts_with("n1lint"), "category of the analysis: {id}");
    assert_eq!(run["tool"]["driver"]["name"], "n1lint");
    assert!(run["tool"]["driver"]["semanticVersion"].is_string());
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert_eq!(
        rule_ids(&v),
        BTreeSet::from(["n-plus-one".to_string(), "select-star".to_string()]),
        "the fixture's two findings"
    );
}

#[test]
fn uris_are_relative_to_srcroot_also_for_related_locations() {
    let d = project();
    for args in [&["."][..], &["shop"][..], &[][..], &["./shop/views.py"][..]] {
        let v = sarif(d.path(), args);
        let mut related = 0;
        for r in results(&v) {
            for loc in r["locations"].as_array().expect("locations") {
                check_location(loc, d.path());
            }
            for loc in r["relatedLocations"].as_array().into_iter().flatten() {
                check_location(loc, d.path());
                assert!(loc["message"]["text"].is_string(), "{loc}");
                related += 1;
            }
        }
        assert!(related >= 1, "the N+1 names its loop: {args:?}");
    }
    // From a subfolder, URIs are relative to that folder (the checkout root in CI is the
    // working directory, which is where %SRCROOT% points).
    let v = sarif(&d.path().join("shop"), &["."]);
    for r in results(&v) {
        check_location(&r["locations"][0], &d.path().join("shop"));
    }
}

#[test]
fn a_file_outside_the_working_directory_gets_an_absolute_file_uri() {
    let d = project();
    let elsewhere = tempfile::tempdir().expect("temporary directory");
    let root = d.path().canonicalize().expect("canonical");
    let v = sarif(elsewhere.path(), &[root.to_str().expect("UTF-8 path")]);
    for r in results(&v) {
        let art = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        let uri = art["uri"].as_str().expect("uri");
        assert!(uri.starts_with("file:///"), "{uri}");
        assert!(art.get("uriBaseId").is_none(), "{art}");
    }
}

#[test]
fn partial_fingerprints_are_unique_and_survive_inserted_lines() {
    let d = project();
    let fingerprints = |v: &Value| -> Vec<(String, String)> {
        results(v)
            .iter()
            .map(|r| {
                let fp = r["partialFingerprints"]
                    .as_object()
                    .expect("partialFingerprints");
                assert!(!fp.is_empty());
                let (k, val) = fp.iter().next().expect("one fingerprint");
                let val = val.as_str().expect("a string");
                assert!(!val.is_empty());
                (
                    r["ruleId"].as_str().expect("ruleId").to_string(),
                    format!("{k}={val}"),
                )
            })
            .collect()
    };
    let before = fingerprints(&sarif(d.path(), &["."]));
    let unique: BTreeSet<&String> = before.iter().map(|(_, f)| f).collect();
    assert_eq!(unique.len(), before.len(), "{before:?}");
    let moved = format!("import os\n\n\ndef unrelated():\n    return os.getcwd()\n\n\n{VIEWS}");
    std::fs::write(d.path().join("shop/views.py"), moved).expect("write");
    let v = sarif(d.path(), &["."]);
    let lines: Vec<u64> = results(&v)
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .expect("line")
        })
        .collect();
    assert!(
        lines.iter().all(|&l| l > 7),
        "the findings moved down: {lines:?}"
    );
    assert_eq!(fingerprints(&v), before, "same fingerprints after the move");
}

#[test]
fn every_rule_has_help_markdown_tags_precision_and_problem_severity() {
    let d = project();
    let v = sarif(d.path(), &["."]);
    let rules = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("driver.rules");
    assert!(rules.len() >= 3);
    for rule in rules {
        let id = rule["id"].as_str().expect("id");
        let md = rule["help"]["markdown"].as_str().unwrap_or("");
        assert!(
            md.contains(id) && md.contains("```"),
            "{id}: help.markdown with examples"
        );
        assert!(
            rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()),
            "{id}: help.text (required next to markdown)"
        );
        assert!(rule["shortDescription"]["text"].is_string(), "{id}");
        let props = &rule["properties"];
        let tags = props["tags"].as_array().expect("properties.tags");
        assert!(
            !tags.is_empty() && tags.iter().all(Value::is_string),
            "{id}: {tags:?}"
        );
        assert!(
            ["very-high", "high", "medium", "low"]
                .contains(&props["precision"].as_str().unwrap_or("")),
            "{id}: precision {}",
            props["precision"]
        );
        assert!(
            ["error", "warning", "recommendation"]
                .contains(&props["problem.severity"].as_str().unwrap_or("")),
            "{id}: problem.severity {}",
            props["problem.severity"]
        );
    }
    // Results point at their rule by index.
    for r in results(&v) {
        let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap_or("")));
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
}
