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
; Exception handlers: code that runs only when something failed.
(rescue) @rescue
; Branches: code that runs only when a condition holds.
(if consequence: (_) @branch)
(unless consequence: (_) @branch)
(elsif) @branch
(else) @branch
(if_modifier) @branch
(unless_modifier) @branch
(conditional) @branch
(when) @branch
; Fallbacks and memos: `x = a || b` and `x ||= b`: `b` runs only when there is nothing yet.
(assignment right: (binary operator: "||" right: (_) @rescue))
(operator_assignment operator: "||=" right: (_) @rescue)
; Code run only in development or tests.
(if
  condition: (_) @_cond
  consequence: (_) @dev_guard
  (#match? @_cond "Rails\\.env\\.(development|test)\\?"))
