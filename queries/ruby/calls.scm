; Calls (with or without a receiver), assignments, and loop exits.
(call) @call
(assignment) @assign
(return) @jump
(break) @jump
