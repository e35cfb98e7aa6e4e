; Loop statements. Block loops (`items.each do |x|`) are recognised from calls.
(for) @loop
(while) @loop
(until) @loop
