"""Indonesian text classifier commands (sejuk nlp ...); the model lives in sejuk.analytics.textclass."""
