; Loop statements and comprehensions.
(for_statement) @loop
(while_statement) @loop
(list_comprehension) @loop
(set_comprehension) @loop
(dictionary_comprehension) @loop
(generator_expression) @loop
