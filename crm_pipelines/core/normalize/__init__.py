"""Single-purpose normalizers for canonical contacts (pure functions, cached on repeated values)."""
