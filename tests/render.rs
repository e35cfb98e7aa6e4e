//! Snapshot of the text report (no colour, as without a terminal) for a small project.

use std::path::Path;

use assert_cmd::Command;

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("create parent directories");
    std::fs::write(p, content).expect("write file");
}

/// Replaces the time in "(N files scanned in 0.02 s)" with a placeholder.
fn redact_elapsed(s: &str) -> String {
    const SCANNED: &str = " scanned in ";
    s.lines()
        .map(|line| {
            // `(N files scanned in 0.15 s)` or `(… in 0.15 s; 1 fixable with `--fix`)`.
            let at = line.find(SCANNED).map(|p| p + SCANNED.len());
            match at.and_then(|a| line[a..].find(" s").map(|e| (a, a + e + 2))) {
                Some((a, e)) => format!("{}[ELAPSED]{}", &line[..a], &line[e..]),
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn text_report() {
    let d = tempfile::Builder::new()
        .prefix("n1lint-render-")
        .tempdir()
        .expect("temporary directory");
    write(
        d.path(),
        "app/orders.py",
        "from django.db import connection\n\n\ndef recent_orders(customer_id):\n    with connection.cursor() as cur:\n        cur.execute(\"SELECT * FROM orders WHERE customer_id = %s\", [customer_id])\n        return cur.fetchall()\n\n\nLIMIT = 10  # n1lint-ignore: select-star -- nothing to suppress here\n",
    );
    write(
        d.path(),
        "web/users.js",
        "function loadUsers(pool) {\n  return pool.query(`\n    SELECT u.*\n    FROM users u\n  `);\n}\n\nmodule.exports = { loadUsers };\n",
    );
    write(
        d.path(),
        "web/clean.rb",
        "def names(conn)\n  conn.select_values(\"SELECT name FROM users\")\nend\n",
    );

    let out = Command::new(env!("CARGO_BIN_EXE_n1lint"))
        .current_dir(d.path())
        .env_remove("NO_COLOR")
        .args(["--select", "select-star,unused-suppression"])
        .output()
        .expect("run n1lint");
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(!stdout.contains('\x1b'), "no colour without a terminal");
    let redacted = redact_elapsed(&stdout);
    assert!(
        redacted.contains("[ELAPSED]"),
        "the summary line was found:\n{stdout}"
    );
    insta::assert_snapshot!("text_report", redacted);
}
