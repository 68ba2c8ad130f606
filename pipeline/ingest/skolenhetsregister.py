"""Reader module skolenhetsregister (registers its sources with pipeline.ingest.sources.register)."""
