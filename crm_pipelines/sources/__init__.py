"""Source systems. One folder per system, every one with the same shape:

- ``client.py``   httpx (or SQL) client: auth, paging, incremental cursor, limits, retries
- ``mapping.py``  raw record -> typed warehouse row, and contacts -> ``ContactDraft``s
- ``emulator.py`` a faithful fake of the API, served in-process or over real HTTP
- ``demo.py``     renders the demo world into the API's own JSON shape
- ``__init__.py`` the ``SOURCE`` definition the registry lists

No Dagster imports anywhere below this package.
"""
