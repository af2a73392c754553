"""The rules of the inventory, in the users' words: no Flask, no HTTP.

Domain functions take values already checked field by field (by the schemas or the
importer) and enforce the rules that span fields and records. The API, the importer and
the command line call the same functions, so a rule is written once.
"""
