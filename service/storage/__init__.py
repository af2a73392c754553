"""The database: connections, tables, migrations, and copying an inventory elsewhere."""
