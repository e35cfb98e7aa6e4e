; String literals that may hold SQL.
(string) @string
(template_string) @string
