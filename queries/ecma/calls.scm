; Calls and constructor calls, assignments (for where a receiver came from), imports,
; and member chains (for relation access in loops).
(call_expression) @call
(new_expression) @call
(variable_declarator value: (_)) @assign
(assignment_expression) @assign
(import_statement) @import
(member_expression) @member
(return_statement) @jump
(break_statement) @jump
(throw_statement) @jump
; Calls that are awaited.
(await_expression (call_expression) @awaited)
(await_expression (parenthesized_expression (call_expression) @awaited))
; Await expressions (for sequential-await) and `continue`.
(await_expression) @await
(continue_statement) @jump
; Compound assignments (`total += x`): loop-carried state for sequential-await.
(augmented_assignment_expression) @assign
; Code run only when debug logging is on: eager log formatting there costs nothing.
(if_statement condition: (_) @_cond (#match? @_cond "[Dd]ebug|isLevelEnabled|[Tt]race")) @debug_guard
; Exception handlers: code that runs only when something failed.
(catch_clause) @rescue
; Branches: code that runs only when a condition holds.
(if_statement consequence: (_) @branch)
(else_clause) @branch
(ternary_expression) @branch
(switch_case) @branch
; Fallbacks: `a ?? b`, and `a || b` in a declaration or return: `b` runs only when `a` gave nothing.
(binary_expression operator: "??" right: (_) @rescue)
(variable_declarator value: (binary_expression operator: "||" right: (_) @rescue))
(return_statement (binary_expression operator: "||" right: (_) @rescue))
; Code run only in development or tests (the `then` branch only: `else` is production).
(if_statement
  condition: (_) @_cond
  consequence: (_) @dev_guard
  (#match? @_cond "is(Dev|Development|Test|Jest)\\(|shouldServeLocally|NODE_ENV\\s*!==?\\s*['\"]production|NODE_ENV\\s*===?\\s*['\"](development|test)")
  (#not-match? @_cond "^\\(\\s*!"))
; Code run only when something is missing: `if (!cache)`, `if (!fs.existsSync(dir))`,
; `if (x == null)`. A fill-once branch.
(if_statement
  condition: (parenthesized_expression . (unary_expression operator: "!")) @_cond
  consequence: (_) @once_guard)
(if_statement
  condition: (_) @_cond
  consequence: (_) @once_guard
  (#match? @_cond "^\\(\\s*[A-Za-z_$][A-Za-z0-9_$.]*\\s*===?\\s*(null|undefined)\\s*\\)$"))
