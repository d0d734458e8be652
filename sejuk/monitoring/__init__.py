"""Social-media and rumour monitoring: posts, narratives, fact-checks, alerts."""
