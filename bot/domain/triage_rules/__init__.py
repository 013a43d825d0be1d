"""Red-flag rules as data: one vocabulary file per language plus the shared severity rules."""
