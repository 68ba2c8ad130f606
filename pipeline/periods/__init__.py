"""Period reports: periods of the läsår (params/perioder.yml), period indicators, verksamhetsanalyser."""
