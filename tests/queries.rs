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
                        | "await"
                        | "rescue"
                        | "branch"
                ) || name.starts_with('_'),
                "{lang}: capture @{name} is not read by the extractor"
            );
        }
    }
}
