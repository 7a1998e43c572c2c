"""Alembic runs the console's migrations on the connection store.migrate() hands it."""
from alembic import context

from assistant.console.store import VERSION_TABLE

context.configure(connection=context.config.attributes["connection"], version_table=VERSION_TABLE,
                  render_as_batch=True)  # SQLite alters tables only by copying them
with context.begin_transaction():
    context.run_migrations()
