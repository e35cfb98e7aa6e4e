; Calls, assignments, imports, attribute chains, and loop exits.
(call) @call
(assignment) @assign
(import_from_statement) @import
(import_statement) @import
(attribute) @member
(return_statement) @jump
(break_statement) @jump
(raise_statement) @jump
; Calls that are awaited.
(await (call) @awaited)
(await (parenthesized_expression (call) @awaited))
; Await expressions (for sequential-await) and `continue`.
(await) @await
(continue_statement) @jump
; Compound assignments (`total += x`): loop-carried state for sequential-await.
(augmented_assignment) @assign
; Code run only when debug logging is on: eager log formatting there costs nothing.
(if_statement condition: (_) @_cond (#match? @_cond "isEnabledFor|DEBUG|debug")) @debug_guard
; Exception handlers: code that runs only when something failed.
(except_clause) @rescue
; Branches: code that runs only when a condition holds.
(if_statement consequence: (_) @branch)
(elif_clause) @branch
(else_clause) @branch
(conditional_expression) @branch
; Fallbacks: in `x = a or b` / `return a or b`, `b` runs only when `a` gave nothing.
(assignment right: (boolean_operator operator: "or" right: (_) @rescue))
(return_statement (boolean_operator operator: "or" right: (_) @rescue))
; Code run only in development or tests (`if settings.DEBUG:`; the `else` is production).
(if_statement
  condition: (_) @_cond
  consequence: (block) @dev_guard
  (#match? @_cond "^(settings\\.DEBUG|DEBUG|app\\.debug|settings\\.TESTING|TESTING)$"))
; After `if x.attr is not None: return ...` the rest of the block runs only when the value is
; missing: the implicit else of a presence guard (like `x.attr or ...`). The extractor records
; that rest as a branch.
(if_statement
  !alternative
  condition: (comparison_operator) @_cond
  consequence: (block . (return_statement))
  (#match? @_cond "^[A-Za-z_][A-Za-z0-9_.]*\\s+is\\s+not\\s+None$")) @present_guard
; Code run only when something is missing: `if x is None:`, `if not cache:`.
(if_statement
  condition: (not_operator) @_cond
  consequence: (block) @once_guard)
(if_statement
  condition: (comparison_operator) @_cond
  consequence: (block) @once_guard
  (#match? @_cond "^[A-Za-z_][A-Za-z0-9_.]*\\s+is\\s+None$"))
