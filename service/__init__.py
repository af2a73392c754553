"""Evidence inventory: a catalogue of video sources per incident, their custody and coverage.

The package is layered (docs/architecture.md): `domain` holds the rules, `storage` the
database, `bulk` the importer and CSV writing, `web` the Flask application. Importing
this package loads none of them.
"""
