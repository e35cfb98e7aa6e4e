; inherits: ecma
(abstract_class_declaration) @class
