; Functions, lambdas and classes.
(function_definition) @function
(lambda) @function
(class_definition) @class
