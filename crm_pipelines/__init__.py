"""crm_pipelines: golden contacts per tenant out of the SaaS tools a German SME runs."""

import pandas as _pd

__version__ = "0.1.0"

# pandas 3 backs its default string dtype with Arrow when pyarrow is installed (it is, for the
# SQLite bulk writer). The matcher is built and measured on Python-object strings: it reads them
# cell by cell (rapidfuzz, phonetics, survivorship), which an Arrow-backed column pays a copy for.
_pd.set_option("mode.string_storage", "python")
