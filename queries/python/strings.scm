; String literals (plain, raw, triple-quoted, f-strings) that may hold SQL.
(string) @string
