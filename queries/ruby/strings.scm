; Strings and heredoc bodies that may hold SQL.
(string) @string
(heredoc_body) @string
