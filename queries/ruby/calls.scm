; Calls (with or without a receiver), assignments, and loop exits.
(call) @call
(assignment) @assign
(return) @jump
(break) @jump
; Backtick commands run a shell.
(subshell) @call
; `private` / `protected` markers in a class body: the methods after them are not actions.
((identifier) @visibility (#any-of? @visibility "private" "protected"))
; Code run only when debug logging is on: eager log formatting there costs nothing.
(if condition: (_) @_cond (#match? @_cond "debug\\?")) @debug_guard
(if_modifier condition: (_) @_cond (#match? @_cond "debug\\?")) @debug_guard
(unless_modifier condition: (_) @_cond (#match? @_cond "debug\\?")) @debug_guard
; Code run only in development or tests.
(if
  condition: (_) @_cond
  consequence: (_) @dev_guard
  (#match? @_cond "Rails\\.env\\.(development|test)\\?"))
