"""Reader module skolverket (registers its sources with pipeline.ingest.sources.register)."""
