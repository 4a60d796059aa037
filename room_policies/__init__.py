"""Pure rules: roles, room kinds, who may be where, power levels, decisions (issue #3)."""
