; Loop statements. Callback loops (`items.map(x => ...)`) are recognised from calls.
(for_statement) @loop
(for_in_statement) @loop
(while_statement) @loop
(do_statement) @loop
