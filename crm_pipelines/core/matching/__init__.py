"""Per-tenant record linkage: blocking, comparisons, Fellegi-Sunter model, clustering, overrides."""
