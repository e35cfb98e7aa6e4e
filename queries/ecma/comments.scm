; Comments (suppressions) and syntax errors (nothing is reported from inside them).
(comment) @comment
(ERROR) @error
