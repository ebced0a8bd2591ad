"""Storage: the Parquet dataset (reports, cells, findings, documents), raw bytes, crawl state."""
