"""cleanpipe: clean and deduplicate scraped news articles."""
