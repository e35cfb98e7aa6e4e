(comment) @comment
(ERROR) @error
