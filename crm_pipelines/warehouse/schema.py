"""The one SQLAlchemy ``MetaData`` every warehouse table is declared on."""

import sqlalchemy as sa

metadata = sa.MetaData()
