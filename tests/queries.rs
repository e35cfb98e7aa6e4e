//! Every embedded query compiles for every grammar it serves, and uses only predicates the
//! tree-sitter runtime evaluates itself (unknown predicates would be ignored silently).

use n1lint::facts::query_source;
use n1lint::lang::Lang;

#[test]
fn every_query_compiles_with_known_predicates() {
    for lang in Lang::ALL {
        let src = query_source(lang);
        let q = tree_sitter::Query::new(&lang.grammar(), &src)
            .unwrap_or_else(|e| panic!("{lang}: {e}"));
        assert!(q.pattern_count() > 5, "{lang}: too few patterns");
        for i in 0..q.pattern_count() {
            assert!(
                q.general_predicates(i).is_empty(),
                "{lang}: pattern {i} uses a predicate the runtime does not evaluate: {:?}",
                q.general_predicates(i)
            );
        }
        for name in q.capture_names() {
            assert!(
                matches!(
                    *name,
                    "function"
                        | "class"
                        | "loop"
                        | "call"
                        | "assign"
                        | "import"
                        | "member"
                        | "jump"
                        | "string"
                        | "comment"
                        | "error"
                        | "awaited"
                        | "visibility"
                        | "debug_guard"
                        | "dev_guard"
                        | "once_guard"
                        | "present_guard"
                        | "await"
                        | "rescue"
                        | "branch"
                        | "yield"
                ) || name.starts_with('_'),
                "{lang}: capture @{name} is not read by the extractor"
            );
        }
    }
}

/// The pass over each tree is one walk that reads most patterns from a table by node kind
/// and runs the others at their root node only; it must capture what the query cursor
/// captures over the whole tree, so the facts of every fixture are the same either way.
#[test]
fn the_walk_extracts_what_the_query_cursor_does() {
    for lang in Lang::ALL {
        assert!(
            n1lint::facts::walks(lang),
            "{lang}: a pattern has no single root node, so its files go through the slower query cursor"
        );
    }
    let limits = n1lint::facts::Limits::default();
    let mut compared = 0;
    for entry in ignore::WalkBuilder::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
        .standard_filters(false)
        .build()
    {
        let entry = entry.expect("fixtures are readable");
        let Some(lang) = Lang::from_path(entry.path()) else {
            continue;
        };
        let src = std::fs::read_to_string(entry.path()).expect("fixtures are UTF-8");
        let walked = format!("{:?}", n1lint::facts::extract(lang, &src, &limits));
        let cursor = format!(
            "{:?}",
            n1lint::facts::extract_query_cursor(lang, &src, &limits)
        );
        assert!(
            walked == cursor,
            "{}: the walk and the query cursor disagree",
            entry.path().display()
        );
        compared += 1;
    }
    assert!(compared > 100, "only {compared} fixture files compared");
}
