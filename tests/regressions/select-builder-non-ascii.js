// A wildcard column list with non-ASCII text: its column was computed from byte lengths
// and underflowed.
knex.select('*, éééééééééééééééééééé').from('t');
