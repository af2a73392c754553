"""Records in bulk: the importer (readers, references, kinds, the batch loop) and the
spreadsheet-safe CSV writer."""
