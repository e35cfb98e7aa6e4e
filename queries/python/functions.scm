; Functions, lambdas and classes.
(function_definition) @function
(lambda) @function
(class_definition) @class
; A `yield` makes its function a generator.
(yield) @yield
