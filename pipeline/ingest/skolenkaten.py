"""Reader module skolenkaten (registers its sources with pipeline.ingest.sources.register)."""
