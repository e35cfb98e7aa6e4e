; Functions and classes. Captures: @function, @class.
(function_declaration) @function
(generator_function_declaration) @function
(function_expression) @function
(arrow_function) @function
(method_definition) @function
(class_declaration) @class
(class) @class
