"""Reader module sis (registers its sources with pipeline.ingest.sources.register)."""
