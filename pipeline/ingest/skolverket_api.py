"""Reader module skolverket_api (registers its sources with pipeline.ingest.sources.register)."""
