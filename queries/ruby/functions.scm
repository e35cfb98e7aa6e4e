; Methods, lambdas, classes and modules.
(method) @function
(singleton_method) @function
(lambda) @function
(class) @class
(module) @class
