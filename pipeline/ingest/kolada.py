"""Reader module kolada (registers its sources with pipeline.ingest.sources.register)."""
